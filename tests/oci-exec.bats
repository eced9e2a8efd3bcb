#!/usr/bin/env bats
# OCI exec and update (runc's command line): a process run in a created and
# started container (create + start of sleep) gets its namespaces, cgroups
# and seccomp policy and the process settings of the command line or of
# --process; --detach, --pid-file, --tty with a console socket; the
# refusals; update writing LinuxResources into the container's cgroups.
# Every container is deleted with --force and its bundle removed by
# teardown, whatever happened; each test has its own OCI root.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	# one copy of the rootfs for the suite, in a directory only root can
	# write to (a rootfs others may write to is refused)
	chmod 700 "$BATS_FILE_TMPDIR"
	mkdir "$BATS_FILE_TMPDIR/rootfs"
	cp -a "$ROOTFS/." "$BATS_FILE_TMPDIR/rootfs/"
}

setup() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	[ -x "$CLOISON" ] || {
		echo "build/cloison is missing: run make first" >&2
		return 1
	}
	chmod 700 "$BATS_TEST_TMPDIR"
	OCI_ROOT="$BATS_TEST_TMPDIR/root"
	IDS="$BATS_TEST_TMPDIR/ids"
	: >"$IDS"
}

teardown() {
	local n
	for n in ${BG_PIDS:-}; do
		kill -KILL "$n" 2>/dev/null
		wait "$n" 2>/dev/null
	done
	while read -r n; do
		[ -n "$n" ] && oci delete --force "$n" >/dev/null 2>&1
		rm -rf "${BATS_TEST_TMPDIR:?}/$n"
	done <"$IDS"
	return 0
}

# oci ARGS...: cloison with this test's OCI root (no output captured)
oci() {
	"$CLOISON" --root "$OCI_ROOT" "$@"
}

# ox ARGS...: the same under `run`, status and output in $status, $output;
# fd 3 closed (a detached process must not hold bats's output open)
ox() {
	run "$CLOISON" --root "$OCI_ROOT" "$@" 3>&-
}

# container ID [JQ-FILTER]: a bundle for sleep 1000 (the filter edits its
# config.json), created and started; its stdio goes to files in the bundle
container() {
	local id=$1 filter=${2:-.} b="$BATS_TEST_TMPDIR/$1"
	echo "$id" >>"$IDS"
	mkdir "$b"
	(cd "$b" && "$CLOISON" spec) || return 1
	jq --arg r "$BATS_FILE_TMPDIR/rootfs" --arg cg "cloison-ocix-$id/$id" \
		'.root.path = $r | .process.terminal = false | .process.args = ["sleep", "1000"]
		 | .linux.cgroupsPath = $cg' "$b/config.json" | jq "$filter" >"$b/c.json" &&
		mv "$b/c.json" "$b/config.json" || return 1
	oci create --bundle "$b" "$id" </dev/null >"$b/out" 2>&1 3>&- || {
		cat "$b/out"
		return 1
	}
	oci start "$id" || return 1
}

# status_of ID: the container's status; cgroup_of ID PATTERN: the one of its
# recorded cgroup directories matching PATTERN
status_of() {
	oci state "$1" | jq -r .status
}
cgroup_of() {
	jq -r '.cgroups[]' "$OCI_ROOT/$1/state.json" | grep -- "$2" | head -1
}

@test "oci exec: output and exit status: 0, the command's, 128+N, 127, 126" {
	container ox-status
	ox exec ox-status echo hello from exec
	[ "$status" -eq 0 ]
	[ "$output" = "hello from exec" ]
	ox exec ox-status sh -c 'exit 42'
	[ "$status" -eq 42 ]
	ox exec ox-status -- sh -c 'kill -TERM $$'
	[ "$status" -eq 143 ]
	# (bats warns of a 127 unless told: -127)
	run -127 "$CLOISON" --root "$OCI_ROOT" exec ox-status no-such-command
	[[ $output == *no-such-command*"not found"* ]]
	ox exec ox-status /etc/passwd
	[ "$status" -eq 126 ]
	# stdin is ours, passed on as it is (runc: the engine's pipes)
	run bash -c 'echo piped | "$0" --root "$1" exec ox-status cat' "$CLOISON" "$OCI_ROOT"
	[ "$status" -eq 0 ]
	[ "$output" = piped ]
}

@test "oci exec: the container's namespaces, cgroup and seccomp policy" {
	container ox-ns '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	# shellcheck disable=SC2016
	ox exec ox-ns sh -c 'for n in pid mnt net uts ipc cgroup; do
		[ "$(readlink /proc/self/ns/$n)" = "$(readlink /proc/1/ns/$n)" ] || echo "differs: $n"
	done; echo pid $$; grep -E "^Seccomp:" /proc/self/status; mkdir /tmp/ox-dir'
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output != *differs* ]]
	[[ $output == *"Operation not permitted"* ]]
	grep -qx 'Seccomp:[[:space:]]*2' <<<"$output"
	# a pid of the container's namespace, not the host's
	local inner
	inner=$(sed -n 's/^pid //p' <<<"$output")
	[ "$inner" -gt 1 ] && [ "$inner" -lt 100 ]
	# ps there shows the container's process as pid 1
	ox exec ox-ns ps -o pid,args
	grep -qE '^ +1 +sleep 1000$' <<<"$output"
}

@test "oci exec: --cwd, -e, -u UID:GID, -g, --no-new-privs and --cap from the command line" {
	container ox-args '.process.noNewPrivileges = false'
	# shellcheck disable=SC2016
	ox exec --cwd /tmp -e OX_A=1 --env OX_B=two -u 1000:1001 -g 5 ox-args \
		sh -c 'pwd; echo "$OX_A $OX_B"; id -u; id -g; id -G; grep NoNewPrivs /proc/self/status'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /tmp ]
	[ "${lines[1]}" = "1 two" ]
	[ "${lines[2]}" = 1000 ]
	[ "${lines[3]}" = 1001 ]
	[[ ${lines[4]} == *5* ]]
	grep -qx 'NoNewPrivs:[[:space:]]*0' <<<"$output"
	# the config's environment is kept
	ox exec ox-args sh -c 'echo "$TERM"'
	[ "$output" = xterm ]
	ox exec --no-new-privs ox-args grep NoNewPrivs /proc/self/status
	grep -qx 'NoNewPrivs:[[:space:]]*1' <<<"$output"
	# spec's set: AUDIT_WRITE (29), KILL (5), NET_BIND_SERVICE (10); + SYS_ADMIN (21)
	ox exec ox-args grep -E '^Cap(Eff|Bnd):' /proc/self/status
	grep -qx 'CapBnd:[[:space:]]*0*20000420' <<<"$output"
	ox exec --cap CAP_SYS_ADMIN ox-args grep -E '^Cap(Eff|Bnd):' /proc/self/status
	echo "$output"
	grep -qx 'CapEff:[[:space:]]*0*20200420' <<<"$output"
	grep -qx 'CapBnd:[[:space:]]*0*20200420' <<<"$output"
}

@test "oci exec --process: args, env, cwd, user, groups, capabilities, noNewPrivileges" {
	container ox-proc
	local p="$BATS_TEST_TMPDIR/process.json"
	# CAP_CHOWN is 0, CAP_SYS_ADMIN 21
	cat >"$p" <<-'EOF'
		{"args": ["sh", "-c", "pwd; echo $OX; id -u; id -g; id -G; grep -E '^(Cap(Eff|Prm|Bnd)|NoNewPrivs):' /proc/self/status"],
		 "env": ["OX=from-process", "PATH=/bin:/usr/bin"], "cwd": "/etc",
		 "user": {"uid": 0, "gid": 34, "additionalGids": [7]},
		 "capabilities": {"bounding": ["CAP_CHOWN", "CAP_SYS_ADMIN"],
		                  "effective": ["CAP_CHOWN"],
		                  "permitted": ["CAP_CHOWN", "CAP_SYS_ADMIN"]},
		 "noNewPrivileges": true, "terminal": false}
	EOF
	# the command line's command is not used with --process, as with runc
	ox exec --process "$p" ox-proc
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /etc ]
	[ "${lines[1]}" = from-process ]
	[ "${lines[2]}" = 0 ]
	[ "${lines[3]}" = 34 ]
	[[ " ${lines[4]} " == *" 7 "* ]]
	# root's execve makes every permitted capability effective
	grep -qx 'CapEff:[[:space:]]*0*200001' <<<"$output"
	grep -qx 'CapPrm:[[:space:]]*0*200001' <<<"$output"
	grep -qx 'CapBnd:[[:space:]]*0*200001' <<<"$output"
	grep -qx 'NoNewPrivs:[[:space:]]*1' <<<"$output"
}

@test "oci exec: a bad process JSON is refused naming the field, in the --log file too" {
	container ox-bad
	local p="$BATS_TEST_TMPDIR/process.json" log="$BATS_TEST_TMPDIR/log.json"
	echo '{"args": ["true"], "cwd": "/", "user": {"uid": "root"}}' >"$p"
	ox --log "$log" --log-format json exec --process "$p" ox-bad
	[ "$status" -eq 255 ]
	[[ $output == *"process.user.uid"* ]]
	jq -e 'select(.level == "error") | .msg | test("process.user.uid")' "$log"
	echo '{"args": [], "cwd": "/"}' >"$p"
	ox exec --process "$p" ox-bad
	[ "$status" -eq 255 ]
	[[ $output == *"process.args"* ]]
	echo '{"args": ["true"], "cwd": "relative"}' >"$p"
	ox exec --process "$p" ox-bad
	[ "$status" -eq 255 ]
	[[ $output == *"process.cwd"* ]]
	ox exec --process "$BATS_TEST_TMPDIR/none.json" ox-bad
	[ "$status" -eq 255 ]
	[[ $output == *none.json* ]]
	# and the container is as it was
	[ "$(status_of ox-bad)" = running ]
}

@test "oci exec --detach --pid-file: returns at once; the process is in the container's cgroup" {
	container ox-detach
	local pf="$BATS_TEST_TMPDIR/exec.pid" out="$BATS_TEST_TMPDIR/exec.out" pid d st=0
	# its stdio is ours, as the engine's pipes would be: a file here (under
	# run, the process would hold bats's pipe open)
	oci exec --detach --pid-file "$pf" ox-detach sleep 300 </dev/null >"$out" 2>&1 3>&- || st=$?
	cat "$out"
	[ "$st" -eq 0 ]
	[ -s "$pf" ]
	pid=$(cat "$pf")
	[ -d "/proc/$pid" ]
	[ "$(cat "/proc/$pid/comm")" = sleep ]
	# in every cgroup of the container's, as its own process is
	for d in $(jq -r '.cgroups[]' "$OCI_ROOT/ox-detach/state.json"); do
		echo "$d: $(tr '\n' ' ' <"$d/cgroup.procs")"
		grep -qx "$pid" "$d/cgroup.procs"
	done
	# and its pid namespace
	[ "$(readlink "/proc/$pid/ns/pid")" = "$(readlink "/proc/$(oci state ox-detach | jq .pid)/ns/pid")" ]
	# it outlives the exec command (no parent-death signal): still there
	sleep 0.5
	[ -d "/proc/$pid" ]
	# delete --force takes it with the container
	oci delete --force ox-detach
	wait_until 5 test ! -d "/proc/$pid"
	# a -d exec whose command is missing fails, and says why
	container ox-detach2
	oci exec -d --pid-file "$pf.2" ox-detach2 no-such-command </dev/null >"$out" 2>&1 3>&- || st=$?
	cat "$out"
	[ "$st" -eq 255 ]
	grep -q no-such-command "$out"
	[ ! -e "$pf.2" ]
}

# receiver SOCKET OUT: a console socket's receiver in the background
# (python3): takes the master it is sent and copies what the terminal says
# to OUT, for at most 10 s; ready once SOCKET.ready exists
receiver() {
	python3 - "$1" >"$2" 2>&1 3>&- <<-'EOF' &
		import os, select, socket, sys, time
		path = sys.argv[1]
		s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
		s.bind(path); s.listen(1); s.settimeout(10)
		open(path + ".ready", "w").close()
		c, _ = s.accept()
		c.settimeout(10)
		_, fds, _, _ = socket.recv_fds(c, 16, 1)
		end = time.time() + 10
		while time.time() < end:
		    r, _, _ = select.select([fds[0]], [], [], max(0, end - time.time()))
		    if not r:
		        break
		    try:
		        data = os.read(fds[0], 4096)
		    except OSError:
		        break
		    if not data:
		        break
		    sys.stdout.buffer.write(data)
		    sys.stdout.flush()
	EOF
	RECV=$!
	BG_PIDS="${BG_PIDS:-} $RECV"
	wait_file "$1.ready"
}

@test "oci exec --tty --console-socket: a terminal of the container's devpts, its master sent" {
	container ox-tty
	local sock="$BATS_TEST_TMPDIR/console.sock" out="$BATS_TEST_TMPDIR/console.out"
	receiver "$sock" "$out"
	# shellcheck disable=SC2016
	ox exec --tty --console-socket "$sock" ox-tty sh -c 'tty; [ -t 0 ] && echo stdin-is-tty; exit 7'
	[ "$status" -eq 7 ]
	timeout 15 tail --pid="$RECV" -f /dev/null
	cat -A "$out"
	grep -q '^/dev/pts/[0-9]' "$out"
	grep -q stdin-is-tty "$out"
	# detached too
	receiver "$sock.2" "$out.2"
	ox exec -d -t --console-socket "$sock.2" --pid-file "$BATS_TEST_TMPDIR/tty.pid" ox-tty \
		sh -c 'tty; sleep 1'
	[ "$status" -eq 0 ]
	[ -s "$BATS_TEST_TMPDIR/tty.pid" ]
	timeout 15 tail --pid="$RECV" -f /dev/null
	grep -q '^/dev/pts/[0-9]' "$out.2"
	# a detached terminal needs somewhere to go
	ox exec -d -t ox-tty true
	[ "$status" -eq 255 ]
	[[ $output == *console-socket* ]]
}

@test "oci exec: signals to the exec command are forwarded to the process" {
	container ox-sig
	local cli st=0
	oci exec ox-sig sleep 300 3>&- &
	cli=$!
	BG_PIDS=$cli
	# once sleep 300 runs in the container
	wait_until 10 pgrep -f -P "$cli" 'sleep 300'
	kill -TERM "$cli"
	wait "$cli" || st=$?
	[ "$st" -eq 143 ]
}

@test "oci exec --preserve-fds: fd 3 and up passed on" {
	container ox-fds
	local f="$BATS_TEST_TMPDIR/fd3"
	run bash -c 'exec 3>"$2"; "$0" --root "$1" exec --preserve-fds 1 ox-fds sh -c "echo via-fd3 >&3"' \
		"$CLOISON" "$OCI_ROOT" "$f"
	[ "$status" -eq 0 ]
	[ "$(cat "$f")" = via-fd3 ]
	# without it, fd 3 is not passed
	run bash -c 'exec 3>"$2"; "$0" --root "$1" exec ox-fds sh -c "echo x >&3"' \
		"$CLOISON" "$OCI_ROOT" "$f.2"
	[ "$status" -ne 0 ]
	[ ! -s "$f.2" ]
}

@test "oci exec: refused into a stopped container, an unknown one, a paused one" {
	container ox-stop '.process.args = ["true"]'
	wait_until 5 bash -c '[ "$("$0" --root "$1" state ox-stop | jq -r .status)" = stopped ]' \
		"$CLOISON" "$OCI_ROOT"
	ox exec ox-stop true
	[ "$status" -eq 255 ]
	[[ $output == *"stopped container"* ]]
	ox exec ox-none true
	[ "$status" -eq 255 ]
	[[ $output == *ox-none* ]]
	container ox-pause
	oci pause ox-pause || skip "pause is not available here"
	ox exec ox-pause true
	[ "$status" -eq 255 ]
	[[ $output == *paused* ]]
	oci resume ox-pause
	ox exec ox-pause true
	[ "$status" -eq 0 ]
}

@test "oci update --resources: memory limit and pids.max in the container's cgroup files" {
	container ox-upd '.linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 100}'
	local mem pids
	mem=$(cgroup_of ox-upd memory)
	pids=$(cgroup_of ox-upd pids)
	[ -n "$mem" ] && [ -n "$pids" ]
	[ "$(cat "$mem/memory.limit_in_bytes")" = 67108864 ]
	[ "$(cat "$pids/pids.max")" = 100 ]
	# containerd's shim: the JSON on stdin (its device rules are no limit:
	# left as they are)
	run "$CLOISON" --root "$OCI_ROOT" update --resources - ox-upd <<<'{"memory": {"limit": 134217728},
		"pids": {"limit": 42}, "devices": [{"allow": false, "access": "rwm"}]}'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat "$mem/memory.limit_in_bytes")" = 134217728 ]
	[ "$(cat "$pids/pids.max")" = 42 ]
	# the options; -1 is unlimited
	ox update --memory 32M --pids-limit -1 ox-upd
	[ "$status" -eq 0 ]
	[ "$(cat "$mem/memory.limit_in_bytes")" = 33554432 ]
	[ "$(cat "$pids/pids.max")" = max ]
	# from a file
	echo '{"pids": {"limit": 64}}' >"$BATS_TEST_TMPDIR/res.json"
	ox update -r "$BATS_TEST_TMPDIR/res.json" ox-upd
	[ "$status" -eq 0 ]
	[ "$(cat "$pids/pids.max")" = 64 ]
	# the container's processes feel it: forks beyond the limit fail
	ox update --pids-limit 3 ox-upd
	ox exec ox-upd sh -c 'for i in 1 2 3 4 5; do sleep 2 & done; wait'
	[[ $output == *"can't fork"* ]]
}

@test "oci update: what cloison cannot apply is refused, naming it" {
	container ox-upd2 '.linux.resources.pids = {"limit": 100}'
	local pids
	pids=$(cgroup_of ox-upd2 pids)
	run "$CLOISON" --root "$OCI_ROOT" update -r - ox-upd2 <<<'{"memory": {"kernel": 1048576}}'
	[ "$status" -eq 1 ]
	[[ $output == *memory.kernel* ]]
	run "$CLOISON" --root "$OCI_ROOT" update -r - ox-upd2 <<<'{"hugepageLimits": [{"pageSize": "2MB", "limit": 2097152}]}'
	[ "$status" -eq 1 ]
	[[ $output == *hugepageLimits* ]]
	run "$CLOISON" --root "$OCI_ROOT" update -r - ox-upd2 <<<'{"pids": {"limit": "many"}}'
	[ "$status" -eq 1 ]
	[[ $output == *pids.limit* ]]
	# every controller has the container's group (accounted, as engines
	# read them), limited or not: the new limit lands there
	ox update --memory 64M ox-upd2
	[ "$status" -eq 0 ]
	[ "$(cat "$(cgroup_of ox-upd2 /memory/)/memory.limit_in_bytes")" = 67108864 ]
	ox update --kernel-memory 1M ox-upd2
	[ "$status" -eq 1 ]
	[[ $output == *kernel-memory* ]]
	# empty and zero values are no change: accepted
	run "$CLOISON" --root "$OCI_ROOT" update -r - ox-upd2 <<<'{"memory": {"swappiness": 0}, "hugepageLimits": [], "unified": {}}'
	[ "$status" -eq 0 ]
	[ "$(cat "$pids/pids.max")" = 100 ]
	# a stopped container is not updated
	oci kill ox-upd2 KILL
	wait_until 5 bash -c '[ "$("$0" --root "$1" state ox-upd2 | jq -r .status)" = stopped ]' \
		"$CLOISON" "$OCI_ROOT"
	ox update --pids-limit 5 ox-upd2
	[ "$status" -eq 1 ]
	[[ $output == *stopped* ]]
}
