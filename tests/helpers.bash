# Shared by the bats suites.
TOP="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
[ -f "$TOP/Makefile" ] || TOP="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
CLOISON="${CLOISON:-$TOP/build/cloison}"
ROOTFS="${CL_TEST_ROOTFS:-$TOP/build/test-rootfs}"

# jail [cloison run options] -- CMD...: run in the test rootfs, output in $output.
jail() {
	run "$CLOISON" run --rootfs "$ROOTFS" "$@"
}

# jail_pid PID: the jail's pid 1 of the cloison run PID, i.e. its child that
# is not its cgroup guardian (comm "cloison-guard", ns/cgroup_guard.c).
jail_pid() {
	ps -o pid= -o comm= --ppid "$1" | awk '$2 != "cloison-guard" { print $1 }'
}

# Mount lines and processes that a run must not leave behind.
count_mounts() {
	grep -c -e "$ROOTFS" -e cloison /proc/self/mountinfo || true
}
