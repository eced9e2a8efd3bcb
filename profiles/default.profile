# default: what `cloison run` uses when no --profile is given.
#
# Every line below is the built-in default, spelled out so that the defaults
# can be read in one place; a test checks that `cloison profile show default`
# and the built-in defaults stay the same.  Start a profile of your own from
# here with "include default".
#
# The jail: new pid, mount, uts, ipc, cgroup, time and network namespaces
# (a user namespace too when cloison is not run by root), the root filesystem
# writable, only lo in the network namespace, Docker's default capability
# set, no_new_privs, and Docker's default seccomp policy (see
# `cloison profile show --seccomp-default`).
hostname cloison
cwd /
read-only false
net none
init false
interactive false
tty false
user 0:0
preserve-fds 0
userns false
# Capabilities: Docker's default set, CAP_CHOWN CAP_DAC_OVERRIDE CAP_FOWNER
# CAP_FSETID CAP_KILL CAP_SETGID CAP_SETUID CAP_SETPCAP CAP_NET_BIND_SERVICE
# CAP_NET_RAW CAP_SYS_CHROOT CAP_MKNOD CAP_AUDIT_WRITE CAP_SETFCAP, for root in
# the jail; a non-root user (--user) gets none of them.  Not spelled out as
# cap-add lines: a capability named by cap-add is also given to a non-root
# user (as ambient), which the default does not do.
device-cgroup required
no-new-privileges
seccomp default
