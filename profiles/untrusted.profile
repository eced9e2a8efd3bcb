# untrusted: code you do not trust: no capabilities at all, a user namespace
# even when run by root, no network, a read-only root, and an allow-list of
# system calls: anything not listed fails with EPERM.
#
#   cloison run --rootfs ~/rootfs --profile untrusted -- ./downloaded-tool
# To find what a program needs, learn it first (under a trusted input):
#   cloison run --learn-seccomp tool.profile -- ./tool
include default

# Root in the jail is an unprivileged host id, and holds no capability.
userns
cap-drop ALL
no-new-privileges

net none
read-only
tmpfs /tmp:size=64M
hostname sandbox

# The allow-list: files, memory, processes without namespaces, signals,
# time, pipes, polling, local (AF_UNIX) sockets.  No ptrace, no mounts, no
# keyrings, no BPF, no io_uring, no other socket families.
seccomp default-action errno EPERM
allow read write readv writev pread64 pwrite64 preadv pwritev lseek sendfile
allow open openat openat2 close close_range creat dup dup2 dup3 fcntl flock
allow fsync fdatasync ftruncate truncate fallocate fadvise64
allow stat fstat lstat newfstatat statx statfs fstatfs access faccessat
allow faccessat2 getdents64 getcwd chdir fchdir readlink readlinkat
allow mkdir mkdirat rmdir unlink unlinkat rename renameat renameat2 link
allow linkat symlink symlinkat chmod fchmod fchmodat chown fchown fchownat
allow lchown umask utimensat getxattr lgetxattr fgetxattr listxattr
allow brk mmap munmap mremap mprotect madvise mincore msync membarrier
allow memfd_create
allow execve execveat exit exit_group wait4 waitid kill tgkill tkill
allow getpid getppid gettid getpgid getpgrp setpgid getsid setsid
allow set_tid_address set_robust_list get_robust_list rseq arch_prctl
allow prctl prlimit64 getrlimit getrusage sched_yield sched_getaffinity
allow getuid geteuid getgid getegid getresuid getresgid getgroups
allow rt_sigaction rt_sigprocmask rt_sigreturn rt_sigsuspend rt_sigpending
allow rt_sigtimedwait sigaltstack pause alarm restart_syscall
allow nanosleep clock_nanosleep clock_gettime clock_getres gettimeofday
allow time times getitimer setitimer uname sysinfo getrandom getcpu
allow pipe pipe2 poll ppoll select pselect6 epoll_create1 epoll_ctl
allow epoll_wait epoll_pwait eventfd2 futex
allow socketpair connect sendto sendmsg recvfrom recvmsg shutdown
allow getsockname getpeername getsockopt setsockopt
# Only local sockets.
allow socket arg0 == AF_UNIX
# ioctl, but not TIOCSTI or TIOCLINUX (typing or pasting into a terminal,
# CVE-2017-5226, CVE-2023-28100).  The request is a
# 32-bit int the kernel truncates to: compare only the low 32 bits, or
# 0x100005412 would pass "!= TIOCSTI" and still be TIOCSTI.
allow ioctl
deny ioctl arg1 & 0xffffffff == TIOCSTI
deny ioctl arg1 & 0xffffffff == TIOCLINUX
# Processes and threads, but no new namespaces; clone3's flags cannot be
# read, so it reports ENOSYS and glibc falls back to clone.
allow fork vfork
allow clone arg0 & CLONE_NS_FLAGS == 0
syscall errno:ENOSYS clone3
# Only the plain Linux personality (and asking for it).
allow personality arg0 == PER_LINUX
allow personality arg0 == 0xffffffff
