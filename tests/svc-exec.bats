#!/usr/bin/env bats
# cloison exec: a command run in a running detached jail gets the jail's own
# confinement (namespaces, cgroups, capabilities, no_new_privs, seccomp),
# checked from inside against the jail's pid 1 and from the host; its exit
# status, options, terminal and signals; the refusals.  Jails are named ex-*
# and removed by teardown, whatever happened.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	[ -x "$CLOISON" ] || {
		echo "build/cloison is missing: run make first" >&2
		return 1
	}
	JAILS="$BATS_TEST_TMPDIR/jails"
	: >"$JAILS"
}

teardown() {
	local n
	# the background CLIs a test started, by pid
	for n in ${BG_PIDS:-}; do
		kill -KILL "$n" 2>/dev/null
		wait "$n" 2>/dev/null
	done
	while read -r n; do
		[ -n "$n" ] && "$CLOISON" rm -f "$n" >/dev/null 2>&1
	done <"$JAILS"
	return 0
}

# start NAME [run options] -- CMD...: a detached jail in the test rootfs.
start() {
	local name=$1
	shift
	echo "$name" >>"$JAILS"
	run "$CLOISON" run -d --name "$name" --rootfs "$ROOTFS" "$@" 3>&-
	[ "$status" -eq 0 ] || {
		echo "run -d $name: $output"
		return 1
	}
}

# field NAME KEY: a value of the jail's state.
field() {
	"$CLOISON" inspect "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0][sys.argv[1]])' "$2"
}

# is NAME STATUS: the jail's status is STATUS (for wait_until).
is() {
	[ "$(field "$1" status)" = "$2" ]
}

# ex NAME [exec options] -- CMD...: cloison exec, output in $output.  (It
# leaves no process behind: no fd 3 to close.)
ex() {
	run "$CLOISON" exec "$@"
}

# exec_child CLI_PID: the pid of the process the background exec CLI_PID
# started (its child); has_child CLI_PID: there is one.
exec_child() {
	ps -o pid= --ppid "$1" | tr -d ' '
}
has_child() {
	[ -n "$(exec_child "$1")" ]
}

status_lines='^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp|Seccomp_filters):'

@test "exec: capabilities, no_new_privs and seccomp are the jail's pid 1's" {
	start ex-caps -- sleep 1000
	ex ex-caps -- grep -E "$status_lines" /proc/1/status
	[ "$status" -eq 0 ]
	local pid1=$output
	ex ex-caps -- grep -E "$status_lines" /proc/self/status
	[ "$status" -eq 0 ]
	echo "pid 1: $pid1"
	echo "exec: $output"
	[ "$output" = "$pid1" ]
	grep -qx 'Seccomp:[[:space:]]*2' <<<"$output"
	grep -qx 'NoNewPrivs:[[:space:]]*1' <<<"$output"
	# and the host sees the same of the jail's pid 1
	[ "$(grep -E "$status_lines" "/proc/$(field ex-caps pid)/status")" = "$pid1" ]
}

@test "exec: every namespace of the jail, the pid namespace included" {
	start ex-ns -- sleep 1000
	local n
	# shellcheck disable=SC2016
	ex ex-ns -- sh -c 'for n in pid mnt net uts ipc cgroup time user; do
		[ "$(readlink /proc/self/ns/$n)" = "$(readlink /proc/1/ns/$n)" ] || echo "differs: $n"
	done; echo pid $$'
	[ "$status" -eq 0 ]
	echo "$output"
	[[ $output != *differs* ]]
	# a pid of the jail's namespace: small, not the host's
	local inner=${output##*pid }
	[ "$inner" -gt 1 ] && [ "$inner" -lt 100 ]
	# ps there shows the jail's command as pid 1
	ex ex-ns -- ps -o pid,args
	[ "$status" -eq 0 ]
	grep -qE '^ +1 +sleep 1000$' <<<"$output"
	# from the host: the jail's namespaces are not ours
	local jail
	jail=$(field ex-ns pid)
	for n in pid mnt net uts ipc cgroup; do
		[ "$(readlink "/proc/$jail/ns/$n")" != "$(readlink "/proc/self/ns/$n")" ]
	done
}

@test "exec: the jail's mount namespace (sees a file only the jail has)" {
	start ex-mnt --tmpfs /tmp -- sh -c 'echo made-inside >/tmp/ex-mark; exec sleep 1000'
	wait_until 5 "$CLOISON" exec ex-mnt -- test -e /tmp/ex-mark
	ex ex-mnt -- cat /tmp/ex-mark
	[ "$status" -eq 0 ]
	[ "$output" = made-inside ]
	[ ! -e "$ROOTFS/tmp/ex-mark" ]
	# and the jail's hostname (its UTS namespace)
	ex ex-mnt -- hostname
	[ "$output" = cloison ]
}

@test "exec: the command is in every cgroup of the jail while it runs" {
	start ex-cg -- sleep 1000
	local dirs d cli child
	dirs=$("$CLOISON" inspect ex-cg | python3 -c 'import json,sys
for c in json.load(sys.stdin)[0]["cgroups"]: print(c["path"])')
	[ -n "$dirs" ] || skip "the jail has no cgroup on this host"
	"$CLOISON" exec ex-cg -- sleep 30 3>&- &
	cli=$!
	BG_PIDS=$cli
	wait_until 5 has_child "$cli"
	child=$(exec_child "$cli")
	[ -n "$child" ]
	for d in $dirs; do
		echo "$d: $(tr '\n' ' ' <"$d/cgroup.procs")"
		grep -qx "$child" "$d/cgroup.procs"
	done
	# inside, its cgroup namespace's root is the jail's group
	ex ex-cg -- cat /proc/self/cgroup
	[ "$status" -eq 0 ]
	grep -q '^0::/$' <<<"$output"
	kill -TERM "$cli"
	local st=0
	wait "$cli" || st=$?
	[ "$st" -eq 143 ]
}

@test "exec: a --pids 5 jail refuses the exec'd command's forks beyond its limit" {
	start ex-pids --pids 5 -- sleep 1000
	ex ex-pids -- sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 2 & done; wait'
	echo "$output"
	[[ $output == *"can't fork"* ]]
	# a pids group of its own, at its limit; the jail itself still runs
	ex ex-pids -- true
	[ "$(field ex-pids status)" = running ]
}

@test "exec: -u 1000 gets no capabilities; the bounding set stays the jail's" {
	start ex-user -- sleep 1000
	ex ex-user -u 1000 -- grep -E '^(CapEff|CapPrm|CapAmb|CapBnd):' /proc/self/status
	[ "$status" -eq 0 ]
	echo "$output"
	grep -qx 'CapEff:[[:space:]]*0*' <<<"$output"
	grep -qx 'CapPrm:[[:space:]]*0*' <<<"$output"
	[ "$(grep CapBnd <<<"$output")" = "$(grep CapBnd "/proc/$(field ex-user pid)/status")" ]
	ex ex-user -u 1000:1001 -- id
	[ "$output" = "uid=1000(user) gid=1001" ] || [[ $output == "uid=1000"*"gid=1001"* ]]
}

@test "exec: the jail's --cap-drop and --cap-add" {
	start ex-capset --cap-drop ALL --cap-add NET_BIND_SERVICE --cap-add KILL -- sleep 1000
	ex ex-capset -- grep -E '^Cap(Eff|Bnd):' /proc/self/status
	[ "$status" -eq 0 ]
	echo "$output"
	# CAP_KILL is 5, CAP_NET_BIND_SERVICE 10
	grep -qx 'CapEff:[[:space:]]*0*420' <<<"$output"
	grep -qx 'CapBnd:[[:space:]]*0*420' <<<"$output"
	# a non-root user keeps those it was given by name, as ambient ones
	ex ex-capset -u 1000 -- grep -E '^Cap(Eff|Amb):' /proc/self/status
	grep -qx 'CapAmb:[[:space:]]*0*420' <<<"$output"
}

@test "exec: a system call the jail's policy denies fails in exec too" {
	start ex-sc --deny 'mkdir mkdirat' -- sleep 1000
	ex ex-sc -- mkdir /tmp/ex-dir
	[ "$status" -ne 0 ]
	[[ $output == *"Operation not permitted"* ]]
	ex ex-sc -- sh -c 'touch /tmp/ex-file && rm /tmp/ex-file'
	[ "$status" -eq 0 ]
	# the default policy's own denials: no new user namespace
	ex ex-sc -- unshare -U true
	[ "$status" -ne 0 ]
	[[ $output == *"Operation not permitted"* ]]
}

@test "exec: in a --userns jail, its user namespace (the same uid_map as pid 1)" {
	start ex-userns --userns -- sleep 1000
	ex ex-userns -- cat /proc/1/uid_map
	[ "$status" -eq 0 ]
	local map=$output
	ex ex-userns -- cat /proc/self/uid_map
	[ "$output" = "$map" ]
	# not the host's identity map
	[ "$(awk '{ print $2 }' <<<"$map")" != 0 ]
	ex ex-userns -- readlink /proc/self/ns/user
	[ "$output" != "$(readlink /proc/self/ns/user)" ]
	# root there, with the jail's capabilities in it
	ex ex-userns -- sh -c 'id -u; grep CapEff /proc/self/status; grep CapEff /proc/1/status'
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = "${lines[2]}" ]
}

@test "exec: exit status 0, the command's, 126, 127 and 128+N" {
	start ex-status -- sleep 1000
	ex ex-status -- true
	[ "$status" -eq 0 ]
	ex ex-status -- sh -c 'exit 3'
	[ "$status" -eq 3 ]
	run -127 "$CLOISON" exec ex-status -- ex-no-such-command
	[[ $output == *"ex-no-such-command"* ]]
	ex ex-status -- /etc/passwd
	[ "$status" -eq 126 ]
	ex ex-status -- sh -c 'kill -KILL $$'
	[ "$status" -eq 137 ]
}

@test "exec: -e, -w and -u; the jail's own environment otherwise" {
	start ex-env -e JAILVAR=from-run -w /tmp -- sleep 1000
	# shellcheck disable=SC2016
	ex ex-env -- sh -c 'echo "$JAILVAR $(pwd) $HOME $(id -u)"'
	[ "$status" -eq 0 ]
	[ "$output" = "from-run /tmp /root 0" ]
	# shellcheck disable=SC2016
	ex ex-env -e FOO=bar -e JAILVAR=over -w /etc -u 1000 -- sh -c 'echo "$FOO $JAILVAR $(pwd) $HOME $(id -u)"'
	[ "$status" -eq 0 ]
	[ "$output" = "bar over /etc / 1000" ]
}

@test "exec: -i passes stdin on; without it the command reads /dev/null" {
	start ex-stdin -- sleep 1000
	run bash -c "echo hello-in | '$CLOISON' exec -i ex-stdin -- cat"
	[ "$status" -eq 0 ]
	[ "$output" = hello-in ]
	run bash -c "echo hello-in | '$CLOISON' exec ex-stdin -- cat"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "exec: -t gives the command a terminal of the jail's, sized as ours" {
	command -v script >/dev/null || skip "script(1) is not installed"
	start ex-tty -- sleep 1000
	run script -qec "stty cols 91 rows 33; '$CLOISON' exec -t -u 1000 ex-tty -- sh -c 'tty; stty size; ls -ln \$(tty); exit 4'" /dev/null </dev/null
	echo "$output"
	[ "$status" -eq 4 ]
	grep -q '^/dev/pts/[0-9]' <<<"$output"
	grep -q '^33 91' <<<"$output"
	grep -qE '^crw.* 1000 ' <<<"$output"
	# -it: what we type reaches it
	run script -qec "'$CLOISON' exec -it ex-tty -- sh -c 'read l; echo got \$l'" /dev/null <<<"typed-line"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"got typed-line"* ]]
}

# The service of the stdio tests: every fd 0, 1 and 2 of another process of
# the jail's (but its own) is read with readlink into /tmp/links once; fds 1
# and 2 are also opened for appending and held until /tmp/go appears, then
# written to (/tmp/done lists those written).
# shellcheck disable=SC2016
grabber='own="$(readlink /proc/$$/fd/1) $(readlink /proc/$$/fd/2)"
while :; do
	for f in /proc/[0-9]*/fd/[012]; do
		l=$(readlink "$f") || continue
		case " $own " in *" $l "*) continue ;; esac
		grep -qxF "$f" /tmp/seen 2>/dev/null && continue
		echo "$f" >>/tmp/seen
		echo "$f $l" >>/tmp/links
		case $f in */0) continue ;; esac
		( trap "" PIPE
		  exec 3>>"$f" || exit
		  while [ ! -e /tmp/go ]; do sleep 0.05; done
		  echo JAIL-MARKER >&3
		  echo "$f" >>/tmp/done ) 2>/dev/null &
	done
	sleep 0.05
done'

# links_of FD: what the grabber saw as fd FD of the exec'd process whose pid
# is in the jail's /tmp/execpid.
links_of() {
	"$CLOISON" exec ex-fd -- sh -c 'grep "^/proc/$(cat /tmp/execpid)/fd/'"$1"' " /tmp/links'
}

@test "exec: the jail cannot reach the caller's stdout, stderr or stdin through /proc/PID/fd" {
	start ex-fd --tmpfs /tmp -- sh -c "$grabber"
	local host=$BATS_TEST_TMPDIR/host-out hostin=$BATS_TEST_TMPDIR/host-in
	: >"$host"
	echo host-input >"$hostin"
	# the exec'd command lives long enough for the grabber to see it
	# (not under run: the jail holding run's pipe would keep it waiting)
	local st=0
	# shellcheck disable=SC2016
	"$CLOISON" exec ex-fd -- sh -c 'echo $$ >/tmp/execpid; echo exec-out; echo exec-err >&2; exec sleep 1' \
		>>"$host" 2>>"$host" || st=$?
	[ "$st" -eq 0 ]
	run links_of 1
	echo "fd 1: $output"
	[[ $output == *" pipe:["*"]" ]]
	run links_of 2
	echo "fd 2: $output"
	[[ $output == *" pipe:["*"]" ]]
	# the exec has ended: what the jail held of its fds is written to now
	"$CLOISON" exec ex-fd -- touch /tmp/go
	wait_until 10 "$CLOISON" exec ex-fd -- sh -c \
		'grep -qx "/proc/$(cat /tmp/execpid)/fd/2" /tmp/done'
	echo "host file: $(cat "$host")"
	[ "$(grep -c JAIL-MARKER "$host")" = 0 ]
	# the command's own output got there, each stream in its order
	[ "$(grep -c exec-out "$host")" = 1 ] && [ "$(grep -c exec-err "$host")" = 1 ]
	# -i: stdin is a pipe too, not the caller's file
	"$CLOISON" exec ex-fd -- rm /tmp/go
	# shellcheck disable=SC2016
	"$CLOISON" exec -i ex-fd -- sh -c 'echo $$ >/tmp/execpid; read l; echo "got $l"; exec sleep 1' \
		<"$hostin" >"$host" || st=$?
	[ "$st" -eq 0 ]
	[ "$(cat "$host")" = "got host-input" ]
	run links_of 0
	echo "fd 0: $output"
	[[ $output == *" pipe:["*"]" ]]
	[[ $output != *host-in* ]]
}

@test "exec: output in order per stream, all of it, stdin's end passed on, SIGPIPE kept" {
	start ex-out -- sleep 1000
	# more than a pipe holds, the last line written just before the exit
	run --separate-stderr "$CLOISON" exec ex-out -- sh -c \
		'i=0; while [ $i -lt 3000 ]; do echo "line $i of the output"; echo "err $i" >&2; i=$((i + 1)); done; echo last'
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" = 3001 ]
	[ "${lines[0]}" = "line 0 of the output" ] && [ "${lines[2999]}" = "line 2999 of the output" ]
	[ "${lines[3000]}" = last ]
	[ "$(seq 0 2999 | sed 's/^/err /')" = "$stderr" ]
	# stdin: all of it, then its end; a big input while the command
	# writes a lot before reading (no deadlock)
	run bash -c "seq 1 100000 | '$CLOISON' exec -i ex-out -- sh -c 'seq 1 30000 >/dev/null; i=0; while [ \$i -lt 20000 ]; do echo filler; i=\$((i+1)); done; wc -l' | tail -1"
	[ "$status" -eq 0 ]
	[ "$output" = 100000 ]
	# our stdout closed early: the command gets SIGPIPE, as without cloison
	run bash -c "set -o pipefail; '$CLOISON' exec ex-out -- yes | head -1"
	[ "$status" -eq 141 ]
	[ "$output" = y ]
	# a process left behind holding the output does not keep exec waiting
	run timeout 10 "$CLOISON" exec ex-out -- sh -c 'echo before; sleep 30 & echo after'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'before\nafter')" ]
}

@test "exec -t: a /dev/ptmx the jail replaced is never followed" {
	command -v script >/dev/null || skip "script(1) is not installed"
	# the jail's /dev/ptmx: a symlink to a FIFO of its own, whose reader
	# tells when anything opened it
	# shellcheck disable=SC2016
	start ex-ptmx --tmpfs /tmp -- sh -c 'mknod /tmp/fifo p; rm -f /dev/ptmx
		ln -s /tmp/fifo /dev/ptmx; (cat /tmp/fifo >/dev/null; touch /tmp/opened) &
		touch /tmp/ready; exec sleep 1000'
	wait_until 5 "$CLOISON" exec ex-ptmx -- test -e /tmp/ready
	"$CLOISON" exec ex-ptmx -- test -L /dev/ptmx
	run script -qec "'$CLOISON' exec -t ex-ptmx -- sh -c 'tty; ls -ln \$(tty)'" /dev/null </dev/null
	echo "$output"
	run "$CLOISON" exec ex-ptmx -- test -e /tmp/opened
	[ "$status" -ne 0 ]
	# a real terminal all the same (of the jail's devpts)
	run script -qec "'$CLOISON' exec -t ex-ptmx -- sh -c 'tty; ls -ln \$(tty)'" /dev/null </dev/null
	[ "$status" -eq 0 ]
	grep -q '^/dev/pts/[0-9]' <<<"$output"
	grep -qE '^crw' <<<"$output"
	# a jail allowed to unmount its devpts puts a symlink to its FIFO there
	# shellcheck disable=SC2016
	start ex-pts --tmpfs /tmp --seccomp unconfined --cap-add SYS_ADMIN -- sh -c '
		umount /dev/pts && rmdir /dev/pts && mknod /tmp/ptmx p && ln -s /tmp /dev/pts &&
		{ (cat /tmp/ptmx >/dev/null; touch /tmp/opened) & touch /tmp/ready; }; exec sleep 1000'
	wait_until 5 "$CLOISON" exec ex-pts -- test -e /tmp/ready
	run script -qec "'$CLOISON' exec -t ex-pts -- tty" /dev/null </dev/null
	echo "$output"
	[ "$status" -eq 125 ]
	[[ $output == *"cannot open /dev/pts/ptmx in jail ex-pts (a symlink there is not followed)"* ]]
	run "$CLOISON" exec ex-pts -- test -e /tmp/opened
	[ "$status" -ne 0 ]
}

@test "exec: the command starts with default signal dispositions and none blocked" {
	start ex-sigdfl -- sleep 1000
	# ignored by the caller (as for a command started with & or nohup)
	run bash -c "trap '' INT QUIT HUP PIPE TERM USR1 TTOU; '$CLOISON' exec ex-sigdfl -- grep -E '^Sig(Blk|Ign):' /proc/self/status"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx 'SigBlk:[[:space:]]*0*' <<<"$output"
	grep -qx 'SigIgn:[[:space:]]*0*' <<<"$output"
	run bash -c "trap '' INT QUIT HUP PIPE TERM USR1 TTOU; script -qec \"'$CLOISON' exec -t ex-sigdfl -- grep -E '^Sig(Blk|Ign):' /proc/self/status\" /dev/null </dev/null"
	echo "$output"
	grep -q 'SigIgn:[[:space:]]*0*.$' <<<"$output"
}

@test "exec: signals are forwarded to the command" {
	start ex-sig -- sleep 1000
	local cli
	"$CLOISON" exec ex-sig -- sleep 30 3>&- &
	cli=$!
	BG_PIDS=$cli
	wait_until 5 has_child "$cli"
	kill -USR1 "$cli"
	local st=0
	wait "$cli" || st=$?
	[ "$st" -eq $((128 + 10)) ]
	# and the jail goes on
	[ "$(field ex-sig status)" = running ]
}

@test "exec: refused for an unknown name, a missing command, a stopped jail, a lost one" {
	ex ex-no-such-jail -- true
	[ "$status" -eq 125 ]
	[[ $output == *"no such jail: ex-no-such-jail"* ]]
	start ex-ended -- sleep 1000
	ex ex-ended
	[ "$status" -eq 125 ]
	[[ $output == *"needs a command"* ]]
	run "$CLOISON" stop -t 0 ex-ended
	[ "$status" -eq 0 ]
	ex ex-ended -- true
	[ "$status" -eq 125 ]
	[[ $output == *"jail ex-ended is not running (stopped)"* ]]
	start ex-exited -- true
	wait_until 10 is ex-exited exited
	ex ex-exited -- true
	[ "$status" -eq 125 ]
	[[ $output == *"jail ex-exited is not running (exited)"* ]]
	# its monitor killed (the jail goes with it): lost
	start ex-lost -- sleep 1000
	kill -KILL "$(field ex-lost monitor_pid)"
	# (once the monitor is reaped: a zombie still counts as alive)
	wait_until 20 is ex-lost lost
	ex ex-lost -- true
	[ "$status" -eq 125 ]
	[[ $output == *"jail ex-lost lost its monitor"* ]]
}

@test "exec: into a micro-VM jail goes through its guest agent; a guest without one is said so" {
	local name
	# cloison's test guest boots on this host's /dev/kvm too (PVM)
	run -0 "$CLOISON" run -d --vm --kernel "$TOP/build/testguest.bzImage" -- testguest-spin 3>&-
	name=${lines[-1]}
	echo "$name" >>"$JAILS"
	# the test guest has the vsock device (every VM service gets one, in
	# its state directory) but no agent behind it
	run -0 "$CLOISON" inspect "$name"
	[[ "$output" == *'"vsock":"'*"/$name/vsock.sock"* ]]
	ex "$name" -- true
	[ "$status" -eq 125 ]
	[[ $output == *"the micro-VM's guest agent does not answer"* ]]
}

@test "exec: a hostile guest agent (bad lengths, frame types, statuses, no answer) ends exec with an error naming it, never a hang or a crash (tests/unit/test_agent.c, ASan)" {
	run timeout 60 "$TOP/build/tests/test_agent"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^ok - ' <<<"$output")" -eq 9 ]
}

@test "exec: --help" {
	run "$CLOISON" exec --help
	[ "$status" -eq 0 ]
	[[ $output == *"Usage: cloison exec"* ]]
}
