#!/usr/bin/env bats
# The OCI runtime under podman (through conmon): podman --runtime $RT.
#
#   CL_OCI_RUNTIME=$(command -v runc) tests/run-tests tests/oci-podman.bats
#
# proves the suite with a reference runtime; without CL_OCI_RUNTIME the
# runtime is build/cloison.  Podman keeps everything private: storage
# (vfs), run and tmp directories, containers.conf, all under one temp
# directory; containers get no network (--network none) and their cgroups
# go below a RELATIVE cgroup parent (cloison-ocitest-PID, below the cgroup
# the suite runs in); conmon stays in ours (--cgroups=no-conmon).  The
# image is the test rootfs, imported offline (podman import).

bats_require_minimum_version 1.5.0
load helpers
load oci-helpers

IMG=localhost/clocitest:busybox

setup_file() {
	OCI_SKIP=$(oci_missing podman conmon tar) && { export OCI_SKIP; return 0; }
	export OCI_SKIP=
	W=$(mktemp -d /tmp/cloison-ocitest-pm.XXXXXX)
	CGP=cloison-ocitest-$$
	export W CGP
	# default_ulimits = []: this host's bounding set lacks CAP_SYS_RESOURCE,
	# so podman's default (raise nofile/nproc) would fail.
	# runtime_supports_json: podman passes --log-format=json --log FILE to
	# the runtimes named here (by the file's base name) and reads their
	# errors from FILE; the default list has runc and crun, not cloison.
	cat >"$W/containers.conf" <<-EOF
		[containers]
		default_ulimits = []
		log_driver = "k8s-file"
		[engine]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		tmp_dir = "$W/tmp"
		runtime_supports_json = ["cloison", "runc", "crun"]
	EOF
	# $W/podman: podman with the private set-up (tmux runs it too)
	cat >"$W/podman" <<-EOF
		#!/bin/sh
		export CONTAINERS_CONF='$W/containers.conf'
		exec podman --root '$W/root' --runroot '$W/run' --tmpdir '$W/tmp' \\
			--storage-driver vfs --cgroup-manager cgroupfs --runtime '$RT' "\$@"
	EOF
	chmod +x "$W/podman"
	oci_tar_rootfs "$W/rootfs.tar"
	"$W/podman" import "$W/rootfs.tar" "$IMG" >"$W/import.log" 2>&1 3>&- ||
		{ cat "$W/import.log" >&2; return 1; }
	rm -f "$W/rootfs.tar"
}

teardown_file() {
	if [ -z "${W:-}" ] || [ ! -d "$W" ]; then return 0; fi
	"$W/podman" rm -af -t 0 >/dev/null 2>&1 3>&-
	"$W/podman" rmi -af >/dev/null 2>&1 3>&-
	# conmon and podman's clean-up (its exit command) are done with $W
	oci_no_proc_below "$W" >&2 || true
	oci_umount_below "$W"
	rm -rf "$W"
	oci_rm_cgroups "$CGP"
}

setup() {
	[ -z "${OCI_SKIP:-}" ] || skip "$OCI_SKIP"
	[ -d "${W:-}" ] || skip "setup_file failed"
	PRUN=(--network none --cgroups=no-conmon --cgroup-parent="$CGP")
}

teardown() {
	[ -d "${W:-}" ] || return 0
	[ -S "$W/tmux.sock" ] && tmux -S "$W/tmux.sock" kill-server 2>/dev/null
	rm -f "$W/tmux.sock"
	"$W/podman" rm -af -t 0 >/dev/null 2>&1 3>&-
	return 0
}

pm() { "$W/podman" "$@" 3>&-; }
# prun [-N] [podman run options] -- CMD...: podman run --rm, $output and
# $status; -N: the status expected (as bats' run -N: 127 is no warning)
prun() {
	local o=() r=()
	case "${1:-}" in -[0-9]*) r=("$1"); shift ;; esac
	while [ $# -gt 0 ] && [ "$1" != -- ]; do o+=("$1"); shift; done
	shift
	run "${r[@]}" "$W/podman" run --rm "${PRUN[@]}" "${o[@]}" "$IMG" "$@" 3>&-
}
# exit_code NAME: the container's exit status as podman recorded it
exit_code() { pm inspect -f '{{.State.ExitCode}}' "$1"; }
is_exited() { [ "$(pm inspect -f '{{.State.Status}}' "$1")" = exited ]; }
logs_have() { pm logs "$1" 2>&1 | grep -q -- "$2"; }
pane_has() { tmux -S "$W/tmux.sock" capture-pane -p | grep -q -- "$1"; }
pane() { tmux -S "$W/tmux.sock" capture-pane -p; }

@test "podman run --rm: the command's output, then nothing left (container, cgroups)" {
	prun -- echo hello from the runtime
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "hello from the runtime" ]
	run pm ps -aq
	[ -z "$output" ]
	oci_cgroup_empty "$CGP"
}

@test "exit statuses: exit 3 is 3, a missing command 127, a non-executable one 126" {
	prun -3 -- sh -c 'exit 3'
	# podman maps the runtime's error text: it must say "no such file or
	# directory" (127) or "permission denied" (126)
	prun -127 -- /no/such/command
	echo "$output"
	[[ "$output" == *"/no/such/command"* ]]
	prun -126 -- /etc/passwd
	echo "$output"
	run pm ps -aq
	[ -z "$output" ]
}

@test "run -d, ps, logs, exec, top, stop (SIGTERM reaches the command), rm" {
	run pm run -d --name c1 "${PRUN[@]}" "$IMG" \
		sh -c 'trap "echo got-term; exit 7" TERM; echo started; while :; do sleep 0.1; done'
	echo "$output"
	[ "$status" -eq 0 ]
	wait_until 10 logs_have c1 started
	run pm ps --format '{{.Names}} {{.Status}}'
	[[ "$output" == "c1 Up"* ]]
	# the container's pid 1 is a child of conmon (the subreaper)
	pid=$(pm inspect -f '{{.State.Pid}}' c1)
	[ "$(cat /proc/$pid/comm)" = sh ]
	ppid=$(awk '/^PPid:/ { print $2 }' /proc/$pid/status)
	[ "$(cat /proc/$ppid/comm)" = conmon ]
	run pm exec c1 cat /proc/1/comm
	[ "$status" -eq 0 ]
	[ "$output" = sh ]
	run pm exec -e X=from-exec -w /tmp c1 sh -c 'echo "$X $(pwd)"; exit 5'
	[ "$status" -eq 5 ]
	[ "$output" = "from-exec /tmp" ]
	run pm top c1 pid comm
	echo "$output"
	[ "$status" -eq 0 ]
	grep -E '^ *1 +sh' <<<"$output"
	run pm stop -t 10 c1
	[ "$status" -eq 0 ]
	[ "$(exit_code c1)" = 7 ]
	logs_have c1 got-term
	run pm rm c1
	[ "$status" -eq 0 ]
	run pm ps -aq
	[ -z "$output" ]
	oci_cgroup_empty "$CGP"
}

@test "kill: a signal the command traps, then the default (SIGKILL) is 137" {
	pm run -d --name k1 "${PRUN[@]}" "$IMG" \
		sh -c 'trap "exit 10" USR1; echo ready; while :; do sleep 0.1; done'
	wait_until 10 logs_have k1 ready
	run pm kill -s USR1 k1
	[ "$status" -eq 0 ]
	wait_until 10 is_exited k1
	[ "$(exit_code k1)" = 10 ]
	pm run -d --name k2 "${PRUN[@]}" "$IMG" sleep 1000
	run pm kill k2
	[ "$status" -eq 0 ]
	wait_until 10 is_exited k2
	[ "$(exit_code k2)" = 137 ]
	run pm rm k1 k2
	[ "$status" -eq 0 ]
	oci_cgroup_empty "$CGP"
}

@test "rm -f of a running container: gone, with its cgroups" {
	pm run -d --name f1 "${PRUN[@]}" "$IMG" sleep 1000
	pid=$(pm inspect -f '{{.State.Pid}}' f1)
	[ -e "/proc/$pid" ]
	run pm rm -f -t 0 f1
	[ "$status" -eq 0 ]
	wait_until 10 _oci_gone "$pid"
	run pm ps -aq
	[ -z "$output" ]
	oci_cgroup_empty "$CGP"
}

@test "run -it under tmux: a terminal, typed commands, the exit status" {
	command -v tmux
	tmux -S "$W/tmux.sock" new-session -d -x 80 -y 24 \
		"'$W/podman' run --rm -it ${PRUN[*]} $IMG sh; echo \$? > '$W/it.rc'" 3>&-
	wait_until 20 pane_has '/ #' || { pane; false; }
	tmux -S "$W/tmux.sock" send-keys 'tty; echo $((6*7))' Enter
	wait_until 10 pane_has '^42' || { pane; false; }
	pane | grep -E '^/dev/pts/[0-9]+'
	tmux -S "$W/tmux.sock" send-keys 'exit 4' Enter
	wait_file "$W/it.rc" 20 || { pane; false; }
	[ "$(cat "$W/it.rc")" = 4 ]
}

@test "exec -it under tmux: a terminal in a running container" {
	command -v tmux
	pm run -d --name t1 "${PRUN[@]}" "$IMG" sleep 1000
	tmux -S "$W/tmux.sock" new-session -d -x 80 -y 24 \
		"'$W/podman' exec -it t1 sh; echo \$? > '$W/exec.rc'" 3>&-
	wait_until 20 pane_has '/ #' || { pane; false; }
	tmux -S "$W/tmux.sock" send-keys 'tty; echo $((6*7))' Enter
	wait_until 10 pane_has '^42' || { pane; false; }
	pane | grep -E '^/dev/pts/[0-9]+'
	tmux -S "$W/tmux.sock" send-keys 'exit 6' Enter
	wait_file "$W/exec.rc" 20 || { pane; false; }
	[ "$(cat "$W/exec.rc")" = 6 ]
	run pm exec -t t1 tty
	[[ "$output" == /dev/pts/* ]]
}

# the container's cgroup file NAME (v1: /sys/fs/cgroup/CTRL/V1; v2: V2)
cg_file_cmd() { echo "cat /sys/fs/cgroup/$1/$2 2>/dev/null || cat /sys/fs/cgroup/$3"; }

@test "--memory: the limit is in the container's memory cgroup" {
	prun --memory 64m -- sh -c "$(cg_file_cmd memory memory.limit_in_bytes memory.max)"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = 67108864 ]
}

@test "--pids-limit: the limit is in the container's pids cgroup" {
	prun --pids-limit 10 -- sh -c "$(cg_file_cmd pids pids.max pids.max)"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = 10 ]
}

@test "--cap-drop: CapEff loses the capability (all: none left)" {
	capeff='grep CapEff /proc/self/status | cut -f2'
	prun -- sh -c "$capeff"
	[ "$status" -eq 0 ]
	dflt=$output
	(((0x$dflt >> 13) & 1)) # CAP_NET_RAW is in podman's default set
	prun --cap-drop NET_RAW -- sh -c "$capeff"
	[ "$status" -eq 0 ]
	[ $((0x$output)) -eq $((0x$dflt & ~(1 << 13))) ]
	prun --cap-drop all -- sh -c "$capeff"
	[ "$output" = 0000000000000000 ]
}

@test "--read-only: the root is read-only, /tmp is a writable tmpfs" {
	prun --read-only -- sh -c 'touch /ro-probe 2>&1; touch /tmp/probe && echo tmp-ok'
	echo "$output"
	[[ "$output" == *"Read-only file system"* ]]
	[[ "$output" == *tmp-ok* ]]
}

@test "--network none: only lo, in a network namespace of its own" {
	prun -- sh -c 'readlink /proc/self/ns/net; cat /proc/net/dev'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" != "$(readlink /proc/self/ns/net)" ]
	run awk -F: 'NR > 3 { gsub(/ /, "", $1); print $1 }' <<<"$output"
	[ "$output" = lo ]
}

@test "--user, -e, -w: uid/gid, environment and working directory" {
	prun --user 1000:1000 -e FOO=bar -e EMPTY= -w /var -- sh -c 'id -u; id -g; echo "$FOO"; pwd'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[*]}" = "1000 1000 bar /var" ]
}

@test "--annotation run.oci.handler=vm: refused on this host, with a reason naming the VM (cloison only)" {
	rt_is_cloison || skip "run.oci.handler=vm is cloison's: $(basename "$RT") ignores the annotation"
	prun --annotation run.oci.handler=vm -- true
	echo "$output"
	[ "$status" -ne 0 ]
	grep -Eiq '\bvm\b|micro-?vm|virtual machine|kvm' <<<"$output"
	run pm ps -aq
	[ -z "$output" ]
	oci_cgroup_empty "$CGP"
}
