/* The static --init binary, embedded so that it never has to be a host file. */
	.section .rodata
	.global cl_tinyinit_start
	.global cl_tinyinit_end
	.balign 16
cl_tinyinit_start:
	.incbin TINYINIT_PATH
cl_tinyinit_end:
	.section .note.GNU-stack,"",@progbits
