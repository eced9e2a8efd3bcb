#!/usr/bin/env bats
# cloison stats: live CPU %, memory, network and block bytes, pids of the
# detached jails, and their total against the host.
#
# Every jail here is named st-*, and removed (rm -f) by teardown.  Other
# users of the machine may run jails meanwhile: a test looks at its own
# jails by name, or at one whole sample (the host's totals are its jails'
# sums).  The network test runs its bridge jail in an outer network
# namespace it creates, as tests/net.bats does.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	JAILS=()
	BG=
	NS=
	TMP=$(mktemp -d /tmp/cloison-test.XXXXXX)
}

teardown() {
	local j
	[ -z "$BG" ] || kill "$BG" 2>/dev/null || true
	[ -z "$BG" ] || wait "$BG" 2>/dev/null || true
	for j in "${JAILS[@]}"; do "$CLOISON" rm -f "$j" >/dev/null 2>&1 || true; done
	[ -z "$NS" ] || ip netns del "$NS" 2>/dev/null || true
	[ -z "${TMUX_SOCK:-}" ] || tmux -S "$TMUX_SOCK" kill-server 2>/dev/null || true
	rm -rf "$TMP"
}

# start NAME [OPTIONS] -- CMD...: a detached jail in the test rootfs
start() {
	local name=$1
	shift
	JAILS+=("$name")
	run "$CLOISON" run -d --name "$name" --rootfs "$ROOTFS" "$@"
	[ "$status" -eq 0 ] || { echo "run -d $name: $output"; return 1; }
}

# py CODE: python3 CODE with the JSON document in $output as d; jail(NAME)
# is its entry of that jail.  An assert that fails prints the document.
py() {
	python3 -c '
import json, sys
d = json.loads(sys.argv[1])
def jail(n):
    return next(j for j in d["jails"] if j["name"] == n)
try:
    exec(sys.argv[2])
except (AssertionError, StopIteration):
    print(json.dumps(d, indent=1))
    raise
' "$output" "$1"
}

# logged NAME TEXT: the jail's log holds TEXT
logged() { "$CLOISON" logs "$1" 2>&1 | grep -q -- "$2"; }

@test "stats: a busy jail under --cpus 0.5 shows 20 to 60 % CPU; an idle one next to none" {
	start st-spin --cpus 0.5 -- sh -c 'while :; do :; done'
	start st-idle -- sleep 1000
	run "$CLOISON" stats --no-stream --format json st-spin st-idle
	[ "$status" -eq 0 ]
	py "c = jail('st-spin')['cpu_percent']; print(c); assert 20 < c <= 60"
	py "c = jail('st-idle')['cpu_percent']; print(c); assert c < 5"
	py "assert [j['name'] for j in d['jails']] == ['st-spin', 'st-idle']"
}

@test "stats: a jail holding 20 MB shows it against its --memory limit" {
	start st-mem --memory 64M -- sh -c 'x=$(head -c 20000000 /dev/zero | tr "\0" a); echo ready; sleep 1000; echo ${#x}'
	wait_until 20 logged st-mem ready
	run "$CLOISON" stats --no-stream --format json st-mem
	[ "$status" -eq 0 ]
	py "j = jail('st-mem'); print(j); assert j['memory_limit'] == 64 << 20
assert 18 << 20 < j['memory'] < 64 << 20
assert abs(j['memory_percent'] - 100 * j['memory'] / j['memory_limit']) < 0.01
assert j['pids'] >= 1 and j['pids_limit'] is None"
	# the table says it too: "19.xMiB / 64.0MiB"
	run "$CLOISON" stats --no-stream st-mem
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" =~ ^st-mem\ .*\ (19|2[0-9])\.[0-9]MiB\ /\ 64\.0MiB ]] || { echo "$output"; false; }
}

@test "stats: network bytes of a bridge jail grow with its traffic (lo left out)" {
	NS=cltest-$$-$BATS_TEST_NUMBER
	ip netns add "$NS"
	ip netns exec "$NS" ip link set lo up
	export CLOISON_NET_DIR="$TMP/net"
	JAILS+=(st-net)
	# 1.2 MB on its loopback first (which must not count), then, once
	# /sync/go exists, pings to the bridge (in the outer namespace)
	nsenter --net="/run/netns/$NS" "$CLOISON" run -d --name st-net --net bridge --rootfs "$ROOTFS" \
		--bind "$TMP:/sync" -- sh -c 'ping -c 20 -i 0.05 -s 60000 127.0.0.1 >/dev/null; echo lo-done
			while [ ! -e /sync/go ]; do sleep 0.1; done; ping -c 5 -i 0.2 -s 1000 10.88.0.1; echo pinged; sleep 1000'
	wait_until 20 logged st-net lo-done
	run "$CLOISON" stats --no-stream --format json st-net
	[ "$status" -eq 0 ]
	rx0=$(py "print(jail('st-net')['net_rx'])")
	tx0=$(py "print(jail('st-net')['net_tx'])")
	[ "$rx0" -lt 5000 ] && [ "$tx0" -lt 5000 ] || { echo "rx $rx0 tx $tx0 before any traffic but lo's"; false; }
	touch "$TMP/go"
	wait_until 20 logged st-net pinged
	run "$CLOISON" stats --no-stream --format json st-net
	[ "$status" -eq 0 ]
	# 5 echo requests and replies of 1028 bytes (IP) at least
	py "j = jail('st-net'); print(j)
assert j['net_tx'] >= $tx0 + 5 * 1028 and j['net_rx'] >= $rx0 + 5 * 1028
assert j['net_tx'] < $tx0 + 20 * 1028
assert d['host']['net_rx'] >= j['net_rx']"
}

@test "stats: the host's totals are the sums of the jails in the same sample" {
	start st-sum1 --cpus 0.3 -- sh -c 'while :; do :; done'
	# two processes: busybox sh execs its last command
	start st-sum2 --memory 32M --pids 20 -- sh -c 'sleep 1000 & sleep 1000'
	run "$CLOISON" stats --no-stream --format json
	[ "$status" -eq 0 ]
	mem_total=$(($(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) * 1024))
	py "h = d['host']; js = d['jails']; print(h)
assert {'st-sum1', 'st-sum2'} <= {j['name'] for j in js}
assert h['jails'] == len(js)
assert h['cpus'] == $(getconf _NPROCESSORS_ONLN) and h['memory_total'] == $mem_total
for k in ('memory', 'pids', 'net_rx', 'net_tx', 'block_read', 'block_write'):
    assert h[k] == sum(j[k] or 0 for j in js), k
assert abs(h['cpu_percent'] - sum(j['cpu_percent'] or 0 for j in js)) < 0.01 * len(js) + 0.01
assert abs(h['cpu_percent_of_host'] - h['cpu_percent'] / h['cpus']) < 0.01
assert abs(h['memory_percent'] - 100 * h['memory'] / h['memory_total']) < 0.01
assert jail('st-sum2')['pids'] == 2 and jail('st-sum2')['pids_limit'] == 20"
	# the table: one line per jail, the TOTAL of as many, the host line
	run "$CLOISON" stats --no-stream st-sum1 st-sum2
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 5 ]
	[[ "${lines[0]}" == "NAME "*"CPU %"*"MEM / LIMIT"*"NET RX / TX"*"BLOCK READ / WRITE"*"PIDS / LIMIT" ]]
	[[ "${lines[3]}" == "TOTAL (2 jails) "* ]]
	[[ "${lines[3]}" == *" / $(awk '/^MemTotal:/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)GiB "* ]]
	[[ "${lines[4]}" =~ ^host:\ [0-9]+\ CPUs?,\ .*the\ jails\ use\ [0-9.]+%\ of\ its\ CPU,\ [0-9.]+%\ of\ its\ memory$ ]]
}

@test "stats --no-stream: one sample, promptly, that python's json module parses" {
	start st-js -- sleep 1000
	run timeout 5 "$CLOISON" stats --no-stream --format json
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	python3 -m json.tool <<<"$output" >/dev/null
	py "assert set(d) == {'time', 'jails', 'host'}
j = jail('st-js'); assert j['mode'] == 'container' and j['pid'] > 0
assert set(j) == {'name', 'mode', 'pid', 'cpu_percent', 'memory', 'memory_limit', 'memory_percent', 'pids', 'pids_limit', 'net_rx', 'net_tx', 'block_read', 'block_write'}"
}

@test "stats without a terminal streams plain blocks: no escape sequences, one table a second" {
	start st-plain -- sleep 1000
	run -124 timeout 2.8 "$CLOISON" stats st-plain
	# samples at 0.5, 1.5 and 2.5 s (allow for a slow machine), each a
	# block of 4 lines and an empty one
	n=$(grep -c '^NAME ' <<<"$output")
	[ "$n" -ge 2 ] || { echo "$output"; false; }
	[ "$(grep -c '^st-plain ' <<<"$output")" -eq "$n" ]
	[ "$(grep -c '^TOTAL (1 jail) ' <<<"$output")" -eq "$n" ]
	[ "$(grep -c '^host: ' <<<"$output")" -eq "$n" ]
	[ "$(grep -c $'\033' <<<"$output")" -eq 0 ]
	[ "$(sed -n 5p <<<"$output")" = "" ]
	[ "$(sed -n 6p <<<"$output")" = "${lines[0]}" ]
	# JSON: one document a line
	run -124 timeout 1.8 "$CLOISON" stats --format json st-plain
	[ "${#lines[@]}" -ge 1 ]
	for l in "${lines[@]}"; do python3 -m json.tool <<<"$l" >/dev/null; done
}

@test "stats: jails that end drop out; with names, it ends with the last of them" {
	start st-drop1 -- sleep 1000
	start st-drop2 -- sleep 1000
	"$CLOISON" stats --format json st-drop1 st-drop2 >"$TMP/out" 2>&1 3>&- &
	BG=$!
	last() { tail -n 1 "$TMP/out" | python3 -c 'import json, sys; print(" ".join(j["name"] for j in json.load(sys.stdin)["jails"]))'; }
	wait_until 10 eval '[ "$(last 2>/dev/null)" = "st-drop1 st-drop2" ]'
	"$CLOISON" rm -f st-drop2
	wait_until 10 eval '[ "$(last 2>/dev/null)" = st-drop1 ]'
	"$CLOISON" rm -f st-drop1
	gone() { ! kill -0 "$BG" 2>/dev/null; }
	wait_until 10 gone
	wait "$BG"
	BG=
	[ "$(last)" = "" ]
}

@test "stats: unknown names and jails that are not running are errors naming them (125)" {
	run "$CLOISON" stats --no-stream st-nonesuch
	[ "$status" -eq 125 ]
	[ "$output" = "cloison: no such jail: st-nonesuch" ]
	start st-done -- true
	run timeout 10 "$CLOISON" wait st-done
	[ "$output" = 0 ]
	run "$CLOISON" stats --no-stream st-done
	[ "$status" -eq 125 ]
	[ "$output" = "cloison: jail st-done is not running (exited)" ]
	run "$CLOISON" stats --bogus
	[ "$status" -eq 125 ]
	[[ "$output" == *"unknown option --bogus"* ]]
	run "$CLOISON" stats --format yaml
	[ "$status" -eq 125 ]
}

@test "stats on a terminal: redrawn in place until q, the terminal restored" {
	command -v tmux
	start st-tty -- sleep 1000
	TMUX_SOCK="$TMP/tmux.sock"
	tmux -S "$TMUX_SOCK" new-session -d -x 150 -y 20 \
		"'$CLOISON' stats st-tty; echo exit=\$? \$(stty -a | grep -o -- '-\?icanon'); sleep 30"
	screen() { tmux -S "$TMUX_SOCK" capture-pane -p; }
	wait_until 10 eval 'screen | grep -q "^TOTAL (1 jail) "'
	screen | grep -q "^cloison stats  [0-9:]*  every 1 s  (q quits)"
	screen | grep -q "^st-tty "
	# the alternate screen: once, however many samples
	sleep 1.2
	[ "$(screen | grep -c '^NAME ')" -eq 1 ]
	tmux -S "$TMUX_SOCK" send-keys q
	wait_until 10 eval 'screen | grep -q "^exit="'
	# status 0, back in canonical mode, the view gone with the alternate screen
	screen | grep -qx "exit=0 icanon"
	[ "$(screen | grep -c '^NAME ')" -eq 0 ]
}

@test "stats --help" {
	run "$CLOISON" stats --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "Usage: cloison stats [--no-stream] [--format json] [NAME...]" ]]
}
