#!/usr/bin/env bats
# Detached jails under systemd: the sd_notify protocol the monitor speaks
# (a test listener plays systemd's $NOTIFY_SOCKET), --sd-notify=container
# (the jail's own socket, what passes and what does not), the monitor's exit
# status, and `cloison generate unit` (systemd-analyze verify, the command
# line quoted and split back, the unit's commands run as systemd would).
#
# Jails are named sd-*; teardown removes every one and the listeners.

bats_require_minimum_version 1.5.0
load helpers

JAILS=/run/cloison/jails
SDNOTIFY="$BATS_TEST_DIRNAME/helpers/sdnotify.py"

setup_file() {
	# container mode makes its mount point in a writable rootfs: taken back
	# at the end if this suite made it
	[ -e "$ROOTFS/run/notify" ] && export SD_HAD_NOTIFY_DIR=1 || export SD_HAD_NOTIFY_DIR=0
}

teardown_file() {
	[ "$SD_HAD_NOTIFY_DIR" = 1 ] || rmdir "$ROOTFS/run/notify" 2>/dev/null || true
}

setup() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	LISTENERS=()
	OUT="$BATS_TEST_TMPDIR/notify.out"
	# cltest notify sends a datagram from the jail; a test rootfs built
	# before it existed gets the build's cltest bound over its own
	CLTEST=()
	if "$ROOTFS/usr/bin/cltest" notify 2>&1 | grep -q 'unknown test'; then
		[ -x "$TOP/build/cltest" ] || skip "the test rootfs's cltest has no notify: make test-artifacts"
		CLTEST=(--bind "$TOP/build/cltest:/usr/bin/cltest:ro")
	fi
}

teardown() {
	local d p
	for d in "$JAILS"/sd-*; do
		[ -e "$d" ] || continue
		"$CLOISON" rm -f "$(basename "$d")" >/dev/null 2>&1 || true
	done
	for p in "${LISTENERS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}

# listen SOCKET: a listener on SOCKET for 60 s at most, datagrams to $OUT
listen() {
	python3 "$SDNOTIFY" listen "$1" "$OUT" 60 3>&- &
	LISTENERS+=($!)
	wait_until 10 grep -q listening "$OUT"
}
# sd [run options] -- CMD...: run -d in the test rootfs
sd() { run "$CLOISON" run -d --rootfs "$ROOTFS" "$@" 3>&-; }
field() { "$CLOISON" inspect "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)[0].get('$2'))"; }
# said TEXT: a datagram exactly "PID TEXT" was received (any sender: PID .*)
said() { grep -qxE -- "$1" "$OUT"; }

@test "sd_notify: READY=1 and MAINPID=the monitor, from run -d (the main process until then) before it returns; STOPPING=1 on stop" {
	listen "$BATS_TEST_TMPDIR/notify.sock"
	NOTIFY_SOCKET="$BATS_TEST_TMPDIR/notify.sock" sd --name sd-ready --stop-timeout 1 -- sleep 1000
	returned=$EPOCHREALTIME
	[ "$status" -eq 0 ]
	mon=$(field sd-ready monitor_pid)
	[ "$mon" -gt 0 ]
	wait_until 2 said "[0-9]+ MAINPID=$mon\|READY=1"
	# sent before the CLI (systemd's main process until then) returned
	sent=$(awk '/READY/ { print $1 }' "$OUT.time")
	python3 -c 'import sys; assert float(sys.argv[1]) < float(sys.argv[2]), sys.argv' "$sent" "$returned"
	[ "$(grep -vc listening "$OUT")" = 1 ]
	run "$CLOISON" stop sd-ready
	[ "$status" -eq 0 ]
	wait_until 5 said "$mon STOPPING=1"
}

@test "sd_notify: an abstract \$NOTIFY_SOCKET (@name); nothing at all for a command that cannot be executed" {
	local sock="@cloison-test-$$-$BATS_TEST_NUMBER"
	listen "$sock"
	NOTIFY_SOCKET="$sock" sd --name sd-abstract -- sleep 1000
	[ "$status" -eq 0 ]
	mon=$(field sd-abstract monitor_pid)
	wait_until 2 said "[0-9]+ MAINPID=$mon\|READY=1"
	run -127 env NOTIFY_SOCKET="$sock" "$CLOISON" run -d --rootfs "$ROOTFS" --name sd-noexec -- /no/such/command 3>&-
	sleep 0.5
	[ "$(grep -c READY "$OUT")" = 1 ]
	# no listener: the jail runs all the same
	NOTIFY_SOCKET="$BATS_TEST_TMPDIR/nobody.sock" sd --name sd-deaf -- sleep 1000
	[ "$status" -eq 0 ]
	[ "$(field sd-deaf status)" = running ]
}

@test "sd-notify container: READY=1 only when the jail says so; MAINPID, FDSTORE and the like are not passed on" {
	listen "$BATS_TEST_TMPDIR/notify.sock"
	NOTIFY_SOCKET="$BATS_TEST_TMPDIR/notify.sock" sd --name sd-ctr --sd-notify container --tmpfs /run "${CLTEST[@]}" -- \
		/bin/sh -c 'trap "cltest notify READY=1 STATUS=serving MAINPID=1 FDSTORE=1 NOTIFYACCESS=all ERRNO=0 && echo sent" USR1; echo "socket $NOTIFY_SOCKET"; while :; do sleep 0.1; done'
	[ "$status" -eq 0 ]
	mon=$(field sd-ctr monitor_pid)
	# at once: the monitor is the main process, not ready yet
	wait_until 2 said "[0-9]+ MAINPID=$mon"
	wait_until 5 grep -q 'socket /run/notify/notify.sock' "$JAILS/sd-ctr/log"
	sleep 1
	run ! grep READY "$OUT"
	run "$CLOISON" kill -s USR1 sd-ctr
	[ "$status" -eq 0 ]
	wait_until 5 said "$mon READY=1\|STATUS=serving\|ERRNO=0\|MAINPID=$mon"
	grep -q sent "$JAILS/sd-ctr/log"
	run ! grep -E 'MAINPID=1\b|FDSTORE|NOTIFYACCESS' "$OUT"
	# the socket: the jail's own, read-only, nobody else's on the host
	[ "$(stat -c %a "$JAILS/sd-ctr/notify")" = 711 ]
	[ "$(stat -c %a "$JAILS/sd-ctr/notify/notify.sock")" = 666 ]
	[ "$(stat -c %a "$JAILS")" = 700 ]
	run "$CLOISON" stop -t 1 sd-ctr
	wait_until 5 said "$mon STOPPING=1"
}

@test "sd-notify container: the jail's user reaches the socket with -u and with --userns; no systemd: still runs" {
	local how
	listen "$BATS_TEST_TMPDIR/notify.sock"
	for how in "-u 1000:1000" --userns; do
		# shellcheck disable=SC2086 # two words for -u
		NOTIFY_SOCKET="$BATS_TEST_TMPDIR/notify.sock" sd --name sd-user $how --sd-notify container "${CLTEST[@]}" -- \
			/bin/sh -c 'id -u; cltest notify "STATUS=as $(id -u)" READY=1; exec sleep 1000'
		[ "$status" -eq 0 ]
		mon=$(field sd-user monitor_pid)
		wait_until 5 said "$mon STATUS=as [0-9]+\|READY=1\|MAINPID=$mon"
		"$CLOISON" rm -f sd-user
	done
	[ "$(grep -c 'STATUS=as 1000' "$OUT")" = 1 ]
	[ "$(grep -c 'STATUS=as 0' "$OUT")" = 1 ]
	# without $NOTIFY_SOCKET: the socket is there, what it hears is dropped
	env -u NOTIFY_SOCKET "$CLOISON" run -d --rootfs "$ROOTFS" --name sd-alone --sd-notify container --tmpfs /run "${CLTEST[@]}" -- \
		/bin/sh -c 'cltest notify READY=1 && echo sent; exec sleep 1000' 3>&-
	wait_until 5 grep -q sent "$JAILS/sd-alone/log"
	[ "$(field sd-alone status)" = running ]
	# its directory goes with rm
	"$CLOISON" rm -f sd-alone
	[ ! -e "$JAILS/sd-alone" ]
}

@test "sd-notify container: --read-only needs /run/notify or a tmpfs on /run; a micro-VM is refused" {
	local empty="$BATS_TEST_TMPDIR/rootfs"
	mkdir -p "$empty"
	run -125 "$CLOISON" run -d --rootfs "$empty" --read-only --name sd-ro --sd-notify container -- /bin/true 3>&-
	grep -q -- '--read-only: the rootfs .* has no directory /run/notify' <<<"$output"
	[ ! -e "$JAILS/sd-ro" ]
	listen "$BATS_TEST_TMPDIR/notify.sock"
	NOTIFY_SOCKET="$BATS_TEST_TMPDIR/notify.sock" sd --name sd-ro --read-only --tmpfs /run --sd-notify container "${CLTEST[@]}" -- \
		/bin/sh -c 'cltest notify READY=1; exec sleep 1000'
	[ "$status" -eq 0 ]
	mon=$(field sd-ro monitor_pid)
	wait_until 5 said "$mon READY=1\|MAINPID=$mon"
	run -125 "$CLOISON" run -d --vm --rootfs "$ROOTFS" --sd-notify container -- /bin/true 3>&-
	grep -q "a micro-VM's command cannot reach a host socket" <<<"$output"
}

@test "monitor: exits with the command's last status, 0 once stopped (what systemd judges a unit by)" {
	# a subreaper stands in for systemd, which the monitor is left to
	python3 - "$CLOISON" "$ROOTFS" <<-'PY'
		import ctypes, json, os, subprocess, sys
		cl, rootfs = sys.argv[1], sys.argv[2]
		ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
		def start(*args):
		    subprocess.run([cl, "run", "-d", "--rootfs", rootfs] + list(args), check=True,
		                   stdout=subprocess.DEVNULL)
		    out = subprocess.run([cl, "inspect", args[1]], check=True, capture_output=True).stdout
		    return json.loads(out)[0]["monitor_pid"]
		def status(monitor):
		    return os.waitstatus_to_exitcode(os.waitpid(monitor, 0)[1])
		assert status(start("--name", "sd-exit3", "--", "sh", "-c", "exit 3")) == 3
		mon = start("--name", "sd-sleep", "--", "sleep", "1000")
		subprocess.run([cl, "stop", "-t", "1", "sd-sleep"], check=True, stdout=subprocess.DEVNULL)
		assert status(mon) == 0
		mon = start("--name", "sd-fail", "--restart", "on-failure:1", "--", "sh", "-c", "exit 7")
		assert status(mon) == 7
	PY
	[ "$(field sd-exit3 exit_code)" = 3 ]
	[ "$(field sd-sleep status)" = stopped ]
	[ "$(field sd-fail restarts)" = 1 ]
}

# unit_line NAME KEY: the value of KEY= in the unit of jail NAME
unit_line() { sed -n "s/^$2=//p" "$BATS_TEST_TMPDIR/cloison-$1.service"; }

@test "generate unit: systemd-analyze verify passes; the expected lines; the command line splits back into the jail's options" {
	command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed"
	cd "$BATS_TEST_TMPDIR"
	mkdir -p 'dir with space' && cd 'dir with space'
	sd --name sd-gen --restart always --stop-timeout 7 -e 'MSG=50% of $HOME "q" \x ${X}' -e "TAB=a	b" -- \
		/bin/sh -c 'echo "$MSG"; exec sleep 1000' ';' '' 'é' "it's"
	[ "$status" -eq 0 ]
	run "$CLOISON" generate unit sd-gen
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/cloison-sd-gen.service"
	run systemd-analyze verify --man=no "$BATS_TEST_TMPDIR/cloison-sd-gen.service"
	[ "$status" -eq 0 ]
	[ -z "$output" ] || { echo "$output"; false; }
	[ "$(unit_line sd-gen Type)" = notify ]
	[ "$(unit_line sd-gen NotifyAccess)" = main ]
	[ "$(unit_line sd-gen ExecStartPre)" = "-$CLOISON rm -f sd-gen" ]
	[ "$(unit_line sd-gen ExecStop)" = "-$CLOISON stop sd-gen" ]
	[ "$(unit_line sd-gen ExecStopPost)" = "-$CLOISON rm -f sd-gen" ]
	[ "$(unit_line sd-gen KillMode)" = mixed ]
	[ "$(unit_line sd-gen TimeoutStopSec)" = 37 ]
	[ "$(unit_line sd-gen Restart)" = on-abnormal ]
	[ "$(unit_line sd-gen WorkingDirectory)" = "$BATS_TEST_TMPDIR/dir with space" ]
	[ "$(unit_line sd-gen WantedBy)" = multi-user.target ]
	# split as systemd does: cloison, run, then exactly the jail's args
	python3 "$SDNOTIFY" split ExecStart <"$BATS_TEST_TMPDIR/cloison-sd-gen.service" >"$BATS_TEST_TMPDIR/words"
	"$CLOISON" inspect sd-gen | python3 -c '
import json, sys
words = [json.loads(l) for l in open(sys.argv[1])]
args = json.load(sys.stdin)[0]["args"]
assert words == [sys.argv[2], "run"] + args, (words, args)
assert "-e" in args and "MSG=50% of $HOME \"q\" \\x ${X}" in args and ";" in args and "" in args
' "$BATS_TEST_TMPDIR/words" "$CLOISON"
}

@test "generate unit: its commands, run as systemd would, replace the jail, notify, stop and remove it" {
	cd "$BATS_TEST_TMPDIR"
	sd --name sd-again --stop-timeout 1 -- /bin/sh -c 'echo "a  b" "$0"; exec sleep 1000' '50%$'
	[ "$status" -eq 0 ]
	"$CLOISON" generate unit -f sd-again >"$BATS_TEST_TMPDIR/path"
	[ "$(cat "$BATS_TEST_TMPDIR/path")" = "$BATS_TEST_TMPDIR/cloison-sd-again.service" ]
	old=$(field sd-again monitor_pid)
	cmd() { mapfile -t w < <(python3 "$SDNOTIFY" split "$1" <cloison-sd-again.service | python3 -c 'import json,sys; [print(json.loads(l)) for l in sys.stdin]'); }
	listen "$BATS_TEST_TMPDIR/notify.sock"
	export NOTIFY_SOCKET="$BATS_TEST_TMPDIR/notify.sock"
	cmd ExecStartPre && "${w[@]}" 3>&-
	[ ! -e "$JAILS/sd-again" ]
	cmd ExecStart && "${w[@]}" 3>&-
	mon=$(field sd-again monitor_pid)
	[ "$mon" != "$old" ]
	wait_until 2 said "[0-9]+ MAINPID=$mon\|READY=1"
	wait_until 5 grep -q 'a  b 50%\$' "$JAILS/sd-again/log"
	cmd ExecStop && "${w[@]}" 3>&-
	wait_until 5 said "$mon STOPPING=1"
	cmd ExecStopPost && "${w[@]}" 3>&-
	[ ! -e "$JAILS/sd-again" ]
}

@test "generate unit: --name, Restart=no, a random name added, \$CLOISON_ROOTFS kept; bad input refused" {
	cd "$BATS_TEST_TMPDIR"
	sd --name sd-opts -- sleep 1000
	run "$CLOISON" generate unit --name web.service -f sd-opts
	[ "$status" -eq 0 ]
	[ "$output" = "$BATS_TEST_TMPDIR/web.service" ]
	grep -qx 'Restart=no' web.service
	grep -qx 'Description=cloison jail sd-opts' web.service
	run ! grep -q Environment= web.service
	# no --name among its options: added; the rootfs from the environment
	run env CLOISON_ROOTFS="$ROOTFS" "$CLOISON" run -d -- sleep 1000 3>&-
	[ "$status" -eq 0 ]
	name=$output
	run "$CLOISON" generate unit "$name"
	"$CLOISON" rm -f "$name" >/dev/null
	grep -qx "ExecStart=$CLOISON run --name $name -d -- sleep 1000" <<<"$output"
	grep -qx "Environment=CLOISON_ROOTFS=$ROOTFS" <<<"$output"
	run -125 "$CLOISON" generate unit sd-nosuch
	grep -q sd-nosuch <<<"$output"
	run -125 "$CLOISON" generate unit --name 'a/b' sd-opts
	grep -q 'a unit name of' <<<"$output"
	run -125 "$CLOISON" generate timer sd-opts
	run -125 "$CLOISON" generate unit sd-opts sd-opts
	run "$CLOISON" generate --help
	[ "$status" -eq 0 ]
	grep -q 'Usage: cloison generate unit' <<<"$output"
}
