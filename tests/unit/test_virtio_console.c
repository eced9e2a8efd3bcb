/* virtio-console: transmit, receive, flow control, threads. */
#include "virtio_guest.h"

/* ================= virtio-console ================= */

static void t_console(void)
{
	int in[2], out[2];
	struct cl_err e = {0};
	struct cl_vm_dev *d;
	struct gq rx, tx;
	struct pollfd pfd[CL_VIRTIO_CONSOLE_POLLFDS];
	char buf[64] = {0};
	int n;

	if (pipe2(in, O_NONBLOCK) || pipe2(out, O_NONBLOCK))
		exit(1);
	d = cl_virtio_console_new(&mem, CL_VIRTIO_MMIO_BASE + 0x1000, 6, in[0], out[1], &e);
	CHECK(d, "cl_virtio_console_new: %s", e.msg);
	if (!d)
		return;
	d->set_irq = set_irq;
	CHECK(rd(d, 0x008) == 3, "device id %u", rd(d, 8));
	CHECK(negotiate(d, V1), "features");
	queue_setup(d, &rx, 0, 8, Q_DESC, Q_AVAIL, Q_USED);
	queue_setup(d, &tx, 1, 8, Q1_DESC, Q1_AVAIL, Q1_USED);
	driver_ok(d);

	/* transmit "hello world" from two buffers */
	memcpy(mem.host + 0x20000, "hello ", 6);
	memcpy(mem.host + 0x21000, "world", 5);
	desc(&tx, 0, 0x20000, 6, F_NEXT, 1);
	desc(&tx, 1, 0x21000, 5, 0, 0);
	submit(d, &tx, 0);
	n = read(out[0], buf, sizeof(buf) - 1);
	CHECK(n == 11 && !memcmp(buf, "hello world", 11), "output '%.*s'", n > 0 ? n : 0, buf);
	CHECK(used_idx(&tx) == 1 && irq_raises == 1, "tx used %u raises %d", used_idx(&tx),
	      irq_raises);
	wr(d, 0x064, 1);

	/* receive: input arrives before any buffer is posted */
	CHECK(write(in[1], "abc", 3) == 3, "write input");
	n = cl_virtio_console_pollfds(d, pfd);
	CHECK(n == 2, "pollfds %d", n);
	CHECK(poll(pfd, n, 1000) >= 1, "poll");
	CHECK(cl_virtio_console_poll_input(d, pfd, n, &e) == 0, "poll_input: %s", e.msg);
	CHECK(used_idx(&rx) == 0, "rx used without buffers");
	desc(&rx, 0, 0x30000, 2, F_WRITE, 0);
	desc(&rx, 1, 0x31000, 16, F_WRITE, 0);
	submit(d, &rx, 0); /* the kick delivers what was waiting */
	CHECK(used_idx(&rx) == 1 && used_len(&rx, 0) == 2 && !memcmp(mem.host + 0x30000, "ab", 2),
	      "first rx buffer: used %u len %u", used_idx(&rx), used_len(&rx, 0));
	submit(d, &rx, 1);
	CHECK(used_idx(&rx) == 2 && used_len(&rx, 1) == 1 && mem.host[0x31000] == 'c',
	      "second rx buffer: used %u len %u", used_idx(&rx), used_len(&rx, 1));
	CHECK(irq_level == 1, "rx irq");
	wr(d, 0x064, 1);

	/* flood: 10000 bytes with no buffers posted; the input fd must leave
	 * the poll set once the device's buffer is full */
	{
		static char big[10000];
		int rounds = 0;

		memset(big, 'x', sizeof(big));
		CHECK(write(in[1], big, sizeof(big)) == (ssize_t)sizeof(big), "flood write");
		while ((n = cl_virtio_console_pollfds(d, pfd)) == 2 && rounds++ < 10) {
			poll(pfd, n, 1000);
			cl_virtio_console_poll_input(d, pfd, n, &e);
		}
		CHECK(n == 1, "input fd still polled when full (%d rounds)", rounds);
		pfd[0].revents = 0;
		CHECK(poll(pfd, 1, 0) == 0, "wake fd readable before any buffer");
		desc(&rx, 2, 0x40000, 8192, F_WRITE, 0);
		submit(d, &rx, 2);
		CHECK(used_len(&rx, 2) == 4096, "delivered %u", used_len(&rx, 2));
		CHECK(poll(pfd, 1, 0) == 1, "guest buffer did not wake the I/O loop");
		n = cl_virtio_console_pollfds(d, pfd);
		CHECK(n == 2, "input fd not polled again (%d)", n);
		poll(pfd, n, 1000);
		cl_virtio_console_poll_input(d, pfd, n, &e);
	}

	/* hostile transmit chain */
	desc(&tx, 2, 0x20000, 6, F_NEXT, 2);
	submit(d, &tx, 2);
	CHECK(failed_with(d, "loops at index 2"), "tx loop");
	cl_virtio_free(d);
	close(in[0]);
	close(in[1]);
	close(out[0]);
	close(out[1]);
}

/* An I/O thread feeds input while the "vCPU" (this thread) consumes and
 * reposts receive buffers and transmits: nothing lost, reordered or stuck. */
static struct cl_vm_dev *io_dev;
static int io_stop;

static void *io_thread(void *arg)
{
	struct pollfd pfd[CL_VIRTIO_CONSOLE_POLLFDS];
	struct cl_err e;

	while (!__atomic_load_n(&io_stop, __ATOMIC_ACQUIRE)) {
		int n = cl_virtio_console_pollfds(io_dev, pfd);

		if (poll(pfd, n, 10) > 0 && cl_virtio_console_poll_input(io_dev, pfd, n, &e) < 0)
			printf("# poll_input: %s\n", e.msg);
	}
	return NULL;
}

static void t_console_threads(void)
{
	enum { TOTAL = 200000, NBUF = 8, BUFLEN = 300 };
	static uint8_t pattern[TOTAL];
	int in[2], out;
	struct cl_err e = {0};
	struct gq rx, tx;
	pthread_t th;
	size_t sent = 0, got = 0, bad = 0;
	uint16_t seen = 0;
	int spins = 0;

	for (size_t i = 0; i < TOTAL; i++)
		pattern[i] = (i * 7 + i / 251) & 0xff;
	if (pipe2(in, O_NONBLOCK) || (out = open("/dev/null", O_WRONLY)) < 0)
		exit(1);
	io_dev = cl_virtio_console_new(&mem, CL_VIRTIO_MMIO_BASE, 6, in[0], out, &e);
	io_dev->set_irq = set_irq;
	negotiate(io_dev, V1 | EVENT_IDX);
	queue_setup(io_dev, &rx, 0, NBUF, Q_DESC, Q_AVAIL, Q_USED);
	queue_setup(io_dev, &tx, 1, 8, Q1_DESC, Q1_AVAIL, Q1_USED);
	driver_ok(io_dev);
	for (unsigned i = 0; i < NBUF; i++) {
		desc(&rx, i, 0x50000 + 0x1000 * i, BUFLEN, F_WRITE, 0);
		submit(io_dev, &rx, i);
	}
	memcpy(mem.host + 0x20000, "tx", 2);
	desc(&tx, 0, 0x20000, 2, 0, 0);
	__atomic_store_n(&io_stop, 0, __ATOMIC_RELEASE);
	pthread_create(&th, NULL, io_thread, NULL);
	while (got < TOTAL && spins < 5000000) {
		uint16_t u;

		spins++;
		if (sent < TOTAL) {
			ssize_t w =
			    write(in[1], pattern + sent, TOTAL - sent < 1000 ? TOTAL - sent : 1000);

			if (w > 0)
				sent += w;
		}
		submit(io_dev, &tx, 0); /* the vCPU keeps the device busy meanwhile */
		u = __atomic_load_n((uint16_t *)(mem.host + Q_USED + 2), __ATOMIC_ACQUIRE);
		while (seen != u) {
			uint32_t id = used_id(&rx, seen), len = used_len(&rx, seen);

			if (id >= NBUF || len > BUFLEN || got + len > TOTAL ||
			    memcmp(mem.host + 0x50000 + 0x1000 * id, pattern + got, len))
				bad++;
			got += len;
			seen++;
			submit(io_dev, &rx, id);
		}
	}
	__atomic_store_n(&io_stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	CHECK(got == TOTAL && bad == 0, "received %zu of %d bytes, %zu bad buffers", got, TOTAL,
	      bad);
	CHECK(!cl_virtio_failure(io_dev), "failed: %s", cl_virtio_failure(io_dev));
	cl_virtio_free(io_dev);
	close(in[0]);
	close(in[1]);
	close(out);
}

/* The device's own input thread delivers input without any help. */
static void t_console_input_thread(void)
{
	int in[2];
	struct cl_err e = {0};
	struct cl_vm_dev *d;
	struct gq rx;
	int waited = 0;

	if (pipe2(in, O_CLOEXEC))
		exit(1);
	d = cl_virtio_console_new(&mem, CL_VIRTIO_MMIO_BASE, 6, in[0], -1, &e);
	d->set_irq = set_irq;
	negotiate(d, V1);
	queue_setup(d, &rx, 0, 8, Q_DESC, Q_AVAIL, Q_USED);
	driver_ok(d);
	CHECK(cl_virtio_console_start_input_thread(d, &e) == 0, "start: %s", e.msg);
	CHECK(write(in[1], "early", 5) == 5, "write");
	usleep(20000); /* input waits in the device: no buffer yet */
	desc(&rx, 0, 0x30000, 64, F_WRITE, 0);
	submit(d, &rx, 0);
	while (__atomic_load_n((uint16_t *)(mem.host + Q_USED + 2), __ATOMIC_ACQUIRE) < 1 &&
	       waited++ < 200)
		usleep(10000);
	CHECK(used_idx(&rx) == 1 && used_len(&rx, 0) == 5 &&
		  !memcmp(mem.host + 0x30000, "early", 5),
	      "delivered %u bytes", used_len(&rx, 0));
	desc(&rx, 1, 0x31000, 64, F_WRITE, 0);
	submit(d, &rx, 1);
	CHECK(write(in[1], "late", 4) == 4, "write");
	waited = 0;
	while (__atomic_load_n((uint16_t *)(mem.host + Q_USED + 2), __ATOMIC_ACQUIRE) < 2 &&
	       waited++ < 200)
		usleep(10000);
	CHECK(used_idx(&rx) == 2 && used_len(&rx, 1) == 4 && !memcmp(mem.host + 0x31000, "late", 4),
	      "second delivery %u bytes", used_len(&rx, 1));
	cl_virtio_console_stop_input_thread(d);
	cl_virtio_console_stop_input_thread(d); /* idempotent */
	CHECK(cl_virtio_console_start_input_thread(d, &e) == 0, "restart: %s", e.msg);
	cl_virtio_free(d); /* stops it */
	close(in[0]);
	close(in[1]);
}

/* Input held back until the guest's first output (its side of hvc0 is open). */
static void t_console_hold(void)
{
	int in[2];
	struct cl_err e = {0};
	struct cl_vm_dev *d;
	struct gq rx, tx;
	struct pollfd pfd[CL_VIRTIO_CONSOLE_POLLFDS];
	int n;

	if (pipe2(in, O_NONBLOCK))
		exit(1);
	d = cl_virtio_console_new(&mem, CL_VIRTIO_MMIO_BASE, 6, in[0], -1, &e);
	d->set_irq = set_irq;
	cl_virtio_console_hold_input_until_output(d, true);
	negotiate(d, V1);
	queue_setup(d, &rx, 0, 8, Q_DESC, Q_AVAIL, Q_USED);
	queue_setup(d, &tx, 1, 8, Q1_DESC, Q1_AVAIL, Q1_USED);
	driver_ok(d);
	desc(&rx, 0, 0x30000, 64, F_WRITE, 0);
	submit(d, &rx, 0);
	CHECK(write(in[1], "typed early", 11) == 11, "write");
	n = cl_virtio_console_pollfds(d, pfd);
	poll(pfd, n, 1000);
	cl_virtio_console_poll_input(d, pfd, n, &e);
	CHECK(used_idx(&rx) == 0, "input delivered before any guest output");
	memcpy(mem.host + 0x20000, "$ ", 2);
	desc(&tx, 0, 0x20000, 2, 0, 0);
	submit(d, &tx, 0);
	CHECK(used_idx(&rx) == 1 && used_len(&rx, 0) == 11 &&
		  !memcmp(mem.host + 0x30000, "typed early", 11),
	      "input not released by the first output (used %u)", used_idx(&rx));
	/* a reset (new driver) holds input again */
	negotiate(d, V1);
	queue_setup(d, &rx, 0, 8, Q_DESC, Q_AVAIL, Q_USED);
	queue_setup(d, &tx, 1, 8, Q1_DESC, Q1_AVAIL, Q1_USED);
	memset(mem.host + Q_DESC, 0, 0x6000);
	driver_ok(d);
	desc(&rx, 0, 0x30000, 64, F_WRITE, 0);
	submit(d, &rx, 0);
	CHECK(write(in[1], "again", 5) == 5, "write");
	n = cl_virtio_console_pollfds(d, pfd);
	poll(pfd, n, 1000);
	cl_virtio_console_poll_input(d, pfd, n, &e);
	CHECK(used_idx(&rx) == 0, "input delivered after reset before output");
	cl_virtio_console_hold_input_until_output(d, false);
	CHECK(used_idx(&rx) == 1 && used_len(&rx, 0) == 5, "input not released by the API");
	cl_virtio_free(d);
	close(in[0]);
	close(in[1]);
}

/* Output to a reader that went away: dropped with one warning, guest unharmed. */
static void t_console_broken_output(void)
{
	int out[2];
	struct cl_err e = {0};
	struct cl_vm_dev *d;
	struct gq rx, tx;
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);

	if (pipe(out))
		exit(1);
	close(out[0]);
	d = cl_virtio_console_new(&mem, CL_VIRTIO_MMIO_BASE, 6, -1, out[1], &e);
	d->set_irq = set_irq;
	negotiate(d, V1);
	queue_setup(d, &rx, 0, 8, Q_DESC, Q_AVAIL, Q_USED);
	queue_setup(d, &tx, 1, 8, Q1_DESC, Q1_AVAIL, Q1_USED);
	driver_ok(d);
	memcpy(mem.host + 0x20000, "lost", 4);
	desc(&tx, 0, 0x20000, 4, 0, 0);
	submit(d, &tx, 0);
	submit(d, &tx, 0);
	CHECK(used_idx(&tx) == 2 && !cl_virtio_failure(d), "tx not completed (used %u)",
	      used_idx(&tx));
	cl_virtio_free(d);
	close(out[1]);
	signal(SIGPIPE, old);
}

static void t_console_eof(void)
{
	int in[2];
	struct cl_err e = {0};
	struct cl_vm_dev *d;
	struct pollfd pfd[CL_VIRTIO_CONSOLE_POLLFDS];
	int n;

	if (pipe(in))
		exit(1);
	d = cl_virtio_console_new(&mem, CL_VIRTIO_MMIO_BASE, 6, in[0], -1, &e);
	close(in[1]);
	n = cl_virtio_console_pollfds(d, pfd);
	poll(pfd, n, 1000);
	CHECK(cl_virtio_console_poll_input(d, pfd, n, &e) == 0, "EOF: %s", e.msg);
	CHECK(cl_virtio_console_pollfds(d, pfd) == 1, "input still polled after EOF");
	cl_virtio_free(d);
	close(in[0]);
}

void virtio_console_tests(void)
{
	run("console: transmit, receive, flow control", t_console);
	run("console: input EOF", t_console_eof);
	run("console: output reader gone", t_console_broken_output);
	run("console: I/O thread and vCPU thread together", t_console_threads);
	run("console: the device's own input thread", t_console_input_thread);
	run("console: input held until the guest's first output", t_console_hold);
}
