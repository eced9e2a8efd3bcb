/* 8250/16550A UART at 0x3f8, IRQ 4 (ttyS0): enough for Linux's 8250 driver
 * (scratch, loopback and FIFO probes, THRE and RX interrupts) and for
 * earlyprintk's polling.  Transmit is immediate: every THR write goes to the
 * console fd, so THRE is always set.  An input thread feeds the RX FIFO from
 * the console input fd.  Each complete output line is also handed to the VM
 * (kernel panic detection). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/error.h"
#include "vm/vm_internal.h"

#define UART_BASE    0x3f8
#define UART_IRQ     4
#define RX_FIFO	     64
#define LINE_MAX_LEN 256

#define IER_RDI	 0x01
#define IER_THRI 0x02
#define IIR_NONE 0x01
#define IIR_THRI 0x02
#define IIR_RDI	 0x04
#define IIR_FIFO 0xc0
#define LCR_DLAB 0x80
#define LSR_DR	 0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MCR_LOOP 0x10

struct cl_uart {
	struct cl_vm_dev dev;
	struct cl_vm *vm;
	pthread_mutex_t lock;
	pthread_cond_t space;
	int in_fd, out_fd, stop_fd;
	pthread_t in_thread;
	int in_started;

	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	bool thri_pending; /* THRE interrupt not yet acknowledged */
	int irq_level;
	uint8_t rx[RX_FIFO];
	unsigned rx_head, rx_len;

	char line[LINE_MAX_LEN];
	size_t line_len;
};

static uint8_t iir(struct cl_uart *u)
{
	uint8_t fifo = (u->fcr & 1) ? IIR_FIFO : 0;

	if ((u->ier & IER_RDI) && u->rx_len)
		return IIR_RDI | fifo;
	if ((u->ier & IER_THRI) && u->thri_pending)
		return IIR_THRI | fifo;
	return IIR_NONE | fifo;
}

static void update_irq(struct cl_uart *u)
{
	int level = !(iir(u) & IIR_NONE);

	if (level != u->irq_level) {
		u->irq_level = level;
		u->dev.set_irq(&u->dev, level);
	}
}

static void out_byte(struct cl_uart *u, uint8_t c)
{
	if (u->out_fd >= 0) {
		ssize_t r;

		/* a kick (EINTR) while the VM stops ends a write blocked on a
		 * full pipe; a console that went away (EPIPE...) drops output */
		do
			r = write(u->out_fd, &c, 1);
		while (r < 0 && errno == EINTR && !atomic_load(&u->vm->stopping));
	}
	if (c == '\n' || u->line_len == LINE_MAX_LEN - 1) {
		u->line[u->line_len] = 0;
		cl_vm_console_line(u->vm, u->line, u->line_len);
		u->line_len = 0;
	} else if (c != '\r') {
		u->line[u->line_len++] = (char)c;
	}
}

static int uart_read(struct cl_vm_dev *d, uint64_t off, void *data, unsigned len,
		     struct cl_err *err)
{
	struct cl_uart *u = d->opaque;
	uint8_t v = 0;

	pthread_mutex_lock(&u->lock);
	switch (off) {
	case 0:
		if (u->lcr & LCR_DLAB) {
			v = u->dll;
		} else if (u->rx_len) {
			v = u->rx[u->rx_head];
			u->rx_head = (u->rx_head + 1) % RX_FIFO;
			u->rx_len--;
			pthread_cond_signal(&u->space);
		}
		break;
	case 1: v = (u->lcr & LCR_DLAB) ? u->dlm : u->ier; break;
	case 2:
		v = iir(u);
		/* reading IIR acknowledges the THRE interrupt it reports */
		if ((v & 0x0f) == IIR_THRI)
			u->thri_pending = false;
		break;
	case 3: v = u->lcr; break;
	case 4: v = u->mcr; break;
	case 5: v = LSR_THRE | LSR_TEMT | (u->rx_len ? LSR_DR : 0); break;
	case 6:
		if (u->mcr & MCR_LOOP) /* DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD */
			v = (uint8_t)(((u->mcr & 1) << 5) | ((u->mcr & 2) << 3) |
				      ((u->mcr & 4) << 4) | ((u->mcr & 8) << 4));
		else
			v = 0xb0; /* DCD, DSR, CTS */
		break;
	case 7: v = u->scr; break;
	}
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
	memset(data, 0, len);
	*(uint8_t *)data = v;
	return 0;
}

static int uart_write(struct cl_vm_dev *d, uint64_t off, const void *data, unsigned len,
		      struct cl_err *err)
{
	struct cl_uart *u = d->opaque;
	uint8_t v = *(const uint8_t *)data;

	pthread_mutex_lock(&u->lock);
	switch (off) {
	case 0:
		if (u->lcr & LCR_DLAB) {
			u->dll = v;
		} else {
			if (!(u->mcr & MCR_LOOP))
				out_byte(u, v);
			u->thri_pending = true;
		}
		break;
	case 1:
		if (u->lcr & LCR_DLAB) {
			u->dlm = v;
		} else {
			/* enabling THRI while THR is empty raises it at once */
			if ((v & IER_THRI) && !(u->ier & IER_THRI))
				u->thri_pending = true;
			u->ier = v & 0x0f;
		}
		break;
	case 2:
		u->fcr = v;
		if (v & 2) { /* clear RX FIFO */
			u->rx_len = 0;
			pthread_cond_signal(&u->space);
		}
		break;
	case 3: u->lcr = v; break;
	case 4: u->mcr = v & 0x1f; break;
	case 7: u->scr = v; break;
	}
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return 0;
}

static void *input_thread(void *arg)
{
	struct cl_uart *u = arg;
	sigset_t all;
	bool eof = false;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_setname_np(pthread_self(), "console-in");
	if (u->vm->cfg->confine_thread) {
		struct cl_err err = {0};

		if (u->vm->cfg->confine_thread(CL_VM_THREAD_IO, -1, &err) < 0) {
			cl_vm_stop_err(u->vm, &err);
			return NULL;
		}
	}
	for (;;) {
		struct pollfd p[2] = {{.fd = u->in_fd, .events = POLLIN},
				      {.fd = u->stop_fd, .events = POLLIN}};
		uint8_t buf[RX_FIFO];
		unsigned space;
		ssize_t n;

		pthread_mutex_lock(&u->lock);
		while ((u->rx_len == RX_FIFO || !atomic_load(&u->vm->input_open)) &&
		       !atomic_load(&u->vm->stopping))
			pthread_cond_wait(&u->space, &u->lock);
		space = RX_FIFO - u->rx_len;
		pthread_mutex_unlock(&u->lock);
		if (atomic_load(&u->vm->stopping))
			break;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		n = read(u->in_fd, buf, space);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == 0) {
			/* EOF: the guest's console is in canonical mode (cloison-init
			 * sets it so), where ^D ends the input as a pipe's EOF does. */
			buf[0] = 0x04;
			n = 1;
			eof = true;
		}
		if (n < 0)
			break;
		pthread_mutex_lock(&u->lock);
		for (ssize_t i = 0; i < n && u->rx_len < RX_FIFO; i++) {
			u->rx[(u->rx_head + u->rx_len) % RX_FIFO] = buf[i];
			u->rx_len++;
		}
		update_irq(u);
		pthread_mutex_unlock(&u->lock);
		if (eof)
			break;
	}
	return NULL;
}

void cl_uart_wake(struct cl_vm_dev *d)
{
	struct cl_uart *u = d->opaque;

	pthread_mutex_lock(&u->lock);
	pthread_cond_broadcast(&u->space);
	pthread_mutex_unlock(&u->lock);
}

struct cl_vm_dev *cl_uart_new(struct cl_vm *vm, int in_fd, int out_fd, struct cl_err *err)
{
	struct cl_uart *u = calloc(1, sizeof(*u));

	if (!u) {
		cl_fail(err, errno, "cannot allocate the UART");
		return NULL;
	}
	u->vm = vm;
	u->in_fd = in_fd;
	u->out_fd = out_fd;
	u->stop_fd = -1;
	u->lcr = 0x03;
	u->mcr = 0x08;
	pthread_mutex_init(&u->lock, NULL);
	pthread_cond_init(&u->space, NULL);
	u->dev = (struct cl_vm_dev){.name = "uart8250",
				    .pio = true,
				    .base = UART_BASE,
				    .len = 8,
				    .irq = UART_IRQ,
				    .opaque = u,
				    .read = uart_read,
				    .write = uart_write};
	vm->uart = u;
	return &u->dev;
}

int cl_uart_start_input(struct cl_vm_dev *d, struct cl_err *err)
{
	struct cl_uart *u = d->opaque;
	int r;

	if (u->in_fd < 0)
		return 0;
	u->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (u->stop_fd < 0)
		return cl_fail(err, errno, "eventfd");
	r = pthread_create(&u->in_thread, NULL, input_thread, u);
	if (r)
		return cl_fail(err, r, "cannot start the console input thread");
	u->in_started = 1;
	return 0;
}

void cl_uart_free(struct cl_vm_dev *d)
{
	struct cl_uart *u;

	if (!d)
		return;
	u = d->opaque;
	if (u->in_started) {
		uint64_t one = 1;

		pthread_mutex_lock(&u->lock);
		pthread_cond_broadcast(&u->space);
		pthread_mutex_unlock(&u->lock);
		if (write(u->stop_fd, &one, sizeof(one)) < 0) {
			/* cannot happen with an eventfd; the join would hang */
		}
		pthread_join(u->in_thread, NULL);
	}
	if (u->stop_fd >= 0)
		close(u->stop_fd);
	if (u->line_len) {
		u->line[u->line_len] = 0;
		cl_vm_console_line(u->vm, u->line, u->line_len);
	}
	pthread_mutex_destroy(&u->lock);
	pthread_cond_destroy(&u->space);
	free(u);
}
