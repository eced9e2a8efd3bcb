#!/usr/bin/env bats
# Services: detached jails (run -d) and their lifecycle: ps, inspect, logs,
# stop, kill, rm, wait, start, restart, restart policies, the monitor, and
# what is left when any of the processes involved is killed (nothing).
#
# Jails are named sv-*; teardown removes every one.  Network tests run in
# an outer network namespace they create (as tests/net.bats).

bats_require_minimum_version 1.5.0
load helpers

CLNET="$ROOTFS/usr/bin/clnet"
JAILS=/run/cloison/jails

setup() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	NS=
	export CLOISON_NET_DIR="$BATS_TEST_TMPDIR/net"
}

teardown() {
	local d
	for d in "$JAILS"/sv-*; do
		[ -e "$d" ] || continue
		"$CLOISON" rm -f "$(basename "$d")" >/dev/null 2>&1 || true
	done
	[ -z "$NS" ] || ip netns del "$NS" 2>/dev/null || true
}

# svc [run options] -- CMD...: run -d in the test rootfs; $output, $status
svc() { run "$CLOISON" run -d --rootfs "$ROOTFS" "$@" 3>&-; }
# field NAME KEY: a value of the jail's state (inspect)
field() { "$CLOISON" inspect "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)[0].get('$2'))"; }
restarts_at_least() { [ "$(field "$1" restarts)" -ge "$2" ]; }
restarts_are() { [ "$(field "$1" restarts)" = "$2" ]; }
status_is() { [ "$(field "$1" status)" = "$2" ]; }
# cgroups NAME: the jail's cgroup directories
cgroups() {
	"$CLOISON" inspect "$1" | python3 -c "import json,sys; [print(c['path']) for c in json.load(sys.stdin)[0].get('cgroups') or []]"
}
runs_at_least() { [ "$(grep -c 'stdout F up' "$2")" -ge "$1" ]; }
none_exist() { local p; for p in "$@"; do [ ! -e "$p" ] || return 1; done; }

@test "run -d: prints the name once the command runs; ps, inspect, logs; stop tears it down" {
	svc --name sv-one --memory 64M --pids 20 -- /bin/sh -c 'echo to-out; echo to-err >&2; exec sleep 1000'
	[ "$status" -eq 0 ]
	[ "$output" = sv-one ]
	[ -d "$JAILS/sv-one" ]
	[ "$(stat -c %a "$JAILS/sv-one")" = 700 ]
	[ "$(stat -c %a "$JAILS/sv-one/state.json")" = 600 ]
	status_is sv-one running
	pid=$(field sv-one pid)
	[ "$(cat /proc/$pid/comm)" = sleep ]
	run "$CLOISON" ps
	[ "$status" -eq 0 ]
	grep -E '^sv-one +container +up ' <<<"$output"
	grep -E "^sv-one .* $pid " <<<"$output"
	grep -E '^sv-one .*/ 64\.0MiB' <<<"$output"
	run "$CLOISON" ps --format json
	python3 -c "import json,sys; j=[x for x in json.loads(sys.argv[1]) if x['name']=='sv-one'][0]; assert j['memory_limit']==64<<20 and j['pid']==$pid, j" "$output"
	wait_until 5 grep -q to-err "$JAILS/sv-one/log"
	run --separate-stderr "$CLOISON" logs sv-one
	[ "$status" -eq 0 ]
	[ "$output" = to-out ]
	[ "$stderr" = to-err ]
	grep -E '^20[0-9-]+T[0-9:.]+Z stdout F to-out$' "$JAILS/sv-one/log"
	mapfile -t cgs < <(cgroups sv-one)
	[ "${#cgs[@]}" -gt 0 ]
	run "$CLOISON" stop -t 1 sv-one
	[ "$status" -eq 0 ]
	status_is sv-one stopped
	[ ! -e "/proc/$pid" ] || [ "$(cat /proc/$pid/comm 2>/dev/null)" != sleep ]
	none_exist "${cgs[@]}"
	run "$CLOISON" ps
	run ! grep sv-one <<<"$output"
	run "$CLOISON" ps -a
	grep -E '^sv-one .*stopped \(137\)' <<<"$output"
	run "$CLOISON" rm sv-one
	[ "$status" -eq 0 ]
	[ ! -e "$JAILS/sv-one" ]
}

@test "run -d: a command that cannot be executed is reported by run -d itself and leaves nothing" {
	run -127 "$CLOISON" run -d --rootfs "$ROOTFS" --name sv-bad -- /no/such/command 3>&-
	[ "$status" -eq 127 ]
	grep -q 'cannot execute /no/such/command' <<<"$output"
	[ ! -e "$JAILS/sv-bad" ]
	[ ! -e /sys/fs/cgroup/pids/cloison/sv-bad ]
	no_proc 'cloison-monitor sv-bad'
	run -126 "$CLOISON" run -d --rootfs "$ROOTFS" --name sv-bad -- /etc/passwd 3>&-
	[ "$status" -eq 126 ]
	[ ! -e "$JAILS/sv-bad" ]
}

@test "run -d: bad names, a name in use, and two at once with one name: exactly one wins" {
	svc --name 'sv/x' -- true
	[ "$status" -eq 125 ]
	grep -q "invalid name 'sv/x'" <<<"$output"
	svc --name -sv -- true
	[ "$status" -ne 0 ]
	svc -i --name sv-i -- true
	[ "$status" -eq 125 ]
	grep -q -- '-i: a detached jail' <<<"$output"
	svc --name sv-dup -- sleep 1000
	[ "$status" -eq 0 ]
	svc --name sv-dup -- sleep 1000
	[ "$status" -eq 125 ]
	grep -q "a jail named sv-dup exists already ($JAILS/sv-dup)" <<<"$output"
	"$CLOISON" rm -f sv-dup
	for i in 1 2 3 4 5; do
		"$CLOISON" run -d --rootfs "$ROOTFS" --name sv-race -- sleep 1000 >"$BATS_TEST_TMPDIR/a$i" 2>&1 3>&- &
		a=$!
		"$CLOISON" run -d --rootfs "$ROOTFS" --name sv-race -- sleep 1000 >"$BATS_TEST_TMPDIR/b$i" 2>&1 3>&- &
		b=$!
		wins=0
		wait $a && wins=$((wins + 1))
		wait $b && wins=$((wins + 1))
		[ "$wins" -eq 1 ]
		cat "$BATS_TEST_TMPDIR/a$i" "$BATS_TEST_TMPDIR/b$i" | grep -q 'exists already'
		status_is sv-race running
		"$CLOISON" rm -f sv-race >/dev/null
	done
}

@test "stop: the stop signal first (a handler runs), SIGKILL after the grace period for a PID 1 that ignores it" {
	svc --name sv-term -- /bin/sh -c 'trap "echo got-term; exit 0" TERM; echo ready; while :; do sleep 0.1; done'
	[ "$status" -eq 0 ]
	wait_until 5 grep -q ready "$JAILS/sv-term/log"
	run "$CLOISON" stop sv-term
	[ "$status" -eq 0 ]
	[ "$(field sv-term exit_code)" = 0 ]
	grep -q got-term "$JAILS/sv-term/log"
	# sh as PID 1 without a handler ignores SIGTERM: killed after 1 s
	svc --name sv-deaf -- sleep 1000
	start=$(date +%s%N)
	run "$CLOISON" stop -t 1 sv-deaf
	[ "$status" -eq 0 ]
	took=$((($(date +%s%N) - start) / 1000000))
	[ "$took" -ge 900 ]
	[ "$(field sv-deaf exit_code)" = 137 ]
	status_is sv-deaf stopped
	# --stop-signal
	svc --name sv-usr1 --stop-signal USR1 -- /bin/sh -c 'trap "echo got-usr1; exit 5" USR1; echo ready; while :; do sleep 0.1; done'
	wait_until 5 grep -q ready "$JAILS/sv-usr1/log"
	"$CLOISON" stop sv-usr1
	[ "$(field sv-usr1 exit_code)" = 5 ]
	# stopping what is not running
	run "$CLOISON" stop sv-usr1
	[ "$status" -eq 125 ]
	grep -q 'jail sv-usr1 is not running (stopped' <<<"$output"
	run "$CLOISON" stop sv-nosuch
	[ "$status" -eq 125 ]
	grep -q 'no such jail: sv-nosuch' <<<"$output"
}

@test "restart on-failure:3: a crashing command is run again 3 times with a growing back-off, then left exited" {
	svc --name sv-crash --restart on-failure:3 -- /bin/sh -c 'echo crash-run; exit 3'
	[ "$status" -eq 0 ]
	run timeout 20 "$CLOISON" wait sv-crash
	[ "$status" -eq 0 ]
	[ "$output" = 3 ]
	[ "$(field sv-crash restarts)" = 3 ]
	status_is sv-crash exited
	[ "$(grep -c 'stdout F crash-run' "$JAILS/sv-crash/log")" -eq 4 ]
	# the gaps between runs grow: 0.1, 0.2, 0.4 s
	python3 - "$JAILS/sv-crash/log" <<'PY'
import sys, datetime
t = [datetime.datetime.fromisoformat(l.split()[0][:26]) for l in open(sys.argv[1]) if 'crash-run' in l]
gaps = [(b - a).total_seconds() for a, b in zip(t, t[1:])]
assert len(gaps) == 3 and gaps[0] >= 0.1 and gaps[1] > gaps[0] and gaps[2] > gaps[1] and gaps[2] >= 0.4, gaps
PY
	grep -q 'restart 3 in 400 ms' "$JAILS/sv-crash/log"
	# a command that succeeds is not restarted on-failure
	svc --name sv-ok --restart on-failure -- true
	run timeout 10 "$CLOISON" wait sv-ok
	[ "$output" = 0 ]
	[ "$(field sv-ok restarts)" = 0 ]
	run "$CLOISON" run -d --restart sometimes -- true
	[ "$status" -eq 125 ]
	grep -q -- '--restart sometimes' <<<"$output"
}

@test "restart unless-stopped and always: run again after any exit and a kill from outside, but not after stop" {
	svc --name sv-us --restart unless-stopped -- /bin/sh -c 'echo up; sleep 0.3'
	[ "$status" -eq 0 ]
	wait_until 10 runs_at_least 3 "$JAILS/sv-us/log"
	status_is sv-us running || status_is sv-us restarting
	"$CLOISON" stop -t 1 sv-us
	n=$(field sv-us restarts)
	status_is sv-us stopped
	sleep 0.5
	[ "$(field sv-us restarts)" = "$n" ]
	status_is sv-us stopped
	svc --name sv-al --restart always -- sleep 1000
	pid=$(field sv-al pid)
	kill -9 "$pid"
	wait_until 5 restarts_are sv-al 1
	wait_until 5 status_is sv-al running
	[ "$(field sv-al pid)" != "$pid" ]
	# kill -s passes a signal; the policy applies
	run "$CLOISON" kill -s TERM sv-al
	[ "$status" -eq 0 ]
	"$CLOISON" stop -t 0 sv-al
	status_is sv-al stopped
}

@test "a jail killed from outside is recorded as such; wait prints its status; start runs it again" {
	svc --name sv-k -- sleep 1000
	pid=$(field sv-k pid)
	kill -9 "$pid"
	run timeout 10 "$CLOISON" wait sv-k
	[ "$status" -eq 0 ]
	[ "$output" = 137 ]
	status_is sv-k exited
	run "$CLOISON" start sv-k
	[ "$status" -eq 0 ]
	status_is sv-k running
	[ "$(field sv-k pid)" != "$pid" ]
	run "$CLOISON" start sv-k
	[ "$status" -eq 125 ]
	grep -q 'jail sv-k is running: only an exited or stopped jail can be started' <<<"$output"
	old=$(field sv-k pid)
	run "$CLOISON" restart -t 0 sv-k
	[ "$status" -eq 0 ]
	status_is sv-k running
	[ "$(field sv-k pid)" != "$old" ]
	run "$CLOISON" rm sv-k
	[ "$status" -eq 125 ]
	grep -q 'jail sv-k is running: stop it first, or rm -f' <<<"$output"
	run "$CLOISON" rm -f sv-k
	[ "$status" -eq 0 ]
	[ ! -e "$JAILS/sv-k" ]
}

@test "kill -9 of the monitor: the jail goes with it, ps says lost, rm and gc leave nothing" {
	svc --name sv-lost --pids 10 -- sleep 1000
	mon=$(field sv-lost monitor_pid)
	pid=$(field sv-lost pid)
	mapfile -t cgs < <(cgroups sv-lost)
	kill -9 "$mon"
	wait_until 5 test ! -e "/proc/$pid"
	wait_until 5 none_exist "${cgs[@]}"
	status_is sv-lost lost
	run "$CLOISON" ps
	grep -E '^sv-lost .* lost ' <<<"$output"
	run "$CLOISON" stop sv-lost
	[ "$status" -eq 125 ]
	grep -q "jail sv-lost lost its monitor (pid $mon was killed)" <<<"$output"
	run "$CLOISON" rm sv-lost
	[ "$status" -eq 0 ]
	[ ! -e "$JAILS/sv-lost" ]
	svc --name sv-lost2 -- sleep 1000
	kill -9 "$(field sv-lost2 monitor_pid)"
	wait_until 5 status_is sv-lost2 lost
	run "$CLOISON" gc
	grep -q 'removed jail sv-lost2 (its monitor was killed)' <<<"$output"
	[ ! -e "$JAILS/sv-lost2" ]
}

@test "kill -9 of the CLI at random moments: a jail is whole or absent, and rm/gc leave nothing" {
	for i in $(seq 12); do
		"$CLOISON" run -d --rootfs "$ROOTFS" --name "sv-cli$i" -- sleep 1000 >/dev/null 2>&1 3>&- &
		cli=$!
		sleep "0.00$((RANDOM % 10))"
		kill -9 "$cli" 2>/dev/null || true
		wait "$cli" 2>/dev/null || true
	done
	"$CLOISON" gc >/dev/null
	for i in $(seq 12); do
		[ -e "$JAILS/sv-cli$i" ] || continue
		# whole: running with a live monitor and a pid, or being set up
		wait_until 5 status_is "sv-cli$i" running
		"$CLOISON" rm -f "sv-cli$i"
	done
	no_proc 'cloison-monitor sv-cli'
	run ls "$JAILS"
	run ! grep sv-cli <<<"$output"
}

@test "the monitor survives its terminal hanging up and the CLI's session ending" {
	command -v setsid >/dev/null
	# the CLI in a session of its own whose leader exits at once: a SIGHUP
	# to that process group must not reach the monitor
	setsid -w /bin/sh -c "\"$CLOISON\" run -d --rootfs \"$ROOTFS\" --name sv-hup -- /bin/sh -c 'trap \"echo got-hup\" HUP; while :; do sleep 0.1; done' >/dev/null 3>&-; kill -HUP 0" || true
	status_is sv-hup running
	mon=$(field sv-hup monitor_pid)
	[ "$(ps -o sid= -p "$mon" | tr -d ' ')" = "$mon" ] # a session of its own
	kill -HUP "$mon" # passed on to the command as a reload, not fatal to the monitor
	wait_until 5 grep -q got-hup "$JAILS/sv-hup/log" # the monitor logged its answer
	status_is sv-hup running
	"$CLOISON" rm -f sv-hup
}

@test "logs: --tail, --since, -t, -f follows until the jail ends; rotation by size keeps N files" {
	svc --name sv-log --log-max-size 4K --log-max-files 3 -- /bin/sh -c 'i=0; while [ $i -lt 400 ]; do echo line-$i; i=$((i+1)); done; echo done-writing'
	run timeout 10 "$CLOISON" wait sv-log
	[ "$output" = 0 ]
	[ -e "$JAILS/sv-log/log.1" ]
	[ -e "$JAILS/sv-log/log.2" ]
	[ ! -e "$JAILS/sv-log/log.3" ]
	for f in log log.1 log.2; do [ "$(stat -c %s "$JAILS/sv-log/$f")" -le 4096 ]; done
	run "$CLOISON" logs --tail 2 sv-log
	[ "$output" = "$(printf 'line-399\ndone-writing')" ]
	run "$CLOISON" logs sv-log
	# the oldest lines were rotated away; what is left is in order
	tail -n 1 <<<"$output" | grep -qx done-writing
	python3 -c "import sys; l=[int(x[5:]) for x in sys.argv[1].split() if x.startswith('line-')]; assert l==list(range(l[0],400)), l[:5]" "$output"
	run "$CLOISON" logs -t --tail 1 sv-log
	grep -Eq '^20[0-9-]+T[0-9:.]{8,}Z done-writing$' <<<"$output"
	run "$CLOISON" logs --since 1h sv-log
	grep -qx done-writing <<<"$output"
	run "$CLOISON" logs --since "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)" sv-log
	[ -z "$output" ]
	run "$CLOISON" logs --since yesterday-ish sv-log
	[ "$status" -eq 125 ]
	# -f: what comes, until the jail ends
	svc --name sv-f -- /bin/sh -c 'echo first; sleep 0.5; echo second; sleep 0.5; echo third'
	run timeout 10 "$CLOISON" logs -f sv-f
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'first\nsecond\nthird')" ]
}

@test "a corrupt or future state file: a clear error naming it; rm -f removes it" {
	svc --name sv-bad1 -- sleep 1000
	mon=$(field sv-bad1 monitor_pid)
	"$CLOISON" stop -t 0 sv-bad1
	echo '{"version": 1, "name": ' >"$JAILS/sv-bad1/state.json"
	run "$CLOISON" inspect sv-bad1
	[ "$status" -eq 125 ]
	grep -q "jail sv-bad1: $JAILS/sv-bad1/state.json is corrupt" <<<"$output"
	run "$CLOISON" ps -a
	[ "$status" -eq 0 ]
	echo '{"version": 99, "name": "sv-bad1"}' >"$JAILS/sv-bad1/state.json"
	run "$CLOISON" start sv-bad1
	[ "$status" -eq 125 ]
	grep -q "state.json has format version 99; this cloison reads 1 to 1" <<<"$output"
	run "$CLOISON" rm sv-bad1
	[ "$status" -eq 125 ]
	run "$CLOISON" rm -f sv-bad1
	[ "$status" -eq 0 ]
	[ ! -e "$JAILS/sv-bad1" ]
}

@test "20 services at once: all listed, all removed, nothing left" {
	for i in $(seq 20); do
		svc --name "sv-many$i" --memory 32M -- sleep 1000
		[ "$status" -eq 0 ]
	done
	run "$CLOISON" ps
	[ "$(grep -c '^sv-many' <<<"$output")" -eq 20 ]
	[ "$(grep -Ec '^sv-many[0-9]+ +container +up' <<<"$output")" -eq 20 ]
	mapfile -t cgs < <(for i in $(seq 20); do cgroups "sv-many$i"; done)
	[ "${#cgs[@]}" -ge 20 ]
	run "$CLOISON" rm -f $(seq -f 'sv-many%g' 20)
	[ "$status" -eq 0 ]
	none_exist "${cgs[@]}"
	no_proc 'cloison-monitor sv-many'
	run ls "$JAILS"
	run ! grep sv-many <<<"$output"
}

@test "a busybox httpd and an nc echo service in bridge mode with published ports, and a full /run" {
	NS=cltest-$$-$BATS_TEST_NUMBER
	ip netns add "$NS"
	ip netns exec "$NS" ip link set lo up
	mkdir -p "$BATS_TEST_TMPDIR/www"
	echo hello-from-httpd >"$BATS_TEST_TMPDIR/www/index.html"
	run nsenter --net="/run/netns/$NS" "$CLOISON" run -d --rootfs "$ROOTFS" --name sv-web --net bridge \
		-p 18080:80 --bind "$BATS_TEST_TMPDIR/www:/www:ro" --memory 32M --pids 20 -- httpd -f -p 80 -h /www 3>&-
	[ "$status" -eq 0 ]
	run nsenter --net="/run/netns/$NS" "$CLOISON" run -d --rootfs "$ROOTFS" --name sv-echo --net bridge \
		-p 17000:7000 -- /bin/sh -c 'while :; do nc -l -p 7000 -e cat; done' 3>&-
	[ "$status" -eq 0 ]
	addr=$(field sv-web address)
	[[ "$addr" == 10.88.* ]]
	run "$CLOISON" ps
	grep -E "^sv-web .* $addr .*18080->80/tcp" <<<"$output"
	wait_until 5 nsenter --net="/run/netns/$NS" "$ROOTFS/bin/busybox" wget -q -O "$BATS_TEST_TMPDIR/got" http://127.0.0.1:18080/index.html
	grep -qx hello-from-httpd "$BATS_TEST_TMPDIR/got"
	wait_until 5 sh -c "nsenter --net=/run/netns/$NS $CLNET tcp-send 127.0.0.1 17000 ping-echo | grep -q ping-echo"
	"$CLOISON" rm -f sv-web sv-echo
	[ -z "$(ip netns exec "$NS" ip -o link show type veth)" ]
	# /run full (a 16K tmpfs over the state directory, in a mount namespace
	# of its own): a clear error naming the file, nothing left
	run unshare -m /bin/sh -c "mount -t tmpfs -o size=16k none $JAILS && { head -c 64k /dev/zero >$JAILS/fill 2>/dev/null; \"$CLOISON\" run -d --rootfs \"$ROOTFS\" --name sv-full -- sleep 1000 3>&-; echo rc=\$?; ls $JAILS; \"$CLOISON\" rm -f sv-full >/dev/null 2>&1; }"
	grep -q 'rc=125' <<<"$output"
	grep -q "No space left on device" <<<"$output"
	run ! grep -q sv-full <<<"$(tail -n +2 <<<"$output" | grep -v 'cloison:')"
}

@test "run -d -t: the terminal's output is logged as lines; --userns: the id range is the monitor's until the jail ends" {
	svc -t --name sv-tty -- /bin/sh -c 'tty; echo tty-out; exec sleep 1000'
	[ "$status" -eq 0 ]
	wait_until 5 grep -q tty-out "$JAILS/sv-tty/log"
	run "$CLOISON" logs sv-tty
	[ "$output" = "$(printf '/dev/console\ntty-out')" ]
	run ! grep -q $'\r' "$JAILS/sv-tty/log"
	svc --userns --name sv-uns -- /bin/sh -c 'cat /proc/self/uid_map; exec sleep 1000'
	[ "$status" -eq 0 ]
	wait_until 5 grep -q 65536 "$JAILS/sv-uns/log"
	start=$(awk '/65536/ { print $5 }' "$JAILS/sv-uns/log")
	[ "$start" -ge $((0x70000000)) ]
	pid=$(field sv-uns pid)
	[ "$(awk '{ print $2 }' /proc/$pid/uid_map)" = "$start" ]
	slot=/run/cloison/userns/$start
	[ "$(cat "$slot")" = "$(field sv-uns monitor_pid)" ]
	"$CLOISON" stop -t 0 sv-uns
	[ ! -e "$slot" ]
}

@test "a jail that floods its log still stops within its grace period; its signal dispositions are the defaults" {
	svc --name sv-flood -- /bin/sh -c 'grep -E "^Sig(Ign|Blk)" /proc/self/status; trap "" TERM; yes ""'
	[ "$status" -eq 0 ]
	wait_until 5 grep -q SigIgn "$JAILS/sv-flood/log"
	grep -q 'SigIgn:.0000000000000000$' "$JAILS/sv-flood/log"
	grep -q 'SigBlk:.0000000000000000$' "$JAILS/sv-flood/log"
	start=$(date +%s%N)
	run timeout 20 "$CLOISON" stop -t 1 sv-flood
	[ "$status" -eq 0 ]
	[ $((($(date +%s%N) - start) / 1000000)) -lt 10000 ]
	status_is sv-flood stopped
}

@test "start runs the spec the jail was made with (a profile edited since changes nothing); a failed start keeps the record" {
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	printf 'cap-drop ALL\n' >"$BATS_TEST_TMPDIR/p.profile"
	printf '#!/bin/sh\ngrep CapEff /proc/self/status\nexec sleep 1000\n' >"$BATS_TEST_TMPDIR/bin/prog"
	chmod 755 "$BATS_TEST_TMPDIR/bin/prog"
	cd "$BATS_TEST_TMPDIR"
	svc --name sv-spec --profile ./p.profile --bind "$BATS_TEST_TMPDIR/bin:/opt/bin:ro" -- /opt/bin/prog
	[ "$status" -eq 0 ]
	wait_until 5 grep -q CapEff "$JAILS/sv-spec/log"
	grep -q 'CapEff:.0000000000000000$' "$JAILS/sv-spec/log"
	"$CLOISON" stop -t 0 sv-spec
	printf 'cap-add ALL\nseccomp unconfined\n' >"$BATS_TEST_TMPDIR/p.profile"
	cd /
	run "$CLOISON" start sv-spec
	[ "$status" -eq 0 ]
	# the count read at each try, not once (ci-jobs: was a race under load)
	wait_until 5 sh -c "[ \$(grep -c CapEff '$JAILS/sv-spec/log') -eq 2 ]"
	[ "$(grep -c 'CapEff:.0000000000000000$' "$JAILS/sv-spec/log")" -eq 2 ]
	"$CLOISON" stop -t 0 sv-spec
	rm "$BATS_TEST_TMPDIR/bin/prog"
	run -127 "$CLOISON" start sv-spec
	[ "$status" -eq 127 ]
	status_is sv-spec exited
	[ "$(field sv-spec exit_code)" = 127 ]
	[[ "$(field sv-spec error)" == *"cannot execute /opt/bin/prog"* ]]
}

@test "restarts leave no zombie behind in the monitor (its cgroup guardians are reaped)" {
	svc --name sv-zomb --restart always -- /bin/sh -c 'sleep 0.2'
	[ "$status" -eq 0 ]
	wait_until 20 restarts_at_least sv-zomb 5
	mon=$(field sv-zomb monitor_pid)
	zombies=$(ps -o stat= --ppid "$mon" | grep -c Z || true)
	[ "$zombies" -le 1 ] # at most the guardian of the run that just ended
	"$CLOISON" stop -t 0 sv-zomb
}
