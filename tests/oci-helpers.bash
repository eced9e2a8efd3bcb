# Shared by tests/oci-podman.bats and tests/oci-containerd.bats: the OCI
# runtime under test as engines (podman through conmon, containerd through
# its runc shim v2) drive it.
#
# CL_OCI_RUNTIME names the runtime binary (default: this checkout's
# build/cloison); CL_OCI_RUNTIME=$(command -v runc) proves the suites
# against a reference runtime.
#
# Everything a suite makes lives in one temp directory, /tmp/cloison-ocitest-*
# (so that tests/check-leaks sees a mount left there), and every cgroup it
# makes is below a cgroup named cloison-ocitest-PID, RELATIVE to the cgroup
# the suite runs in (tests/check-leaks sees those too).

RT="${CL_OCI_RUNTIME:-$TOP/build/cloison}"

# rt_is_cloison: the runtime under test is cloison (not a reference runtime)
rt_is_cloison() {
	case "$(basename "$RT")" in
	cloison*) return 0 ;;
	esac
	"$RT" --version 2>/dev/null | grep -qi cloison
}

# oci_missing TOOL...: why the suite cannot run here (root, the runtime,
# TOOLs), on stdout; status 1 when nothing is missing.  setup_file records
# it in OCI_SKIP (bats 1.8 cannot skip from setup_file) and setup() skips
# every test with it.
oci_missing() {
	local t
	[ "$(id -u)" = 0 ] || { echo "needs root"; return 0; }
	[ -x "$RT" ] || { echo "no OCI runtime at $RT (build it, or set CL_OCI_RUNTIME)"; return 0; }
	for t in "$@"; do
		command -v "$t" >/dev/null || { echo "$t not installed (make deps-test)"; return 0; }
	done
	return 1
}

# oci_own_cgroups: our cgroup's directory in every hierarchy (as
# tests/check-leaks)
oci_own_cgroups() {
	local ctrls path mnt
	while IFS=: read -r _ ctrls path; do
		case $ctrls in
		"") mnt=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo) ;;
		name=*) mnt=$(awk -v c="${ctrls#name=}" '$9 == "cgroup" && $5 ~ "/" c "$" { print $5; exit }' /proc/self/mountinfo) ;;
		*) mnt=$(awk -v c="$ctrls" '$9 == "cgroup" && $5 ~ "/" c "$" { print $5; exit }' /proc/self/mountinfo) ;;
		esac
		[ -n "$mnt" ] || continue
		[ "$path" = / ] && path=
		echo "$mnt$path"
	done </proc/self/cgroup
}

# oci_cgroup_dirs NAME: every directory named NAME below our own cgroups
oci_cgroup_dirs() {
	local d
	for d in $(oci_own_cgroups); do
		find "$d" -mindepth 1 -maxdepth 4 -type d -name "$1" 2>/dev/null
	done
}

# oci_cgroup_empty NAME: no directory below NAME (our cgroup parent) is left
# in any hierarchy: the runtime removed the container's cgroups
oci_cgroup_empty() {
	local d
	for d in $(oci_cgroup_dirs "$1"); do
		[ -z "$(find "$d" -mindepth 1 -type d | head -1)" ] || { echo "left: $(find "$d" -mindepth 1 -type d)"; return 1; }
	done
}

# oci_rm_cgroups NAME: remove every cgroup NAME below ours, children first
# (bounded: a cgroup still holding a dying process is retried for 5 s)
oci_rm_cgroups() {
	local d
	for _ in {1..50}; do
		for d in $(oci_cgroup_dirs "$1"); do
			find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
		done
		[ -z "$(oci_cgroup_dirs "$1")" ] && return 0
		sleep 0.1
	done
	echo "cgroups left: $(oci_cgroup_dirs "$1")" >&2
	return 1
}

# oci_umount_below DIR: unmount whatever is still mounted below DIR
oci_umount_below() {
	awk -v w="$1/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		xargs -r -n 1 umount -l 2>/dev/null
	return 0
}

# oci_no_proc_below DIR: within 10 s, no process names DIR on its command
# line (conmon, podman's clean-up, the shims are done with it)
_oci_no_proc() { ! pgrep -f -- "$1" >/dev/null; }
oci_no_proc_below() {
	wait_until 10 _oci_no_proc "$1" || { echo "still running:"; pgrep -af -- "$1"; return 1; }
}

# oci_kill_pidfile FILE: end the process whose pid FILE holds (one we
# started), then wait (5 s) for it to go
oci_kill_pidfile() {
	local pid
	[ -s "$1" ] || return 0
	pid=$(cat "$1")
	kill "$pid" 2>/dev/null || return 0
	wait_until 5 _oci_gone "$pid" || kill -9 "$pid" 2>/dev/null
	wait_until 5 _oci_gone "$pid"
}
_oci_gone() { [ ! -e "/proc/$1" ] || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

# oci_tar_rootfs FILE: the test rootfs as a tar (read only: never written)
oci_tar_rootfs() {
	[ -x "$ROOTFS/bin/busybox" ] || { echo "no test rootfs at $ROOTFS (make rootfs)" >&2; return 1; }
	tar -C "$ROOTFS" -cf "$1" .
}
