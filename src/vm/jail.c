/* The VMM's confinement (see jail.h), in the spirit of Firecracker's jailer.
 * cloison (the parent) creates the VMM with clone3 as PID 1 of a new PID
 * namespace, born in a cgroup of its own below cloison's (ns/cgroup.h, the
 * container's machinery), then releases it.  Once the VM is built the VMM
 * confines itself, in the container path's order: namespaces, an empty
 * root, the bounding set, rlimits (lowered only), an unprivileged uid and
 * gid of its own, not dumpable, no capabilities, no_new_privs, and a seccomp
 * filter last; each vCPU and I/O thread then adds the smaller filter of its
 * role before it touches guest state. */
#include "vm/jail.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <poll.h>
#include <grp.h>
#include <linux/sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ns/cgroup.h"
#include "util/cleanup.h"

volatile sig_atomic_t cl_vm_jailed_pid, cl_vm_stop_signal;

void cl_vm_stop_handler(int sig)
{
	pid_t pid = cl_vm_jailed_pid;

	cl_vm_stop_signal = sig;
	if (pid > 0)
		kill(pid, SIGKILL);
}

bool cl_vm_jail_wanted(void)
{
	const char *v = getenv("CLOISON_VM_NOJAIL");

	return !v || !*v || !strcmp(v, "0");
}

/* ---- namespaces and root ---- */

static int write_proc(const char *path, const char *text, struct cl_err *err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(text);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		return cl_fail(err, errno, "cannot write %s", path);
	return 0;
}

/* Without CAP_SYS_ADMIN (cloison run by a user with access to /dev/kvm) the
 * other namespaces need a user namespace to own them: map our ids to
 * themselves.  It needs a single-threaded caller, which we are. */
static int unshare_all(struct cl_err *err)
{
	/* The PID namespace came with clone3 (cl_vm_run_jailed): the VMM is
	 * its PID 1 and sees no other process. */
	int flags = CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET;
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char map[64];

	if (unshare(flags) == 0)
		return 0;
	if (errno != EPERM)
		return cl_fail(err, errno, "cannot unshare the mount, ipc, uts and net namespaces");
	if (unshare(flags | CLONE_NEWUSER) < 0)
		return cl_fail(err, errno,
			       "cannot unshare the user, mount, ipc, uts and net namespaces");
	if (write_proc("/proc/self/setgroups", "deny", err) < 0)
		return -1;
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
	if (write_proc("/proc/self/uid_map", map, err) < 0)
		return -1;
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
	return write_proc("/proc/self/gid_map", map, err);
}

/* An empty, read-only tmpfs becomes the root.  It is created detached
 * (fsopen/fsmount: no host directory is needed to mount it on), moved over
 * "/" and pivoted into, and the old root is lazily unmounted: the host tree
 * is then gone from our mount namespace.  Where pivot_root cannot work (the
 * host root is the initial ramfs, as in an initramfs-only system) we chroot
 * into it instead: the host tree stays in the namespace but no path reaches
 * it, we hold no directory fd outside, and CAP_SYS_CHROOT is dropped next. */
static int empty_root(struct cl_err *err)
{
	_cleanup_close_ int fs = -1, mnt = -1, oldroot = -1;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return cl_fail(err, errno, "cannot make the mounts private");
	fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return cl_fail(err, errno, "cannot create a tmpfs (fsopen)");
	if (fsconfig(fs, FSCONFIG_SET_STRING, "size", "4k", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "nr_inodes", "1", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0555", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return cl_fail(err, errno, "cannot configure the empty root tmpfs");
	mnt = fsmount(fs, FSMOUNT_CLOEXEC,
		      MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (mnt < 0)
		return cl_fail(err, errno, "cannot mount the empty root tmpfs");
	oldroot = open("/", O_DIRECTORY | O_PATH | O_CLOEXEC);
	if (oldroot < 0)
		return cl_fail(err, errno, "cannot open /");
	if (fchdir(mnt) < 0)
		return cl_fail(err, errno, "cannot enter the empty root");
	if (move_mount(mnt, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) == 0 &&
	    syscall(SYS_pivot_root, ".", ".") == 0) {
		/* the old root is now stacked on ours: drop it */
		if (fchdir(oldroot) < 0 || umount2(".", MNT_DETACH) < 0)
			return cl_fail(err, errno, "cannot detach the old root");
	} else if (chroot(".") < 0) {
		return cl_fail(err, errno, "cannot chroot into the empty root");
	}
	if (chdir("/") < 0)
		return cl_fail(err, errno, "cannot chdir to the empty root");
	return 0;
}

/* ---- capabilities ---- */

/* The bounding set first, while we hold CAP_SETPCAP. */
static int drop_bounding(struct cl_err *err)
{
	for (cap_value_t c = 0; c < (cap_value_t)cap_max_bits(); c++)
		if (cap_drop_bound(c) < 0 && errno != EINVAL)
			return cl_fail(err, errno,
				       "cannot drop capability %d from the bounding set", c);
	return 0;
}

static int drop_caps(struct cl_err *err)
{
	cap_t none;
	int r;

	if (cap_reset_ambient() < 0 && errno != EINVAL)
		return cl_fail(err, errno, "cannot clear the ambient capabilities");
	none = cap_init(); /* effective, permitted and inheritable all clear */
	if (!none)
		return cl_fail(err, errno, "cannot allocate a capability set");
	r = cap_set_proc(none);
	cap_free(none);
	if (r < 0)
		return cl_fail(err, errno, "cannot drop all capabilities");
	return 0;
}

/* ---- rlimits and credentials ---- */

/* Lower one limit (soft and hard) to at most @max: raising a hard limit
 * needs CAP_SYS_RESOURCE, which cloison may not have. */
static int lower_limit(int res, const char *name, rlim_t max, struct cl_err *err)
{
	struct rlimit rl;

	if (getrlimit(res, &rl) < 0)
		return cl_fail(err, errno, "cannot read %s", name);
	if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > max)
		rl.rlim_max = max;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > rl.rlim_max)
		rl.rlim_cur = rl.rlim_max;
	if (setrlimit(res, &rl) < 0)
		return cl_fail(err, errno, "cannot lower %s to %llu", name,
			       (unsigned long long)max);
	return 0;
}

/* The highest file descriptor open now: everything the VMM needs is open. */
static int highest_fd(void)
{
	int max = 2;

	for (int fd = 3; fd < 4096; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			max = fd;
	return max;
}

/* After set-up the VMM opens only eventfds (a few), creates only its
 * threads (one per vCPU, the console input; KVM adds a kernel thread per VM
 * under our uid), writes no core, locks no memory, queues no POSIX
 * messages.  RLIMIT_NPROC counts the threads of the VMM's uid: it bounds
 * them, since that uid is its own (as root). */
static int set_rlimits(unsigned vcpus, struct cl_err *err)
{
	if (lower_limit(RLIMIT_NOFILE, "RLIMIT_NOFILE", (rlim_t)highest_fd() + 1 + 16, err) < 0 ||
	    lower_limit(RLIMIT_NPROC, "RLIMIT_NPROC", (rlim_t)(vcpus ? vcpus : 1) + 8, err) < 0 ||
	    lower_limit(RLIMIT_CORE, "RLIMIT_CORE", 0, err) < 0 ||
	    lower_limit(RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK", 0, err) < 0 ||
	    lower_limit(RLIMIT_MSGQUEUE, "RLIMIT_MSGQUEUE", 0, err) < 0 ||
	    lower_limit(RLIMIT_LOCKS, "RLIMIT_LOCKS", 0, err) < 0 ||
	    lower_limit(RLIMIT_RTPRIO, "RLIMIT_RTPRIO", 0, err) < 0 ||
	    lower_limit(RLIMIT_NICE, "RLIMIT_NICE", 0, err) < 0)
		return -1;
	return 0;
}

uid_t cl_vm_jail_uid(pid_t vmm_pid)
{
	return (uid_t)(CL_VM_JAIL_ID_BASE + (unsigned)vmm_pid);
}

/* Root only: become the VMM's own uid and gid (cl_vm_jail_uid), with no
 * supplementary groups.  Changing credentials clears the parent-death
 * signal: arm it again, then make sure cloison did not die meanwhile. */
static int set_ids(uid_t id, struct cl_err *err)
{
	if (setgroups(0, NULL) < 0)
		return cl_fail(err, errno, "cannot drop the supplementary groups");
	if (setresgid(id, id, id) < 0)
		return cl_fail(err, errno, "cannot become gid %u", (unsigned)id);
	if (setresuid(id, id, id) < 0)
		return cl_fail(err, errno, "cannot become uid %u", (unsigned)id);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		return cl_fail(err, errno, "cannot set the parent-death signal");
	return 0;
}

/* ---- seccomp ---- */

/* The ioctls the run loop issues after set-up (vm.c, kvm.c); the others
 * (KVM_CREATE_*, KVM_SET_*, KVM_GET_SREGS/LAPIC...) are set-up only. */
static const unsigned long run_ioctls[] = {
    KVM_RUN,	      /* vCPU threads */
    KVM_IRQ_LINE,     /* devices raise/lower their GSI */
    KVM_GET_REGS,     /* watchdog samples; RIP in error messages */
    KVM_GET_MP_STATE, /* watchdog: halted / never started */
};

/* Loads the filter built in @ctx unless building it failed (@r < 0), and
 * releases it either way; the builders fall through to this. */
static int load_and_release(scmp_filter_ctx ctx, int r, const char *what, struct cl_err *err)
{
	if (r >= 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r < 0 ? cl_fail(err, -r, "cannot install %s", what) : 0;
}

#define ALLOW(...)                                                                                 \
	do {                                                                                       \
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, __VA_ARGS__)) < 0)                  \
			goto fail;                                                                 \
	} while (0)

/* The allow-list was read off `strace -f` of jailed runs (one and several
 * vCPUs, -i, --disk; Debian's kernel in tests/vm-nested.bats), then widened
 * only by the obvious siblings glibc may pick instead (readv for read,
 * ppoll for poll, syscall clock_gettime where the vDSO is missing...).
 * Anything else kills the whole process; cl_vm_run_jailed() reports it. */
static int load_filter(struct cl_err *err)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int r = -ENOMEM;

	if (!ctx)
		return cl_fail(err, ENOMEM, "cannot create the VMM's seccomp filter");
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) < 0)
		goto fail;

	/* KVM: only the run-time requests, on whichever fd (all ours are KVM
	 * fds, the console and the disk image; none of these requests means
	 * anything to a tty or a file).  The request is an unsigned int to
	 * the kernel: compare the low 32 bits. */
	for (size_t i = 0; i < sizeof(run_ioctls) / sizeof(run_ioctls[0]); i++)
		ALLOW(SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, run_ioctls[i]));
	/* virtio-vsock: its host side, a listening Unix socket and the
	 * connections accepted on it */
	ALLOW(SCMP_SYS(accept4), 0);
	ALLOW(SCMP_SYS(sendto), 0);
	ALLOW(SCMP_SYS(shutdown), 0);
	/* virtio-net: the tap's offloads follow what the guest accepted */
	ALLOW(SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, TUNSETOFFLOAD));

	/* Device I/O on fds opened before the jail: the console (uart,
	 * virtio-console), virtio-blk's image (preadv/pwritev, fdatasync for
	 * VIRTIO_BLK_T_FLUSH, lseek), eventfds that wake the I/O threads. */
	ALLOW(SCMP_SYS(read), 0);
	ALLOW(SCMP_SYS(write), 0);
	ALLOW(SCMP_SYS(readv), 0);
	ALLOW(SCMP_SYS(writev), 0);
	ALLOW(SCMP_SYS(pread64), 0);
	ALLOW(SCMP_SYS(pwrite64), 0);
	ALLOW(SCMP_SYS(preadv), 0);
	ALLOW(SCMP_SYS(pwritev), 0);
	ALLOW(SCMP_SYS(lseek), 0);
	ALLOW(SCMP_SYS(fsync), 0);
	ALLOW(SCMP_SYS(fdatasync), 0);
	ALLOW(SCMP_SYS(poll), 0);
	ALLOW(SCMP_SYS(ppoll), 0);
	ALLOW(SCMP_SYS(eventfd2), 0); /* the UART's stop eventfd, made after the jail */
	ALLOW(SCMP_SYS(close), 0);
	ALLOW(SCMP_SYS(fstat), 0); /* stdio's first write to a stream */
	ALLOW(SCMP_SYS(newfstatat), 0);

	/* Threads (UART input, vCPUs): pthread_create and join.  clone only
	 * for threads; clone3 fails with ENOSYS (its flags are behind a
	 * pointer seccomp cannot read) and glibc falls back to clone. */
	ALLOW(SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0)) < 0)
		goto fail;
	ALLOW(SCMP_SYS(set_robust_list), 0);
	ALLOW(SCMP_SYS(rseq), 0);
	ALLOW(SCMP_SYS(futex), 0);
	ALLOW(SCMP_SYS(sched_yield), 0);
	ALLOW(SCMP_SYS(gettid), 0);
	ALLOW(SCMP_SYS(getpid), 0);
	ALLOW(SCMP_SYS(exit), 0);
	ALLOW(SCMP_SYS(exit_group), 0);
	/* threads name themselves ("vcpu0"...) and stack their own filter
	 * (a filter can only take permissions away) */
	ALLOW(SCMP_SYS(prctl), 1, SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME));
	ALLOW(SCMP_SYS(seccomp), 0);

	/* Memory: malloc, thread stacks, teardown (munmap of guest RAM).
	 * Never executable: a guest that escapes cannot map new code. */
	ALLOW(SCMP_SYS(mmap), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	ALLOW(SCMP_SYS(mprotect), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	ALLOW(SCMP_SYS(munmap), 0);
	ALLOW(SCMP_SYS(madvise), 0);
	ALLOW(SCMP_SYS(mremap), 0);
	ALLOW(SCMP_SYS(brk), 0);

	/* Signals: the vCPU kick (pthread_kill = tgkill to our own thread
	 * group only), masks, the handler's return. */
	ALLOW(SCMP_SYS(tgkill), 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
	ALLOW(SCMP_SYS(rt_sigprocmask), 0);
	/* glibc's own real-time signals (cancellation, setxid), which
	 * pthread_create arms on first use: no other handler may change */
	for (int sig = 32; sig < SIGRTMIN; sig++)
		ALLOW(SCMP_SYS(rt_sigaction), 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)sig));
	ALLOW(SCMP_SYS(rt_sigreturn), 0);

	/* Time: timestamps, the watchdog's timed waits (vDSO, else syscall). */
	ALLOW(SCMP_SYS(clock_gettime), 0);
	ALLOW(SCMP_SYS(gettimeofday), 0);
	ALLOW(SCMP_SYS(clock_nanosleep), 0);
	ALLOW(SCMP_SYS(nanosleep), 0);

fail:
	return load_and_release(ctx, r, "the VMM's seccomp filter", err);
}

/* virtio-blk's requests on its image: reads and writes at an offset,
 * FLUSH, the size at set-up */
static const int disk_calls[] = {SCMP_SYS(pread64),  SCMP_SYS(pwrite64), SCMP_SYS(preadv),
				 SCMP_SYS(pwritev),  SCMP_SYS(lseek),	 SCMP_SYS(fsync),
				 SCMP_SYS(fdatasync)};

/* A thread's own filter, stacked on the process one: the kernel applies
 * both, the stricter answer wins, so each role keeps only what it uses. */
static int load_role_filter(enum cl_vm_thread_role role, int irqfd, struct cl_err *err)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int r = -ENOMEM;

	if (!ctx)
		return cl_fail(err, ENOMEM, "cannot create a VMM thread's seccomp filter");
	/* no_new_privs is set process-wide already: no prctl for it here */
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0)
		goto fail;

	/* every thread: locks, time, memory, signal masks, its own end */
	ALLOW(SCMP_SYS(futex), 0);
	ALLOW(SCMP_SYS(sched_yield), 0);
	ALLOW(SCMP_SYS(gettid), 0);
	ALLOW(SCMP_SYS(getpid), 0);
	ALLOW(SCMP_SYS(clock_gettime), 0);
	ALLOW(SCMP_SYS(gettimeofday), 0);
	ALLOW(SCMP_SYS(rt_sigprocmask), 0);
	ALLOW(SCMP_SYS(rt_sigreturn), 0);
	ALLOW(SCMP_SYS(mmap), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	ALLOW(SCMP_SYS(mprotect), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	ALLOW(SCMP_SYS(munmap), 0);
	ALLOW(SCMP_SYS(madvise), 0);
	ALLOW(SCMP_SYS(brk), 0);
	ALLOW(SCMP_SYS(exit), 0);
	ALLOW(SCMP_SYS(exit_group), 0);
	/* both raise interrupts (the UART's; virtio's where KVM_IRQFD is
	 * missing, and the vCPU's when a guest's register write raises one) */
	ALLOW(SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, KVM_IRQ_LINE));

	/* every I/O thread waits on its fds and reads its eventfds */
	if (role != CL_VM_THREAD_VCPU) {
		ALLOW(SCMP_SYS(read), 0);
		ALLOW(SCMP_SYS(poll), 0);
		ALLOW(SCMP_SYS(ppoll), 0);
	}
	if (role == CL_VM_THREAD_VCPU) {
		/* run the guest, sample it for the watchdog, name RIP in errors */
		ALLOW(SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, KVM_RUN));
		ALLOW(SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, KVM_GET_REGS));
		ALLOW(SCMP_SYS(ioctl), 1,
		      SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, KVM_GET_MP_STATE));
		/* device handlers run here: console output (UART, virtio-console),
		 * virtio-blk requests where no I/O thread serves them, eventfd
		 * kicks; no read(2) of the console, no poll: the I/O threads' */
		ALLOW(SCMP_SYS(write), 0);
		ALLOW(SCMP_SYS(writev), 0);
		for (size_t i = 0; i < sizeof(disk_calls) / sizeof(disk_calls[0]); i++)
			ALLOW(disk_calls[i], 0);
		ALLOW(SCMP_SYS(fstat), 0); /* stdio's first write to a stream */
		ALLOW(SCMP_SYS(newfstatat), 0);
	} else if (role == CL_VM_THREAD_BLK) {
		/* a block device: serve requests on its image (preadv/pwritev,
		 * fdatasync for FLUSH); no KVM_RUN, no writes but to the image */
		for (size_t i = 0; i < sizeof(disk_calls) / sizeof(disk_calls[0]); i++)
			ALLOW(disk_calls[i], 0);
		/* the warning when a guest's ring fails the device */
		ALLOW(SCMP_SYS(write), 1, SCMP_A0(SCMP_CMP_EQ, STDERR_FILENO));
		if (irqfd >= 0) /* its interrupt */
			ALLOW(SCMP_SYS(write), 1, SCMP_A0(SCMP_CMP_EQ, (unsigned)irqfd));
	} else if (role == CL_VM_THREAD_VSOCK) {
		/* the vsock device: its host socket and connections (accept,
		 * send, shut down, close); no KVM_RUN, no disk, no tap */
		ALLOW(SCMP_SYS(write), 1, SCMP_A0(SCMP_CMP_EQ, STDERR_FILENO)); /* warnings */
		if (irqfd >= 0)							/* its interrupt */
			ALLOW(SCMP_SYS(write), 1, SCMP_A0(SCMP_CMP_EQ, (unsigned)irqfd));
		ALLOW(SCMP_SYS(accept4), 0);
		ALLOW(SCMP_SYS(sendto), 0);
		ALLOW(SCMP_SYS(shutdown), 0);
		ALLOW(SCMP_SYS(close), 0);
	} else if (role == CL_VM_THREAD_NET) {
		/* a network device: frames from its tap, packets and eventfd
		 * kicks to them, the tap's offloads; no KVM_RUN, no disk */
		ALLOW(SCMP_SYS(readv), 0);
		ALLOW(SCMP_SYS(write), 0);
		ALLOW(SCMP_SYS(writev), 0);
		ALLOW(SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, TUNSETOFFLOAD));
	} else {
		/* console input: read it; no KVM_RUN, no disk, no writes */
		ALLOW(SCMP_SYS(readv), 0);
	}
fail:
	return load_and_release(
	    ctx, r,
	    role == CL_VM_THREAD_VCPU	 ? "the seccomp filter of a VMM vCPU thread"
	    : role == CL_VM_THREAD_NET	 ? "the seccomp filter of a VMM network thread"
	    : role == CL_VM_THREAD_BLK	 ? "the seccomp filter of a VMM disk thread"
	    : role == CL_VM_THREAD_VSOCK ? "the seccomp filter of a VMM vsock thread"
					 : "the seccomp filter of a VMM I/O thread",
	    err);
}

/* The process filter is loaded: set before any thread that reads it starts. */
static bool jailed;

int cl_vm_jail_thread(enum cl_vm_thread_role role, int irqfd, struct cl_err *err)
{
	/* a thread of a process that is not confined has nothing to add to */
	if (!jailed)
		return 0;
	return load_role_filter(role, irqfd, err);
}

/* Set by cl_vm_run_jailed's child: the uid and gid it is to take (0: keep
 * ours, as when not run by root). */
static uid_t jail_id;

static int enter(const struct cl_vm_config *cfg, struct cl_err *err)
{
	if (unshare_all(err) < 0 || empty_root(err) < 0)
		return -1;
	if (drop_bounding(err) < 0 || set_rlimits(cfg->vcpus, err) < 0)
		return -1;
	if (jail_id && set_ids(jail_id, err) < 0)
		return -1;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return cl_fail(err, errno, "cannot make the monitor non-dumpable");
	if (drop_caps(err) < 0)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return cl_fail(err, errno, "cannot set no_new_privs");
	if (load_filter(err) < 0)
		return -1;
	jailed = true; /* read by threads started after this */
	return 0;
}

int cl_vm_jail_enter(const struct cl_vm_config *cfg, struct cl_err *err)
{
	if (enter(cfg, err) < 0)
		return cl_wrap(err, "cannot confine the VMM (CLOISON_VM_NOJAIL=1 skips this)");
	return 0;
}

/* ---- the VMM child ---- */

/* What the VMM sends back on its pipe, once, just before it exits.  Fixed
 * size and layout; every field is checked by the parent (decode_result):
 * the VMM may have been taken over by its guest, and the parent runs
 * unconfined. */
struct result {
	int32_t ret;	   /* 0: guest_status is valid; -1: err_* are */
	int32_t status;	   /* 0..255 */
	int32_t exit_code; /* 124 (timeout) or 125 */
	int32_t errnum;
	uint32_t msg_len; /* bytes of msg used, < CL_ERR_MSG_MAX */
	char msg[CL_ERR_MSG_MAX];
	struct cl_vm_times times;
};

/* The VMM process: PID 1 of its own PID namespace.  It waits for cloison's
 * "go" (sent once it is in its cgroup; memory it allocated before would be
 * charged to cloison's), whose 4 bytes are the uid to take (0: keep ours). */
static void child(const struct cl_vm_config *cfg, int fd, int go_fd, struct cl_cgroup *cg)
{
	struct cl_vm_config c = *cfg;
	struct result res;
	struct cl_err err = {0};
	int status = 0;
	uint32_t id;

	memset(&res, 0, sizeof(res));
	/* cloison killed (even by SIGKILL): the VMM goes with it; cloison
	 * gone before this line: the read below sees end of file */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		_exit(CL_EXIT_FAILURE);
	prctl(PR_SET_NAME, "cloison-vmm", 0, 0, 0);
	/* cloison's handler for the terminal's resizes is not the VMM's */
	signal(SIGWINCH, SIG_DFL);
	/* what cloison's caller left open for cloison is not the VMM's: keep
	 * stdio and cloison's own descriptors (all close-on-exec: KVM, the
	 * disk image, these pipes), close the rest */
	for (int f = 3, last = highest_fd(); f <= last; f++) {
		int fl = fcntl(f, F_GETFD);
		if (fl >= 0 && !(fl & FD_CLOEXEC))
			close(f);
	}
	/* the cgroup's directory and its guardian's pipe are cloison's */
	if (cg->v2_fd >= 0)
		close(cg->v2_fd);
	if (cg->guard_fd >= 0)
		close(cg->guard_fd);
	if (read(go_fd, &id, sizeof(id)) != (ssize_t)sizeof(id))
		_exit(CL_EXIT_FAILURE);
	close(go_fd);
	jail_id = (uid_t)id;
	c.confine = cl_vm_jail_enter;
	c.confine_thread = cl_vm_jail_thread;
	c.times = &res.times;
	res.ret = cl_vm_run(&c, &status, &err) < 0 ? -1 : 0;
	res.status = status;
	res.exit_code = err.exit_code;
	res.errnum = err.errnum;
	res.msg_len = (uint32_t)strnlen(err.msg, sizeof(err.msg) - 1);
	memcpy(res.msg, err.msg, res.msg_len);
	fflush(NULL);
	if (write(fd, &res, sizeof(res)) != (ssize_t)sizeof(res))
		_exit(CL_EXIT_FAILURE);
	_exit(0);
}

/* Check and copy out what the VMM sent (@n bytes).  Anything out of range is
 * an error of its own; the message is cut at its declared length, terminated,
 * and stripped of control characters (it goes to the user's terminal). */
static int decode_result(const struct result *res, size_t n, pid_t pid, int *guest_status,
			 struct cl_vm_times *times, struct cl_err *err)
{
	struct cl_err e = {0};

	if (n > sizeof(*res))
		return cl_fail(err, 0, "the VMM (pid %d) sent more than a %zu-byte result",
			       (int)pid, sizeof(*res));
	if (n < sizeof(*res))
		return cl_fail(err, 0,
			       "the VMM (pid %d) sent %zu bytes instead of a %zu-byte result",
			       (int)pid, n, sizeof(*res));
	if (res->ret == 0 && (res->status < 0 || res->status > 255))
		return cl_fail(err, 0,
			       "the VMM (pid %d) sent a malformed result: guest status %d is not "
			       "0-255",
			       (int)pid, (int)res->status);
	if (res->ret != 0 && res->ret != -1)
		return cl_fail(err, 0, "the VMM (pid %d) sent a malformed result: return value %d",
			       (int)pid, (int)res->ret);
	if (res->ret == -1 && res->exit_code != CL_EXIT_FAILURE &&
	    res->exit_code != CL_EXIT_TIMEOUT)
		return cl_fail(
		    err, 0, "the VMM (pid %d) sent a malformed result: exit code %d for an error",
		    (int)pid, (int)res->exit_code);
	if (res->msg_len >= sizeof(e.msg))
		return cl_fail(
		    err, 0,
		    "the VMM (pid %d) sent a malformed result: a %u-byte message (at most "
		    "%zu)",
		    (int)pid, (unsigned)res->msg_len, sizeof(e.msg) - 1);
	if (times)
		*times = res->times; /* plain counters: any value is harmless */
	if (res->ret == 0) {
		*guest_status = res->status;
		return 0;
	}
	for (uint32_t i = 0; i < res->msg_len; i++) {
		unsigned char ch = (unsigned char)res->msg[i];
		e.msg[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	e.msg[res->msg_len] = '\0';
	e.exit_code = res->exit_code;
	e.errnum = res->errnum > 0 && res->errnum < 4096 ? res->errnum : 0;
	*err = e;
	return -1;
}

/* The VMM's cgroup: no limit of its own (its RAM is the guest's), but the
 * context's group below cloison's, which cloison kills and removes at the
 * end, and whose device program lets it open /dev/kvm and nothing else. */
static void vmm_cgroup_spec(const struct cl_vm_config *cfg, struct cl_spec *cgs,
			    struct cl_dev_rule *kvm)
{
	struct stat st;

	memset(cgs, 0, sizeof(*cgs));
	cgs->backend = CL_BACKEND_VM;
	cgs->res.name = (char *)cfg->name; /* read, never freed: cgs is not cl_spec_free'd */
	cgs->res.accounting = cfg->accounting;
	if (stat("/dev/kvm", &st) == 0 && S_ISCHR(st.st_mode)) {
		*kvm = (struct cl_dev_rule){.type = 'c',
					    .major = major(st.st_rdev),
					    .minor = minor(st.st_rdev),
					    .access = CL_DEV_READ | CL_DEV_WRITE};
		cgs->res.devices = kvm;
		cgs->res.n_devices = 1;
	}
}

static pid_t clone_vmm(const struct cl_cgroup *cg, bool *own_pidns)
{
	struct clone_args args = {.flags = CLONE_NEWPID, .exit_signal = SIGCHLD};
	pid_t pid;

	cl_cgroup_clone_args(cg, &args); /* v2: born in its cgroup */
	*own_pidns = true;
	pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	/* not root (a user in the kvm group): no PID namespace without a user
	 * namespace, which the VMM makes itself later; it runs as that user */
	if (pid < 0 && errno == EPERM && geteuid() != 0) {
		args.flags &= ~(uint64_t)CLONE_NEWPID;
		*own_pidns = false;
		pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	}
	return pid;
}

int cl_vm_run_jailed(const struct cl_vm_config *cfg, int *guest_status, struct cl_err *err)
{
	struct cl_cgroup cg = CL_CGROUP_INIT;
	struct cl_spec cgs;
	struct cl_dev_rule kvm;
	struct result res;
	int p[2] = {-1, -1}, go[2] = {-1, -1}, ws, ret = -1;
	size_t n = 0;
	ssize_t r;
	bool own_pidns;
	uint32_t id;
	pid_t pid;

	if (!cl_vm_jail_wanted())
		return cl_vm_run(cfg, guest_status, err);
	vmm_cgroup_spec(cfg, &cgs, &kvm);
	if (cl_cgroup_create(&cgs, &cg, err) < 0)
		return cl_wrap(err, "cannot create the VMM's cgroup");
	if (pipe2(p, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0) {
		cl_fail(err, errno, "cannot create a pipe to the VMM");
		goto out;
	}
	fflush(NULL);
	pid = clone_vmm(&cg, &own_pidns);
	if (pid < 0) {
		cl_fail(err, errno, "cannot create the VMM process (clone3, new PID namespace)");
		goto out;
	}
	if (pid == 0) {
		close(p[0]);
		close(go[1]);
		child(cfg, p[1], go[0], &cg);
	}
	close(p[1]);
	close(go[0]);
	p[1] = go[0] = -1;
	cl_vm_jailed_pid = pid;
	if (cl_vm_stop_signal) /* asked to stop before it existed */
		kill(pid, SIGKILL);
	/* root: a uid and gid of the VMM's own, from a range no account uses */
	id = geteuid() == 0 ? (uint32_t)cl_vm_jail_uid(pid) : 0;
	if (cl_cgroup_attach(&cg, pid, err) < 0 ||
	    write(go[1], &id, sizeof(id)) != (ssize_t)sizeof(id)) {
		if (!err->msg[0])
			cl_fail(err, errno, "cannot release the VMM (pid %d)", (int)pid);
		kill(pid, SIGKILL);
		while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
			;
		goto out;
	}
	(void)own_pidns;
	memset(&res, 0, sizeof(res));
	/* one result and nothing after it: read one byte more to know */
	for (;;) {
		char extra;

		if (n < sizeof(res))
			r = read(p[0], (char *)&res + n, sizeof(res) - n);
		else
			r = read(p[0], &extra, 1);
		if (r < 0 && errno == EINTR) {
			if (cfg->on_signal)
				cfg->on_signal();
			continue;
		}
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n > sizeof(res))
			break;
	}
	/* ended but not reaped yet: the stop handler may still signal it (a
	 * zombie), never a process that took its pid after the reap */
	{
		siginfo_t si;

		while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
			;
	}
	cl_vm_jailed_pid = 0;
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR) {
			cl_fail(err, errno, "cannot wait for the VMM (pid %d)", (int)pid);
			goto out;
		}
	if (WIFSIGNALED(ws) && WTERMSIG(ws) == SIGSYS)
		cl_fail(err, 0,
			"the VMM (pid %d) made a system call outside its seccomp allow-list "
			"and was killed (SIGSYS); CLOISON_VM_NOJAIL=1 runs it unconfined "
			"to debug",
			(int)pid);
	else if (WIFSIGNALED(ws))
		cl_fail(err, 0, "the VMM (pid %d) was killed by signal %d (%s)", (int)pid,
			WTERMSIG(ws), strsignal(WTERMSIG(ws)));
	else if (n == 0)
		cl_fail(err, 0, "the VMM (pid %d) exited with status %d without a result", (int)pid,
			WEXITSTATUS(ws));
	else
		ret = decode_result(&res, n, pid, guest_status, cfg->times, err);
out:
	for (int i = 0; i < 2; i++) {
		if (p[i] >= 0)
			close(p[i]);
		if (go[i] >= 0)
			close(go[i]);
	}
	cl_cgroup_destroy(&cg); /* kills what may be left of the VMM */
	return ret;
}
