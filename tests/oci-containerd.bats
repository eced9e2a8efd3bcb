#!/usr/bin/env bats
# The OCI runtime under containerd, through its runc shim v2
# (io.containerd.runc.v2): ctr run --runc-binary $RT.
#
#   CL_OCI_RUNTIME=$(command -v runc) tests/run-tests tests/oci-containerd.bats
#
# proves the suite with a reference runtime; without CL_OCI_RUNTIME the
# runtime is build/cloison.  The suite starts a private containerd (its own
# config: root, state, sockets under one temp directory; native snapshotter;
# no CRI) in setup_file and stops it in teardown_file.  The image is the test
# rootfs: imported offline into a private podman store, saved as an OCI
# archive (podman save --format oci-archive), imported with ctr.  Tasks get
# a network namespace of their own (ctr's default: only lo) and their
# cgroups go below a RELATIVE cgroup path (cloison-ocitest-PID/NAME, below
# the cgroup the suite runs in).  The runtime's state (--runc-root) is in
# the temp directory too.

bats_require_minimum_version 1.5.0
load helpers
load oci-helpers

IMG=localhost/clocitest:busybox
NS=clocitest

setup_file() {
	OCI_SKIP=$(oci_missing containerd ctr containerd-shim-runc-v2 podman tar) && { export OCI_SKIP; return 0; }
	export OCI_SKIP=
	W=$(mktemp -d /tmp/cloison-ocitest-ctd.XXXXXX)
	CGP=cloison-ocitest-$$
	# the shims' sockets are in /run/containerd/s (fixed in containerd
	# 1.6): teardown_file removes the directories if it made them
	RUN_CTD_EXISTED=0
	[ -d /run/containerd ] && RUN_CTD_EXISTED=1
	export W CGP RUN_CTD_EXISTED
	make_image || return 1
	cat >"$W/config.toml" <<-EOF
		version = 2
		root = "$W/root"
		state = "$W/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt",
		  "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
		  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs",
		  "io.containerd.snapshotter.v1.overlayfs", "io.containerd.tracing.processor.v1.otlp",
		  "io.containerd.internal.v1.tracing"]
		[grpc]
		  address = "$W/containerd.sock"
		[ttrpc]
		  address = "$W/containerd.sock.ttrpc"
		[debug]
		  address = ""
		[metrics]
		  address = ""
	EOF
	(cd / && exec containerd --config "$W/config.toml" >"$W/containerd.log" 2>&1 3>&- </dev/null) &
	echo $! >"$W/containerd.pid"
	wait_until 10 ctr --address "$W/containerd.sock" version >/dev/null 2>&1 ||
		{ echo "containerd did not start:" >&2; tail -20 "$W/containerd.log" >&2; return 1; }
	C=(ctr --address "$W/containerd.sock" -n "$NS")
	"${C[@]}" image import --snapshotter native "$W/image.tar" >"$W/import.log" 2>&1 ||
		{ cat "$W/import.log" >&2; return 1; }
	"${C[@]}" image ls -q | grep -qx "$IMG" || { "${C[@]}" image ls >&2; return 1; }
}

# make_image: $W/image.tar, the test rootfs as an OCI archive made by podman
# (private storage, removed right after)
make_image() {
	local p="$W/podman-store"
	mkdir -p "$p"
	printf '[containers]\ndefault_ulimits = []\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n' \
		>"$p/containers.conf"
	oci_tar_rootfs "$W/rootfs.tar" || return 1
	local pm=(env CONTAINERS_CONF="$p/containers.conf" podman --root "$p/root" --runroot "$p/run"
		--tmpdir "$p/tmp" --storage-driver vfs --cgroup-manager cgroupfs)
	# the import is tried twice: once on this shared host it failed with
	# "cleaning up after pivot: remove /.pivot_rootN: device or resource
	# busy" while a transient mount sat on / (someone else's)
	{ { "${pm[@]}" import "$W/rootfs.tar" "$IMG" || "${pm[@]}" import "$W/rootfs.tar" "$IMG"; } &&
		"${pm[@]}" save --format oci-archive -o "$W/image.tar" "$IMG" &&
		"${pm[@]}" rmi -af; } >"$W/podman.log" 2>&1 3>&- </dev/null ||
		{ cat "$W/podman.log" >&2; return 1; }
	rm -rf "$p" "$W/rootfs.tar"
}

teardown_file() {
	if [ -z "${W:-}" ] || [ ! -d "$W" ]; then return 0; fi
	C=(ctr --address "$W/containerd.sock" -n "$NS")
	if [ -S "$W/containerd.sock" ]; then
		remove_all
		"${C[@]}" image rm "$IMG" >/dev/null 2>&1
	fi
	oci_kill_pidfile "$W/containerd.pid"
	# the shims (their command lines name $W) are gone
	oci_no_proc_below "$W" >&2 || true
	oci_umount_below "$W"
	rm -rf "$W"
	oci_rm_cgroups "$CGP"
	if [ "$RUN_CTD_EXISTED" = 0 ]; then
		rmdir /run/containerd/s /run/containerd 2>/dev/null || true
	fi
}

# remove_all: every task (killed) and container of our namespace
remove_all() {
	local id
	for id in $("${C[@]}" task ls -q 2>/dev/null); do
		"${C[@]}" task delete -f "$id" >/dev/null 2>&1
	done
	for id in $("${C[@]}" container ls -q 2>/dev/null); do
		"${C[@]}" container rm "$id" >/dev/null 2>&1
	done
}

setup() {
	[ -z "${OCI_SKIP:-}" ] || skip "$OCI_SKIP"
	[ -d "${W:-}" ] && [ -S "$W/containerd.sock" ] || skip "setup_file failed"
	C=(ctr --address "$W/containerd.sock" -n "$NS")
	mkdir -p "$W/fifo"
}

teardown() {
	[ -d "${W:-}" ] || return 0
	[ -S "$W/tmux.sock" ] && tmux -S "$W/tmux.sock" kill-server 2>/dev/null
	rm -f "$W/tmux.sock"
	[ -S "$W/containerd.sock" ] && remove_all
	return 0
}

# RUNOPTS NAME: ctr run's options for a container NAME under test
runopts() {
	echo --snapshotter native --runc-binary "$RT" --runc-root "$W/runc-root" \
		--fifo-dir "$W/fifo" --cgroup "$CGP/$1"
}
# crun [-N] [ctr run options] NAME -- CMD...: ctr run --rm, $output, $status
crun() {
	local o=() r=() name
	case "${1:-}" in -[0-9]*) r=("$1"); shift ;; esac
	while [ $# -gt 0 ] && [ "$1" != -- ]; do o+=("$1"); shift; done
	shift
	name=${o[-1]}
	unset 'o[-1]'
	# shellcheck disable=SC2046 # runopts' words hold no blank
	run "${r[@]}" "${C[@]}" run --rm $(runopts "$name") "${o[@]}" "$IMG" "$name" "$@" 3>&-
}
# cstart [--opt=value...] NAME CMD...: ctr run -d
cstart() {
	local o=() name
	while [[ "${1:-}" == -* ]]; do o+=("$1"); shift; done
	name=$1
	shift
	# shellcheck disable=SC2046
	"${C[@]}" run -d $(runopts "$name") "${o[@]}" "$IMG" "$name" "$@" 3>&- </dev/null
}
task_status() { "${C[@]}" task ls | awk -v n="$1" '$1 == n { print $3 }'; }
task_pid() { "${C[@]}" task ls | awk -v n="$1" '$1 == n { print $2 }'; }
status_is() { [ "$(task_status "$1")" = "$2" ]; }
# nothing_left NAME: no task, container, runtime state, cgroup or mount
nothing_left() {
	run "${C[@]}" task ls -q
	[ -z "$output" ] || { echo "tasks: $output"; return 1; }
	run "${C[@]}" container ls -q
	[ -z "$output" ] || { echo "containers: $output"; return 1; }
	[ ! -e "$W/runc-root/$NS/$1" ] || { echo "runtime state left: $W/runc-root/$NS/$1"; return 1; }
	! grep -q " $W/state/" /proc/self/mountinfo || { echo "mounts left:"; grep " $W/state/" /proc/self/mountinfo; return 1; }
	oci_cgroup_empty "$CGP"
}
# frozen NAME: the task's cgroup is frozen (v1 freezer.state, v2 cgroup.freeze)
frozen() {
	local d
	for d in $(oci_cgroup_dirs "$1"); do
		[ -f "$d/freezer.state" ] && { grep -qx FROZEN "$d/freezer.state"; return; }
		[ -f "$d/cgroup.freeze" ] && [ "$(cat "$d/cgroup.freeze")" = 1 ] && return 0
	done
	return 1
}
pane_has() { tmux -S "$W/tmux.sock" capture-pane -p | grep -q -- "$1"; }
pane() { tmux -S "$W/tmux.sock" capture-pane -p; }

@test "ctr run --rm: the command's output, then nothing left (task, container, state, cgroups, mounts)" {
	crun r1 -- echo hello from the runtime
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "hello from the runtime" ]
	nothing_left r1
}

@test "exit statuses: exit 3 is 3; the runtime's error (its --log, json) reaches ctr" {
	crun -3 r2 -- sh -c 'exit 3'
	# the shim reads the last {"level":"error","msg":...} line of the
	# runtime's --log file and puts msg in its answer
	crun -1 r3 -- /no/such/command
	echo "$output"
	[[ "$output" == *"OCI runtime create failed"* ]]
	[[ "$output" == *"/no/such/command"* ]]
	nothing_left r3
}

@test "run -d, task ls, exec, ps, kill (SIGTERM reaches the command), delete, container rm" {
	run cstart d1 sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done'
	echo "$output"
	[ "$status" -eq 0 ]
	wait_until 10 status_is d1 RUNNING
	pid=$(task_pid d1)
	[ "$(cat /proc/$pid/comm)" = sh ]
	# the task's pid 1 is a child of the shim (the subreaper)
	ppid=$(awk '/^PPid:/ { print $2 }' /proc/$pid/status)
	[[ "$(cat /proc/$ppid/comm)" == containerd-shim* ]]
	run "${C[@]}" task exec --fifo-dir "$W/fifo" --exec-id e1 d1 cat /proc/1/comm
	[ "$status" -eq 0 ]
	[ "$output" = sh ]
	run -5 "${C[@]}" task exec --fifo-dir "$W/fifo" --exec-id e2 --cwd /tmp d1 sh -c 'pwd; exit 5'
	[ "$output" = /tmp ]
	# ps: the shim runs the runtime's ps --format json, a list of host pids
	"${C[@]}" task exec --fifo-dir "$W/fifo" --exec-id e3 -d d1 sleep 1000 </dev/null 3>&-
	run "${C[@]}" task ps d1
	echo "$output"
	[ "$status" -eq 0 ]
	grep -E "^$pid " <<<"$output"
	grep -E "^[0-9]+ .*ExecID:e3" <<<"$output"
	run "${C[@]}" task kill d1
	[ "$status" -eq 0 ]
	wait_until 10 status_is d1 STOPPED
	run "${C[@]}" task delete d1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"exit code 7"* ]]
	run "${C[@]}" container rm d1
	[ "$status" -eq 0 ]
	nothing_left d1
}

@test "task kill -s KILL is 137; task delete -f of a running task; pause and resume" {
	cstart k1 sleep 1000
	wait_until 10 status_is k1 RUNNING
	run "${C[@]}" task kill -s KILL k1
	[ "$status" -eq 0 ]
	wait_until 10 status_is k1 STOPPED
	run "${C[@]}" task delete k1
	[[ "$output" == *"exit code 137"* ]]
	"${C[@]}" container rm k1
	cstart k2 sleep 1000
	wait_until 10 status_is k2 RUNNING
	pid=$(task_pid k2)
	run "${C[@]}" task pause k2
	[ "$status" -eq 0 ]
	wait_until 5 status_is k2 PAUSED
	frozen k2
	run "${C[@]}" task resume k2
	[ "$status" -eq 0 ]
	wait_until 5 status_is k2 RUNNING
	run "${C[@]}" task delete -f k2
	[ "$status" -eq 0 ]
	wait_until 10 _oci_gone "$pid"
	"${C[@]}" container rm k2
	nothing_left k2
}

@test "ctr run -t under tmux: a terminal (the console socket), typed commands, the exit status" {
	command -v tmux
	tmux -S "$W/tmux.sock" new-session -d -x 80 -y 24 \
		"${C[*]} run -t --rm $(runopts t1) $IMG t1 sh; echo \$? > '$W/t.rc'" 3>&-
	wait_until 20 pane_has '/ #' || { pane; false; }
	tmux -S "$W/tmux.sock" send-keys 'tty; echo $((6*7))' Enter
	wait_until 10 pane_has '^42' || { pane; false; }
	pane | grep -E '^/dev/pts/[0-9]+'
	tmux -S "$W/tmux.sock" send-keys 'exit 4' Enter
	wait_file "$W/t.rc" 20 || { pane; false; }
	[ "$(cat "$W/t.rc")" = 4 ]
	nothing_left t1
}

@test "--memory-limit: in the task's memory cgroup (ctr mounts no cgroupfs inside: read from the host)" {
	cstart --memory-limit=67108864 m1 sleep 1000
	wait_until 10 status_is m1 RUNNING
	lim=
	for d in $(oci_cgroup_dirs m1); do
		[ -f "$d/memory.limit_in_bytes" ] && lim=$(cat "$d/memory.limit_in_bytes")
		[ -f "$d/memory.max" ] && lim=$(cat "$d/memory.max")
	done
	[ "$lim" = 67108864 ]
	"${C[@]}" task delete -f m1
	"${C[@]}" container rm m1
	nothing_left m1
}

@test "--env, --cwd: the process's environment and working directory" {
	crun --env FOO=bar --cwd /var e1 -- sh -c 'echo "$FOO"; pwd'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[*]}" = "bar /var" ]
	nothing_left e1
}

@test "a network namespace of its own, with only lo" {
	crun n1 -- sh -c 'readlink /proc/self/ns/net; cat /proc/net/dev'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" != "$(readlink /proc/self/ns/net)" ]
	run awk -F: 'NR > 3 { gsub(/ /, "", $1); print $1 }' <<<"$output"
	[ "$output" = lo ]
}

@test "--annotation run.oci.handler=vm: refused on this host, with a reason naming the VM (cloison only)" {
	rt_is_cloison || skip "run.oci.handler=vm is cloison's: $(basename "$RT") ignores the annotation"
	crun -1 --annotation run.oci.handler=vm v1 -- true
	echo "$output"
	grep -Eiq '\bvm\b|micro-?vm|virtual machine|kvm' <<<"$output"
	nothing_left v1
}
