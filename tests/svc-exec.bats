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
	ex ex-sc -- touch /tmp/ex-file
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

@test "exec: a micro-VM jail is refused (its guest agent is not there yet)" {
	local name
	name=$("$CLOISON" run -d --vm --rootfs "$ROOTFS" -- sleep 1000 2>&1 3>&-) ||
		skip "run -d --vm does not work here: $name"
	echo "$name" >>"$JAILS"
	ex "$name" -- true
	[ "$status" -eq 125 ]
	[[ $output == *"jail $name is a micro-VM: exec into a micro-VM comes with its guest agent"* ]]
}

@test "exec: --help" {
	run "$CLOISON" exec --help
	[ "$status" -eq 0 ]
	[[ $output == *"Usage: cloison exec"* ]]
}
