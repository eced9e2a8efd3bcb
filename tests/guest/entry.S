/* Entry points at the offsets the Linux boot protocol uses: +0 is the
 * 32-bit entry (unused: we only support the 64-bit one), +0x200 is
 * startup_64, entered in long mode with RSI = boot_params. */
	.section .text.head, "ax"
	.code32
	.globl _start32
_start32:
	ud2

	.org 0x200
	.code64
	.globl startup_64
startup_64:
	cli
	mov	%rsi, %r12
	/* zero .bss by quadwords: under PVM every iteration is emulated */
	lea	__bss_start(%rip), %rdi
	lea	__bss_end(%rip), %rcx
	sub	%rdi, %rcx
	shr	$3, %rcx
	xor	%eax, %eax
	rep stosq
	lea	stack_top(%rip), %rsp
	mov	%r12, %rdi
	call	guest_main
1:	cli
	hlt
	jmp	1b

	/* not zeroed: the stack, and page tables the PVH path fills itself */
	.section .noinit, "aw", @nobits
	.align 16
	.space 16384
stack_top:

	.section .note.GNU-stack, "", @progbits

/* PVH entry (XEN_ELFNOTE_PHYS32_ENTRY): 32-bit protected mode, paging off,
 * EBX = struct hvm_start_info.  Build an identity map of 4 GiB, enter long
 * mode with our own GDT and go on in C (pvh.c). */
	.text
	.code32
	.globl pvh_start32
pvh_start32:
	cli
	mov	%ebx, %esi
	mov	$pvh_pd, %edi
	xor	%ecx, %ecx
1:	mov	%ecx, %eax
	shl	$21, %eax
	or	$0x83, %eax
	mov	%eax, (%edi,%ecx,8)
	movl	$0, 4(%edi,%ecx,8)
	inc	%ecx
	cmp	$2048, %ecx
	jb	1b
	mov	$pvh_pdpt, %edi
	mov	$pvh_pd + 3, %eax
	xor	%ecx, %ecx
2:	mov	%eax, (%edi,%ecx,8)
	movl	$0, 4(%edi,%ecx,8)
	add	$4096, %eax
	inc	%ecx
	cmp	$4, %ecx
	jb	2b
	movl	$pvh_pdpt + 3, pvh_pml4
	movl	$0, pvh_pml4 + 4
	mov	$pvh_pml4, %eax
	mov	%eax, %cr3
	mov	%cr4, %eax
	or	$0x20, %eax		/* PAE */
	mov	%eax, %cr4
	mov	$0xc0000080, %ecx	/* EFER.LME */
	rdmsr
	or	$0x100, %eax
	wrmsr
	mov	%cr0, %eax
	or	$0x80000001, %eax	/* PG | PE */
	mov	%eax, %cr0
	lgdt	pvh_gdt_desc
	ljmp	$0x08, $pvh_start64

	.code64
pvh_start64:
	mov	$0x10, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	lea	stack_top(%rip), %rsp
	mov	%esi, %edi
	call	pvh_main
3:	cli
	hlt
	jmp	3b

	.section .rodata
	.align 8
pvh_gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
pvh_gdt_desc:
	.word pvh_gdt_desc - pvh_gdt - 1
	.long pvh_gdt

	.section .noinit, "aw", @nobits
	.align 4096
pvh_pml4:	.space 4096
pvh_pdpt:	.space 4096
pvh_pd:		.space 4 * 4096

	.section .note.Xen, "a", @note
	.align 4
	.long 4, 4, 18			/* "Xen", 4 bytes, XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long pvh_start32
	.align 4
	.long 8, 20, 1			/* "CLOISON": marks the test guest */
	.asciz "CLOISON"
	.ascii "cloison-testguest"
	.byte 0, 0, 0
	.align 4
