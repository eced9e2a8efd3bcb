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

# wait_until SECONDS CMD...: poll CMD every 0.1 s until it succeeds; its
# status after SECONDS otherwise.  Every wait in the suites is bounded.
wait_until() {
	local i n=$(($1 * 10))
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# wait_file FILE [SECONDS]: a readiness marker, up to SECONDS (10).
wait_file() {
	wait_until "${2:-10}" test -e "$1" || { echo "no $1 after ${2:-10} s"; return 1; }
}

# no_proc PATTERN: within 5 s no process matches PATTERN (pgrep -f); lists
# the survivors otherwise.
no_proc() {
	wait_until 5 _no_pgrep "$1" || { echo "still running:"; pgrep -af -- "$1"; return 1; }
}
_no_pgrep() { ! pgrep -f -- "$1" >/dev/null; }
