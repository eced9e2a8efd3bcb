# Shared by the bats suites.
TOP="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
[ -f "$TOP/Makefile" ] || TOP="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
CLOISON="${CLOISON:-$TOP/build/cloison}"
ROOTFS="${CL_TEST_ROOTFS:-$TOP/build/test-rootfs}"

# jail [cloison run options] -- CMD...: run in the test rootfs, output in $output.
jail() {
	run "$CLOISON" run --rootfs "$ROOTFS" "$@"
}

# Mount lines and processes that a run must not leave behind.
count_mounts() {
	grep -c -e "$ROOTFS" -e cloison /proc/self/mountinfo || true
}
