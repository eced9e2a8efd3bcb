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

/* The command of a "cloison run --vm" reaches the guest only inside the
 * initramfs: its spec archive (src/guest/spec.h) is the last one and holds
 * "arg=..." records.  Look for @rec in the initrd's last 4 KiB. */
static int initrd_has(const uint8_t *bp, const char *rec)
{
	uint64_t addr = *(const uint32_t *)(bp + 0x218), size = *(const uint32_t *)(bp + 0x21c);
	size_t rl = strlen(rec) + 1; /* with its NUL */
	uint64_t from = size > 4096 ? size - 4096 : 0;

	if (!addr || size < rl)
		return 0;
	for (uint64_t i = from; i + rl <= size; i++)
		if (!memcmp((const void *)(addr + i), rec, rl))
			return 1;
	return 0;
}

/* "cloison run --vm -- testguest-spin": never exit, never halt (the
 * watchdog leaves a busy guest alone), so a test can look at the running
 * monitor and then kill it. */
static void spin(void)
{
	puts_("testguest: spinning\n");
	for (;;)
		__asm__ volatile("pause");
}

/* The bench variants (tests/bench/run-bench-vm), chosen with bench=MODE:
 *   bench=1          print one marker line, exit 0 at once (no checks)
 *   bench=console:N  the marker, then N KiB on the UART, then exit 0
 *   bench=wait       the marker, then wait for one byte of console input
 *                    (the host reads the VMM's /proc/PID/smaps meanwhile)
 *   bench=exits      the marker, then the cost of VM exits in TSC cycles:
 *                    port I/O and MMIO (the VMM's device models, in user
 *                    space: a round trip through the kernel to cloison and
 *                    back), cpuid (handled in the kernel); also chosen with
 *                    "cloison run --vm -- testguest-bench-exits" (cloison
 *                    bench, on a host whose /dev/kvm cannot boot Linux)
 * `cloison run --vm` sets its own command line, so MODE is also read from
 * tg_args: run-bench-vm patches "bench=..." after the magic in a copy of the
 * image, and the very same file then boots under cloison and QEMU. */
#define TG_ARGS_MAGIC "@@CLOISON-TG-ARGS@@"
char tg_args[sizeof(TG_ARGS_MAGIC) + 64] = TG_ARGS_MAGIC;

const char *bench_arg(const char *cmdline, size_t *len)
{
	const char *a = cmdline_arg(cmdline, "bench", len);
	const char *b = tg_args + sizeof(TG_ARGS_MAGIC) - 1;

	__asm__("" : "+r"(b)); /* patched after the build: never constant-fold */
	return a ? a : cmdline_arg(b, "bench", len);
}

#define COM1 0x3f8

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* "exits pio C mmio C cpuid C": cycles per exit, the best of 5 rounds of
 * 2000 (the best: an interrupt or a host preemption inflates a round). */
static void exits(void)
{
	const uint64_t mmio = 0xd0000000ULL; /* the first virtio-mmio slot (or none) */
	uint64_t best[3] = {~0ULL, ~0ULL, ~0ULL};
	const int n = 2000;
	uint32_t r[4];

	for (int round = 0; round < 5; round++) {
		uint64_t t0 = rdtsc(), t1, t2, t3;
		for (int i = 0; i < n; i++)
			(void)inb(COM1 + 7); /* the UART's scratch register */
		t1 = rdtsc();
		for (int i = 0; i < n; i++)
			(void)mmio_read32(mmio);
		t2 = rdtsc();
		for (int i = 0; i < n; i++)
			cpuid(0, 0, r);
		t3 = rdtsc();
		if (t1 - t0 < best[0])
			best[0] = t1 - t0;
		if (t2 - t1 < best[1])
			best[1] = t2 - t1;
		if (t3 - t2 < best[2])
			best[2] = t3 - t2;
	}
	puts_("testguest: exits pio ");
	putu(best[0] / (uint64_t)n);
	puts_(" mmio ");
	putu(best[1] / (uint64_t)n);
	puts_(" cpuid ");
	putu(best[2] / (uint64_t)n);
	puts_("\n");
}

void bench(const char *v, size_t len)
{
	/* markers as cloison-init's: the marker line and the workload are the
	 * "command", so CLOISON_VM_TIMES splits set-up / boot / command; EXEC
	 * also opens the console input (cloison forwards it only after EXEC) */
	mark(2);
	puts_("testguest: bench\n");
	if (len > 8 && !memcmp(v, "console:", 8)) {
		uint64_t kib = 0;
		for (size_t i = 8; i < len && v[i] >= '0' && v[i] <= '9'; i++)
			kib = kib * 10 + (uint64_t)(v[i] - '0');
		/* as Linux's 8250 driver: FIFO on, up to 16 bytes per THRE */
		outb(COM1 + 2, 0x07);
		for (uint64_t n = 0; n < kib * 1024; n += 16) {
			for (int i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
				;
			for (int i = 0; i < 16; i++)
				outb(COM1,
				     (uint8_t)((n + i) % 64 == 63 ? '\n' : 'a' + (n + i) % 26));
		}
		puts_("testguest: bench done\n");
	} else if (len == 5 && !memcmp(v, "exits", 5)) {
		exits();
	} else if (len == 4 && !memcmp(v, "wait", 4)) {
		puts_("testguest: bench waiting\n");
		for (uint64_t i = 0; i < (1ULL << 32) && !(inb(COM1 + 5) & 1); i++)
			__asm__ volatile("pause");
	}
	mark(3);
	guest_exit(0);
}

void guest_main(const uint8_t *bp)
{
	const char *cmdline = (const char *)(uint64_t) * (const uint32_t *)(bp + 0x228);
	const char *h;
	size_t hl;
	int r;

	/* "testguest-boot-stall": a boot that stops making progress before
	 * init, as a stock kernel does on PVM (the VMM's boot watchdog) */
	if (cmdline_arg(cmdline, "bootstall", &hl) || initrd_has(bp, "arg=testguest-boot-stall")) {
		puts_("testguest: stalling before init\n");
		for (;;)
			__asm__ volatile("pause");
	}
	mark(1); /* "init reached": kernel boot is done, for us at once */
	h = bench_arg(cmdline, &hl);
	if (h)
		bench(h, hl);
	if (initrd_has(bp, "arg=testguest-bench-exits"))
		bench("exits", 5);
	if (initrd_has(bp, "arg=testguest-net"))
		net_test(bp, 0);
	if (initrd_has(bp, "arg=testguest-net-hostile"))
		net_test(bp, 1);
	if (initrd_has(bp, "arg=testguest-hostile-virtio"))
		hostile("virtio", 6, bp);
	puts_("testguest: started, cmdline: ");
	puts_(cmdline ? cmdline : "(none)");
	puts_("\n");
	if (cmdline_arg(cmdline, "echo", &hl))
		echo();
	if (cmdline_arg(cmdline, "spin", &hl) || initrd_has(bp, "arg=testguest-spin"))
		spin();
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
