/* cloison's freestanding test guest.  Booted as a bzImage, exactly as a
 * Linux kernel, it checks what the monitor promises (boot_params, CPU state,
 * ACPI, virtio-mmio), prints the results on ttyS0, and reports 0 (all good)
 * or the code of the first failed check on the exit port. */
#include "guest.h"

void guest_main(const uint8_t *bp);

/* echo=1: copy console input to output until a newline, report its length
 * (tests the UART's receive path; polled, interrupts stay off). */
static void echo(void)
{
	uint32_t n = 0;

	puts_("testguest: echo ready\n");
	for (;;) {
		while (!(inb(0x3f8 + 5) & 1))
			__asm__ volatile("pause");
		char c[2] = {(char)inb(0x3f8), 0};
		if (c[0] == '\n')
			break;
		puts_(c);
		n++;
	}
	puts_("\n");
	guest_exit(n & 0xff);
}

void guest_main(const uint8_t *bp)
{
	const char *cmdline = (const char *)(uint64_t) * (const uint32_t *)(bp + 0x228);
	const char *h;
	size_t hl;
	int r;

	mark(1); /* "init reached": kernel boot is done, for us at once */
	puts_("testguest: started, cmdline: ");
	puts_(cmdline ? cmdline : "(none)");
	puts_("\n");
	if (cmdline_arg(cmdline, "echo", &hl))
		echo();
	h = cmdline_arg(cmdline, "hostile", &hl);
	if (h)
		hostile(h, hl, bp);
	mark(2);
	r = check_zero_page(bp);
	if (!r)
		r = check_cpu(bp);
	if (!r)
		r = check_acpi(bp, cmdline);
	mark(3);
	if (!r)
		puts_("testguest: all checks passed\n");
	guest_exit((uint32_t)(h ? 99 : r));
}
