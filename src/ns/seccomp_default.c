/* The built-in "seccomp default" policy: Docker's default seccomp profile
 * (moby profiles/seccomp/default.json), written in the profile language.
 *
 * The filter's default action is errno EPERM; system calls numbered above
 * every one named here (newer than this list, or unknown to libseccomp) fail
 * with ENOSYS instead, so that programs fall back to older calls.  Unlike
 * Docker, adding a capability does not open the calls it guards (mount with
 * CAP_SYS_ADMIN, ...): a profile says "allow mount" for that. */
#include "ns/seccomp.h"

#include <errno.h>

struct policy_line {
	const char *action, *value;
};

static const struct policy_line lines[] = {
    /* files and directories */
    {"allow",
     "access faccessat faccessat2 chdir fchdir getcwd chmod fchmod fchmodat fchmodat2 "
     "chown fchown fchownat lchown chown32 fchown32 lchown32 creat open openat openat2 "
     "close close_range dup dup2 dup3 fcntl fcntl64 flock fsync fdatasync sync syncfs "
     "sync_file_range fallocate fadvise64 fadvise64_64 readahead ftruncate ftruncate64 "
     "truncate truncate64 link linkat symlink symlinkat unlink unlinkat rename renameat "
     "renameat2 mkdir mkdirat rmdir mknod mknodat readlink readlinkat umask "
     "stat stat64 fstat fstat64 lstat lstat64 newfstatat fstatat64 statx statfs statfs64 "
     "fstatfs fstatfs64 getdents getdents64 utime utimes utimensat utimensat_time64 futimesat "
     "getxattr lgetxattr fgetxattr setxattr lsetxattr fsetxattr listxattr llistxattr "
     "flistxattr removexattr lremovexattr fremovexattr name_to_handle_at"},
    /* reading and writing */
    {"allow", "read write readv writev pread64 pwrite64 preadv pwritev preadv2 pwritev2 lseek "
	      "_llseek sendfile sendfile64 splice tee vmsplice copy_file_range "
	      "io_setup io_destroy io_submit io_cancel io_getevents io_pgetevents "
	      "io_pgetevents_time64 pipe pipe2 ioctl"},
    /* waiting and events */
    {"allow", "select _newselect pselect6 pselect6_time64 poll ppoll ppoll_time64 epoll_create "
	      "epoll_create1 epoll_ctl epoll_ctl_old epoll_wait epoll_wait_old epoll_pwait "
	      "epoll_pwait2 eventfd eventfd2 signalfd signalfd4 timerfd_create timerfd_settime "
	      "timerfd_settime64 timerfd_gettime timerfd_gettime64 inotify_init inotify_init1 "
	      "inotify_add_watch inotify_rm_watch fanotify_mark futex futex_time64 futex_waitv "
	      "futex_wake futex_wait futex_requeue set_robust_list get_robust_list"},
    /* memory */
    {"allow", "brk mmap mmap2 munmap mremap mprotect madvise mincore msync mlock mlock2 "
	      "mlockall munlock munlockall membarrier memfd_create memfd_secret remap_file_pages "
	      "pkey_alloc pkey_free pkey_mprotect map_shadow_stack cachestat"},
    /* processes and threads: clone only without namespace flags, see below */
    {"allow", "fork vfork execve execveat exit exit_group wait4 waitid waitpid kill tkill "
	      "tgkill getpid getppid gettid getpgid getpgrp setpgid getsid setsid "
	      "set_tid_address arch_prctl set_thread_area get_thread_area modify_ldt rseq prctl "
	      "capget capset getpriority setpriority sched_yield sched_getaffinity "
	      "sched_setaffinity sched_getattr sched_setattr sched_getparam sched_setparam "
	      "sched_getscheduler sched_setscheduler sched_get_priority_max sched_get_priority_min "
	      "sched_rr_get_interval sched_rr_get_interval_time64 getcpu getrlimit setrlimit "
	      "ugetrlimit prlimit64 getrusage times ioprio_get ioprio_set pidfd_open "
	      "pidfd_send_signal process_mrelease seccomp restart_syscall"},
    {"allow", "clone arg0 & CLONE_NS_FLAGS == 0"},
    /* clone3's flags sit behind a pointer seccomp cannot read: ENOSYS makes
     * glibc fall back to clone, which the rule above checks */
    {"syscall", "errno:ENOSYS clone3"},
    /* identity */
    {"allow", "getuid getuid32 geteuid geteuid32 getgid getgid32 getegid getegid32 getresuid "
	      "getresuid32 getresgid getresgid32 getgroups getgroups32 setuid setuid32 setgid "
	      "setgid32 setreuid setreuid32 setregid setregid32 setresuid setresuid32 setresgid "
	      "setresgid32 setgroups setgroups32 setfsuid setfsuid32 setfsgid setfsgid32"},
    /* signals and time */
    {"allow",
     "rt_sigaction rt_sigprocmask rt_sigreturn rt_sigsuspend rt_sigpending "
     "rt_sigtimedwait rt_sigtimedwait_time64 rt_sigqueueinfo rt_tgsigqueueinfo sigaltstack "
     "sigreturn sigprocmask pause alarm nanosleep clock_nanosleep clock_nanosleep_time64 "
     "clock_gettime clock_gettime64 clock_getres clock_getres_time64 gettimeofday time "
     "getitimer setitimer timer_create timer_delete timer_settime timer_settime64 "
     "timer_gettime timer_gettime64 timer_getoverrun adjtimex clock_adjtime "
     "clock_adjtime64 uname sysinfo getrandom"},
    /* sockets, every family but AF_VSOCK (40), which reaches the host from a
     * VM guest.  The family is an int, of which the kernel reads the low 32
     * bits: "arg0 != AF_VSOCK" let 0x100000028 through.  These 64-bit tests
     * want the upper half zero, and cover 0-39 and 41-63 (AF_MAX is 46): in
     * the main filter, so i386's socketcall, whose arguments libseccomp
     * cannot test, stays allowed as in Docker's policy */
    {"allow", "socket arg0 < AF_VSOCK"},
    {"allow", "socket arg0 == 41"},
    {"allow", "socket arg0 & 0xfffffffffffffffe == 42"},
    {"allow", "socket arg0 & 0xfffffffffffffffc == 44"},
    {"allow", "socket arg0 & 0xfffffffffffffff0 == 48"},
    {"allow", "socketpair bind connect listen accept accept4 getsockname getpeername "
	      "getsockopt setsockopt shutdown send sendto sendmsg sendmmsg recv recvfrom recvmsg "
	      "recvmmsg recvmmsg_time64 socketcall"},
    /* System V and POSIX IPC (the jail has its own IPC namespace) */
    {"allow", "ipc msgget msgsnd msgrcv msgctl semget semop semtimedop semtimedop_time64 semctl "
	      "shmget shmat shmdt shmctl mq_open mq_unlink mq_timedsend mq_timedsend_time64 "
	      "mq_timedreceive mq_timedreceive_time64 mq_notify mq_getsetattr"},
    /* sandboxing itself */
    {"allow", "landlock_create_ruleset landlock_add_rule landlock_restrict_self"},
    /* personality: only Linux, 32-bit Linux, UNAME26 and the query */
    {"allow", "personality arg0 == PER_LINUX"},
    {"allow", "personality arg0 == PER_LINUX32"},
    {"allow", "personality arg0 == UNAME26"},
    {"allow", "personality arg0 == UNAME26|PER_LINUX32"},
    {"allow", "personality arg0 == 0xffffffff"},
    /* guarded by a capability of the default set, as in Docker */
    {"allow", "chroot"},
    /* Denied: they reach the host kernel's global state, or are the classic
     * ways out of a container.  Named so that they are known: EPERM. */
    {"deny", "kexec_load kexec_file_load reboot init_module finit_module delete_module "
	     "create_module query_module get_kernel_syms bpf perf_event_open userfaultfd "
	     "keyctl add_key request_key ptrace process_vm_readv process_vm_writev kcmp "
	     "pidfd_getfd open_by_handle_at mount umount umount2 pivot_root move_mount open_tree "
	     "fsopen fsconfig fsmount fspick mount_setattr unshare setns swapon swapoff acct "
	     "quotactl quotactl_fd nfsservctl lookup_dcookie settimeofday clock_settime "
	     "clock_settime64 stime syslog iopl ioperm vhangup uselib ustat sysfs _sysctl "
	     "vm86 vm86old get_mempolicy set_mempolicy mbind migrate_pages move_pages "
	     "set_mempolicy_home_node process_madvise io_uring_setup io_uring_enter "
	     "io_uring_register fanotify_init"},
};

/* --nested: what Docker's profile lets through only with CAP_SYS_ADMIN and
 * bubblewrap, podman, Nix's and Bazel's sandboxes need to build one: the
 * namespace calls with any flag, and the mount calls.  Each acts only on
 * namespaces the caller's user namespace owns (the jail's own are its
 * user namespace's, whose root has no CAP_SYS_ADMIN there): a process
 * gains them by making a user namespace, over what it makes inside.
 * clone3 too: its flags, behind a pointer, need no reading any more. */
static const struct policy_line nested_lines[] = {
    {"allow", "clone clone3 unshare setns"},
    {"allow", "mount umount umount2 pivot_root move_mount open_tree fsopen fsconfig fsmount "
	      "fspick mount_setattr"},
    /* the UTS namespace a sandbox makes gets its names */
    {"allow", "sethostname setdomainname"},
};

static int add_lines(const struct policy_line *l, size_t count, struct cl_sc_rule **rules,
		     size_t *n, struct cl_err *err)
{
	for (size_t i = 0; i < count; i++) {
		const char *value = l[i].value;
		struct cl_sc_action a;

		if (l[i].action[0] == 's') {
			/* "syscall ACTION NAME...": the action is the first word */
			char act[32];
			size_t len = 0;
			while (value[len] && value[len] != ' ' && len < sizeof(act) - 1) {
				act[len] = value[len];
				len++;
			}
			act[len] = '\0';
			value += len;
			if (cl_sc_parse_action(act, &a, err) < 0)
				return cl_wrap(err, "the built-in seccomp policy");
		} else if (cl_sc_parse_action(l[i].action, &a, err) < 0) {
			return cl_wrap(err, "the built-in seccomp policy");
		}
		if (cl_sc_parse_rules(rules, n, a, value, true, err) < 0)
			return cl_wrap(err, "the built-in seccomp policy");
	}
	return 0;
}

int cl_seccomp_nested_rules(struct cl_sc_rule **rules, size_t *n, struct cl_err *err)
{
	return add_lines(nested_lines, sizeof(nested_lines) / sizeof(nested_lines[0]), rules, n,
			 err);
}

int cl_seccomp_default_rules(struct cl_sc_rule **rules, size_t *n, struct cl_err *err)
{
	return add_lines(lines, sizeof(lines) / sizeof(lines[0]), rules, n, err);
}

int cl_seccomp_default_print(FILE *out, struct cl_err *err)
{
	struct cl_sc_rule *rules = NULL;
	size_t n = 0;
	int r = cl_seccomp_default_rules(&rules, &n, err);

	if (r == 0) {
		fputs("seccomp default-action errno EPERM\n", out);
		cl_sc_print_rules(out, rules, n);
	}
	cl_sc_rules_free(rules, n);
	return r;
}
