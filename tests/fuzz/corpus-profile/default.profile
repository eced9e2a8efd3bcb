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
userns false
cap-drop ALL
cap-add CAP_CHOWN
cap-add CAP_DAC_OVERRIDE
cap-add CAP_FOWNER
cap-add CAP_FSETID
cap-add CAP_KILL
cap-add CAP_SETGID
cap-add CAP_SETUID
cap-add CAP_SETPCAP
cap-add CAP_NET_BIND_SERVICE
cap-add CAP_NET_RAW
cap-add CAP_SYS_CHROOT
cap-add CAP_MKNOD
cap-add CAP_AUDIT_WRITE
cap-add CAP_SETFCAP
no-new-privileges
seccomp default
