/* cl_vm_run(): build the machine, run one thread per vCPU, and wait for the
 * first reason to stop (exit port, error, reset, panic, watchdog, timeout).
 *
 * Stopping: vCPU threads are kicked with CL_VM_KICK_SIGNAL; its handler sets
 * kvm_run.immediate_exit so a kick cannot be lost between the "stopping?"
 * check and KVM_RUN.  The same kick lets the main thread sample every vCPU
 * (MP state, RFLAGS.IF) to notice a guest that halted with interrupts off on
 * every CPU and so can never wake. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/error.h"
#include "util/file.h"
#include "vm/acpi.h"
#include "vm/boot_image.h"
#include "vm/kvm.h"
#include "vm/layout.h"
#include "vm/ports.h"
#include "vm/vm_internal.h"

#define WATCH_PERIOD_MS	 200
#define WATCH_IDLE_TICKS 3
#define MAX_KERNEL_FILE	 (512ULL << 20)

uint64_t cl_vm_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void stop_locked(struct cl_vm *vm)
{
	vm->t.exit = cl_vm_now();
	atomic_store(&vm->stopping, 1);
	pthread_cond_broadcast(&vm->cond);
}

void cl_vm_stop_status(struct cl_vm *vm, int status)
{
	pthread_mutex_lock(&vm->lock);
	if (!atomic_load(&vm->stopping)) {
		vm->stopped_ok = 1;
		vm->status = status;
		stop_locked(vm);
	}
	pthread_mutex_unlock(&vm->lock);
}

void cl_vm_stop_err(struct cl_vm *vm, const struct cl_err *e)
{
	pthread_mutex_lock(&vm->lock);
	if (!atomic_load(&vm->stopping)) {
		vm->err = *e;
		stop_locked(vm);
	}
	pthread_mutex_unlock(&vm->lock);
}

void cl_vm_stop_fail(struct cl_vm *vm, int code, const char *fmt, ...)
{
	struct cl_err e = {.exit_code = code};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	cl_vm_stop_err(vm, &e);
}

void cl_vm_mark(struct cl_vm *vm, unsigned marker)
{
	if (marker < sizeof(vm->t.mark) / sizeof(vm->t.mark[0]) && !vm->t.mark[marker])
		vm->t.mark[marker] = cl_vm_now();
	if (marker == CL_MARK_EXEC && !atomic_exchange(&vm->input_open, 1) && vm->uart_dev)
		cl_uart_wake(vm->uart_dev);
}

/* Called by the UART for each line of console output. */
void cl_vm_console_line(struct cl_vm *vm, const char *line, size_t len)
{
	static const char panic[] = "Kernel panic - not syncing";
	const char *p = strstr(line, panic);

	if (p) {
		p += sizeof(panic) - 1;
		p += strspn(p, ": ");
		cl_vm_stop_fail(vm, CL_EXIT_FAILURE, "guest kernel panic: %s", p);
	}
}

/* ---- vCPU threads ---- */

static __thread struct kvm_run *cur_run;

static void kick_handler(int sig)
{
	if (cur_run)
		cur_run->immediate_exit = 1;
}

static uint64_t vcpu_rip(struct cl_vcpu *c)
{
	struct kvm_regs r;

	return ioctl(c->fd, KVM_GET_REGS, &r) < 0 ? 0 : r.rip;
}

static void sample(struct cl_vcpu *c)
{
	int gen = atomic_load(&c->vm->watch_gen);
	struct kvm_mp_state mp;
	struct kvm_regs r;
	int idle = 0;

	if (gen == c->sample_gen)
		return;
	if (ioctl(c->fd, KVM_GET_MP_STATE, &mp) == 0) {
		if (mp.mp_state == KVM_MP_STATE_HALTED && ioctl(c->fd, KVM_GET_REGS, &r) == 0 &&
		    !(r.rflags & 0x200))
			idle = 2; /* halted with interrupts off */
		else if (mp.mp_state == KVM_MP_STATE_UNINITIALIZED ||
			 mp.mp_state == KVM_MP_STATE_INIT_RECEIVED)
			idle = 1; /* an AP nobody started */
	}
	c->sample_idle = idle;
	__atomic_store_n(&c->sample_gen, gen, __ATOMIC_RELEASE);
}

static int handle_exit(struct cl_vcpu *c)
{
	struct cl_vm *vm = c->vm;
	struct kvm_run *run = c->run;
	struct cl_err err = {0};

	atomic_fetch_add(&vm->exits, 1);
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		if (cl_bus_pio(vm, run, &err) < 0)
			goto fail;
		return 0;
	case KVM_EXIT_MMIO:
		if (cl_bus_mmio(vm, run, &err) < 0)
			goto fail;
		return 0;
	case KVM_EXIT_HLT:
	case KVM_EXIT_IRQ_WINDOW_OPEN:
	case KVM_EXIT_INTR:
	case KVM_EXIT_DEBUG: return 0;
	case KVM_EXIT_SHUTDOWN:
		cl_vm_stop_fail(vm, CL_EXIT_FAILURE,
				"guest triple-faulted on vCPU %u (RIP 0x%llx): the virtual CPU "
				"reset before the guest reported an exit status",
				c->id, (unsigned long long)vcpu_rip(c));
		return -1;
	case KVM_EXIT_SYSTEM_EVENT: {
		const char *what = run->system_event.type == KVM_SYSTEM_EVENT_RESET   ? "reset"
				   : run->system_event.type == KVM_SYSTEM_EVENT_CRASH ? "crashed"
										      : "shut down";
		cl_vm_stop_fail(vm, CL_EXIT_FAILURE,
				"guest %s (system event %u) before reporting an exit status", what,
				run->system_event.type);
		return -1;
	}
	case KVM_EXIT_INTERNAL_ERROR:
		cl_vm_stop_fail(vm, CL_EXIT_FAILURE,
				"KVM internal error on vCPU %u (suberror %u%s) at RIP 0x%llx: the "
				"guest did something KVM cannot emulate",
				c->id, run->internal.suberror,
				run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION
				    ? ", instruction emulation failed"
				    : "",
				(unsigned long long)vcpu_rip(c));
		return -1;
	case KVM_EXIT_FAIL_ENTRY:
		cl_vm_stop_fail(vm, CL_EXIT_FAILURE,
				"KVM could not enter vCPU %u (hardware entry failure reason "
				"0x%llx): invalid guest CPU state",
				c->id,
				(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return -1;
	default:
		cl_vm_stop_fail(vm, CL_EXIT_FAILURE, "unexpected KVM exit %u on vCPU %u",
				run->exit_reason, c->id);
		return -1;
	}
fail:
	cl_wrap(&err, "vCPU %u", c->id);
	cl_vm_stop_err(vm, &err);
	return -1;
}

static void *vcpu_thread(void *arg)
{
	struct cl_vcpu *c = arg;
	struct cl_vm *vm = c->vm;
	sigset_t set;

	char name[16];
	struct cl_err err = {0};

	cur_run = c->run;
	sigfillset(&set);
	sigdelset(&set, CL_VM_KICK_SIGNAL);
	pthread_sigmask(SIG_SETMASK, &set, NULL);
	snprintf(name, sizeof(name), "vcpu%u", c->id);
	pthread_setname_np(pthread_self(), name);
	/* its own filter before the guest runs a single instruction */
	if (vm->cfg->confine_thread && vm->cfg->confine_thread(CL_VM_THREAD_VCPU, -1, &err) < 0) {
		cl_vm_stop_err(vm, &err);
		cur_run = NULL;
		return NULL;
	}
	while (!atomic_load(&vm->stopping)) {
		if (ioctl(c->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				c->run->immediate_exit = 0;
				sample(c);
				continue;
			}
			cl_vm_stop_fail(vm, CL_EXIT_FAILURE, "KVM_RUN failed on vCPU %u: %s", c->id,
					strerror(errno));
			break;
		}
		if (handle_exit(c) < 0)
			break;
	}
	cur_run = NULL;
	return NULL;
}

static void kick_all(struct cl_vm *vm)
{
	for (unsigned i = 0; i < vm->ncpus; i++)
		if (vm->vcpus[i].started == 1)
			pthread_kill(vm->vcpus[i].thread, CL_VM_KICK_SIGNAL);
}

/* Every WATCH_PERIOD_MS: look at the samples of the last kick, kick again. */
static void watchdog(struct cl_vm *vm, int *idle_ticks)
{
	int gen = atomic_load(&vm->watch_gen);
	bool all_idle = gen > 0, any_hlt = false;

	for (unsigned i = 0; i < vm->ncpus && all_idle; i++) {
		struct cl_vcpu *c = &vm->vcpus[i];

		if (__atomic_load_n(&c->sample_gen, __ATOMIC_ACQUIRE) != gen || !c->sample_idle)
			all_idle = false;
		else if (c->sample_idle == 2)
			any_hlt = true;
	}
	*idle_ticks = all_idle && any_hlt ? *idle_ticks + 1 : 0;
	if (*idle_ticks >= WATCH_IDLE_TICKS) {
		cl_vm_stop_fail(vm, CL_EXIT_FAILURE,
				"guest halted with interrupts disabled on every vCPU (hlt with "
				"IF=0): it can never run again");
		return;
	}
	atomic_store(&vm->watch_gen, gen + 1);
	kick_all(vm);
}

/* The boot watchdog (cfg->boot_watchdog_ms): true once the guest has gone
 * that long without an exit to the VMM before its init started. */
static bool boot_stalled(struct cl_vm *vm, uint64_t *last_exits, uint64_t *since)
{
	uint64_t now = cl_vm_now(), exits = atomic_load(&vm->exits);

	if (!vm->cfg->boot_watchdog_ms || vm->t.mark[CL_MARK_INIT])
		return false;
	if (exits != *last_exits || !*since) {
		*last_exits = exits;
		*since = now;
		return false;
	}
	return now - *since >= vm->cfg->boot_watchdog_ms * 1000000ULL;
}

static void wait_for_stop(struct cl_vm *vm)
{
	const struct cl_vm_config *cfg = vm->cfg;
	uint64_t last_exits = 0, since = 0;
	int idle_ticks = 0;

	pthread_mutex_lock(&vm->lock);
	while (!atomic_load(&vm->stopping)) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += WATCH_PERIOD_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&vm->cond, &vm->lock, &ts);
		if (atomic_load(&vm->stopping))
			break;
		pthread_mutex_unlock(&vm->lock);
		if (cfg->timeout_ms && cl_vm_now() - vm->t.start > cfg->timeout_ms * 1000000ULL)
			cl_vm_stop_fail(vm, CL_EXIT_TIMEOUT,
					"guest did not report an exit status within %u ms",
					cfg->timeout_ms);
		else if (boot_stalled(vm, &last_exits, &since))
			cl_vm_stop_fail(
			    vm, CL_EXIT_FAILURE,
			    "the guest made no progress for %u s while booting and never "
			    "reached its init (no exit to the VMM in that time: no console "
			    "output, no device access; %llu exits before); /dev/kvm here: "
			    "%s (CLOISON_VM_BOOT_WATCHDOG=SECONDS sets the limit)",
			    cfg->boot_watchdog_ms / 1000, (unsigned long long)last_exits,
			    vm->kvmdesc);
		else
			watchdog(vm, &idle_ticks);
		pthread_mutex_lock(&vm->lock);
	}
	pthread_mutex_unlock(&vm->lock);
}

static void join_all(struct cl_vm *vm)
{
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct cl_vcpu *c = &vm->vcpus[i];

		/* a thread may be inside a device handler: kick until it notices */
		while (c->started == 1) {
			struct timespec ts;

			pthread_kill(c->thread, CL_VM_KICK_SIGNAL);
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 10 * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			if (pthread_timedjoin_np(c->thread, NULL, &ts) == 0)
				c->started = 2;
		}
	}
}

/* ---- building the machine ---- */

int cl_vm_kernel_is_stock(const char *path, struct cl_err *err)
{
	_cleanup_free_ uint8_t *buf = NULL;
	struct cl_boot_image bi;
	size_t len;

	if (cl_read_file(path, "kernel", MAX_KERNEL_FILE, &buf, &len, err) < 0)
		return -1;
	if (cl_boot_image_parse(buf, len, &bi, err) < 0)
		return cl_wrap(err, "%s", path);
	return bi.testguest ? 0 : 1;
}

static int add_devices(struct cl_vm *vm, struct cl_acpi_mmio *mmio, unsigned *nmmio,
		       struct cl_err *err)
{
	const struct cl_vm_config *cfg = vm->cfg;
	struct cl_vm_dev *d;

	d = cl_uart_new(vm, cfg->console_in, cfg->console_out, err);
	if (!d || cl_bus_add(vm, d, err) < 0) {
		cl_uart_free(d);
		return -1;
	}
	vm->uart_dev = d;
	vm->nbuiltin = 1;
	struct cl_vm_dev *builtin[] = {cl_i8042_new(vm), cl_exitport_new(vm), cl_marker_new(vm)};
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
		if (!builtin[i]) {
			for (size_t j = i + 1; j < sizeof(builtin) / sizeof(builtin[0]); j++)
				free(builtin[j] && builtin[j]->opaque != vm ? builtin[j]->opaque
									    : (void *)builtin[j]);
			return cl_fail(err, ENOMEM, "cannot allocate devices");
		}
		if (cl_bus_add(vm, builtin[i], err) < 0)
			return -1;
		vm->nbuiltin++;
	}
	*nmmio = 0;
	for (size_t i = 0; i < cfg->n_extra_devs; i++) {
		d = cfg->extra_devs[i];
		if (!d->pio) {
			if (*nmmio == CL_VM_MMIO_MAX || d->irq < 0 || d->irq > 23 ||
			    d->base + d->len > 0x100000000ULL)
				return cl_fail(
				    err, 0,
				    "MMIO device %s: at most %d, below 4 GiB, with a GSI "
				    "0..23",
				    d->name, CL_VM_MMIO_MAX);
			mmio[(*nmmio)++] = (struct cl_acpi_mmio){d->base, d->len, (uint32_t)d->irq};
		}
		if (cl_bus_add(vm, d, err) < 0)
			return -1;
	}
	return 0;
}

/* Built-in devices only: extra devices belong to the caller. */
static void free_devices(struct cl_vm *vm)
{
	for (unsigned i = 0; i < vm->nbuiltin; i++) {
		struct cl_vm_dev *d = vm->devs[i];

		if (i == 0)
			cl_uart_free(d);
		else
			free(d->opaque == vm ? (void *)d : d->opaque); /* i8042: opaque owns dev */
	}
	vm->nbuiltin = 0;
}

static int build(struct cl_vm *vm, const uint8_t *kbuf, const struct cl_boot_image *bi,
		 struct cl_err *err)
{
	const struct cl_vm_config *cfg = vm->cfg;
	struct cl_acpi_mmio mmio[CL_VM_MMIO_MAX];
	struct cl_acpi_config ac;
	struct cl_boot_entry entry;
	const char *dump;
	uint64_t rsdp;
	unsigned nmmio = 0;

	vm->kvm_fd = cl_kvm_open(err);
	if (vm->kvm_fd < 0)
		return -1;
	vm->vm_fd = cl_kvm_create_vm(vm->kvm_fd, err);
	if (vm->vm_fd < 0)
		return -1;
	vm->mem.host = cl_kvm_add_ram(vm->vm_fd, vm->mem.size, err);
	if (!vm->mem.host)
		return -1;
	if (add_devices(vm, mmio, &nmmio, err) < 0)
		return -1;
	cl_boot_write_gdt_pagetables(vm->mem.host);
	ac = (struct cl_acpi_config){.ncpus = vm->ncpus, .mmio = mmio, .nmmio = nmmio};
	if (cl_acpi_build(vm->mem.host + CL_ACPI_ADDR, CL_ACPI_ADDR, CL_ACPI_SIZE, &ac, &rsdp,
			  err) < 0)
		return -1;
	dump = getenv("CLOISON_VM_DUMP_ACPI");
	if (dump && *dump &&
	    cl_acpi_dump(vm->mem.host + CL_ACPI_ADDR, CL_ACPI_ADDR, CL_ACPI_SIZE, dump, err) < 0)
		return -1;
	if (bi->kind == CL_BOOT_BZIMAGE) {
		if (cl_boot_load_bzimage(vm, kbuf, bi, rsdp, &entry, err) < 0)
			return -1;
	} else if (cl_boot_load_pvh(vm, kbuf, bi, rsdp, &entry, err) < 0) {
		return -1;
	}
	for (unsigned i = 0; i < vm->ncpus; i++)
		if (cl_vcpu_create(&vm->vcpus[i], vm->kvm_fd, vm->vm_fd, i, vm->ncpus, err) < 0)
			return -1;
	if (entry.long_mode) {
		if (cl_vcpu_enter_long_mode(&vm->vcpus[0], entry.rip, entry.arg, err) < 0)
			return -1;
	} else if (cl_vcpu_enter_prot32(&vm->vcpus[0], (uint32_t)entry.rip, (uint32_t)entry.arg,
					err) < 0) {
		return -1;
	}
	if (cfg->attach && cfg->attach(cfg->attach_ctx, &vm->mem, err) < 0)
		return cl_wrap(err, "cannot attach devices");
	return 0;
}

static int check_config(const struct cl_vm_config *cfg, unsigned *ncpus, uint64_t *mem,
			struct cl_err *err)
{
	*ncpus = cfg->vcpus ? cfg->vcpus : 1;
	*mem = cfg->mem_bytes ? cfg->mem_bytes : 256ULL << 20;
	if (!cfg->kernel)
		return cl_fail(err, 0, "no kernel given for the micro-VM");
	if (*ncpus > CL_VM_MAX_VCPUS)
		return cl_fail(err, 0, "%u vCPUs requested, at most %d", *ncpus, CL_VM_MAX_VCPUS);
	if (*mem < CL_MIN_MEM || *mem > CL_VM_MAX_MEM)
		return cl_fail(err, 0, "guest memory must be between %llu MiB and %llu MiB",
			       CL_MIN_MEM >> 20, CL_VM_MAX_MEM >> 20);
	*mem = (*mem + (2ULL << 20) - 1) & ~((2ULL << 20) - 1);
	return 0;
}

static void teardown(struct cl_vm *vm)
{
	kick_all(vm);
	join_all(vm);
	if (vm->cfg->stop)
		vm->cfg->stop(vm->cfg->attach_ctx);
	free_devices(vm);
	for (unsigned i = 0; i < vm->ncpus; i++)
		cl_vcpu_destroy(&vm->vcpus[i]);
	if (vm->mem.host)
		munmap(vm->mem.host, vm->mem.size);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	pthread_mutex_destroy(&vm->lock);
	pthread_mutex_destroy(&vm->bus_lock);
	pthread_cond_destroy(&vm->cond);
}

int cl_vm_run(const struct cl_vm_config *cfg, int *guest_status, struct cl_err *err)
{
	_cleanup_free_ struct cl_vm *vm = calloc(1, sizeof(*vm));
	_cleanup_free_ uint8_t *kbuf = NULL;
	struct cl_boot_image bi;
	struct sigaction sa;
	size_t klen;
	int ret = -1;

	if (!vm)
		return cl_fail(err, errno, "cannot allocate the VM");
	vm->t.start = cl_vm_now();
	vm->cfg = cfg;
	atomic_store(&vm->input_open, !cfg->console_in_after_exec);
	vm->kvm_fd = vm->vm_fd = -1;
	if (check_config(cfg, &vm->ncpus, &vm->mem.size, err) < 0)
		return -1;
	if (cl_read_file(cfg->kernel, "kernel", MAX_KERNEL_FILE, &kbuf, &klen, err) < 0)
		return -1;
	if (cl_boot_image_parse(kbuf, klen, &bi, err) < 0)
		return cl_wrap(err, "cannot boot %s", cfg->kernel);
	if (!bi.testguest && cl_kvm_probe(vm->kvmdesc, sizeof(vm->kvmdesc)) == 0 && !cfg->force)
		return cl_fail(err, 0,
			       "%s is a stock Linux kernel, but /dev/kvm here is %s: it needs "
			       "hardware virtualisation (VT-x/AMD-V); --force tries anyway",
			       cfg->kernel, vm->kvmdesc);
	if (bi.testguest)
		cl_kvm_probe(vm->kvmdesc, sizeof(vm->kvmdesc));

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler; /* no SA_RESTART: KVM_RUN must return EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(CL_VM_KICK_SIGNAL, &sa, NULL);
	pthread_mutex_init(&vm->lock, NULL);
	pthread_mutex_init(&vm->bus_lock, NULL);
	pthread_cond_init(&vm->cond, NULL);

	if (build(vm, kbuf, &bi, err) < 0)
		goto out;
	free(cl_steal_ptr(&kbuf));
	if (cfg->confine && cfg->confine(cfg, err) < 0) /* single-threaded still */
		goto out;
	if (cl_uart_start_input(vm->devs[0], err) < 0)
		goto out;
	if (cfg->start && cfg->start(cfg->attach_ctx, cfg->confine_thread, err) < 0)
		goto out;
	vm->t.setup = cl_vm_now();
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct cl_vcpu *c = &vm->vcpus[i];
		int r;

		c->vm = vm;
		r = pthread_create(&c->thread, NULL, vcpu_thread, c);
		if (r) {
			cl_vm_stop_fail(vm, CL_EXIT_FAILURE, "cannot start vCPU thread %u: %s", i,
					strerror(r));
			break;
		}
		c->started = 1;
	}
	wait_for_stop(vm);
	if (vm->stopped_ok) {
		*guest_status = vm->status;
		ret = 0;
	} else {
		*err = vm->err;
	}
out:
	teardown(vm);
	if (!vm->t.exit)
		vm->t.exit = cl_vm_now();
	vm->t.pio_unknown = atomic_load(&vm->pio_unknown);
	vm->t.mmio_unknown = atomic_load(&vm->mmio_unknown);
	vm->t.exits = atomic_load(&vm->exits);
	if (cfg->times)
		*cfg->times = vm->t;
	if (getenv("CLOISON_VM_TIMES") && !strcmp(getenv("CLOISON_VM_TIMES"), "1"))
		cl_vm_times_print(&vm->t);
	return ret;
}
