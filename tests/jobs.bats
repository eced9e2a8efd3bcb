#!/usr/bin/env bats
# Job ergonomics (issue 12, part 5): --timeout's stop signal and grace
# period, --env-file, the address and ports of a detached jail, and what
# --stats-json records.
#
# No durations are asserted: what happened is read from the order of the
# lines (cloison's and the job's) and from the messages.  Every wait is
# bounded.  Detached jails are named jb-*; teardown removes every one.
# Network tests run in an outer network namespace they create.

bats_require_minimum_version 1.5.0
load helpers

JAILS=/run/cloison/jails

setup() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	NS=
	TMP=$(mktemp -d /tmp/cloison-jobs.XXXXXX)
	export CLOISON_NET_DIR="$TMP/net"
}

teardown() {
	local d
	for d in "$JAILS"/jb-*; do
		[ -e "$d" ] || continue
		"$CLOISON" rm -f "$(basename "$d")" >/dev/null 2>&1 || true
	done
	[ -z "$NS" ] || ip netns del "$NS" 2>/dev/null || true
	rm -rf "$TMP"
}

# line_of PATTERN: the number of the first line of $output matching PATTERN
line_of() { grep -n -m1 -e "$1" <<<"$output" | cut -d: -f1; }
# before A B: A's line comes before B's in $output (both present)
before() {
	local a b
	a=$(line_of "$1")
	b=$(line_of "$2")
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ] || {
		echo "expected '$1' (line ${a:-none}) before '$2' (line ${b:-none}) in:"
		echo "$output"
		return 1
	}
}
# svc [run options] -- CMD...: run -d in the test rootfs; $output, $status
svc() { run "$CLOISON" run -d --rootfs "$ROOTFS" "$@" 3>&-; }
# field NAME KEY: a value of the jail's state (inspect)
field() { "$CLOISON" inspect "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)[0].get('$2'))"; }
# json FILE EXPR: print EXPR over the JSON object in FILE (as j)
json() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }

# A job that says when it is ready, then loops; its trap (if any) prints.
LOOP='echo ready; while :; do sleep 0.1; done'

@test "--timeout: a job trapping SIGTERM ends cleanly within its grace period; exit 124" {
	# a grace period long enough never to expire: the trap ends the job
	run timeout -s KILL 60 "$CLOISON" run --rootfs "$ROOTFS" --timeout 1 --timeout-grace 30 \
		-- sh -c "trap 'echo trapped-term; exit 3' TERM; $LOOP"
	echo "$output"
	[ "$status" -eq 124 ]
	before ready "reached: SIGTERM sent, SIGKILL after 30s"
	before "SIGTERM sent" trapped-term
	before trapped-term "ended within its grace period, after SIGTERM"
	run ! grep -q "was killed" <<<"$output"
}

@test "--timeout: a job that ignores SIGTERM (under --init) is killed after its grace period" {
	# the trap prints but does not exit: the job outlives the signal
	run timeout -s KILL 60 "$CLOISON" run --rootfs "$ROOTFS" --init --timeout 1 --timeout-grace 1 \
		-- sh -c "trap 'echo got-term-staying' TERM; $LOOP"
	echo "$output"
	[ "$status" -eq 124 ]
	before "SIGTERM sent, SIGKILL after 1s" got-term-staying
	before got-term-staying "the context was killed after its grace period"
	# ignored outright: nothing printed, killed all the same
	run timeout -s KILL 60 "$CLOISON" run --rootfs "$ROOTFS" --init --timeout 1 --timeout-grace 1 \
		-- sh -c "trap '' TERM; $LOOP"
	[ "$status" -eq 124 ]
	before "SIGTERM sent" "the context was killed after its grace period"
}

@test "--timeout: pid 1 without a handler never sees SIGTERM: killed at the deadline, saying why" {
	# the grace would outlast the bound: the job is killed without it
	run timeout -s KILL 40 "$CLOISON" run --rootfs "$ROOTFS" --timeout 1 --timeout-grace 120 -- sh -c "$LOOP"
	echo "$output"
	[ "$status" -eq 124 ]
	grep -q "reached: the context was killed (its pid 1 has no handler for SIGTERM" <<<"$output"
	run ! grep -q "SIGTERM sent" <<<"$output"
	# --timeout-grace 0: SIGKILL at the deadline, even for a job that traps
	run timeout -s KILL 40 "$CLOISON" run --rootfs "$ROOTFS" --timeout 1 --timeout-grace 0 \
		-- sh -c "trap 'echo trapped-term; exit 3' TERM; $LOOP"
	[ "$status" -eq 124 ]
	grep -q "reached: the context was killed (--timeout-grace 0)" <<<"$output"
	run ! grep -q trapped-term <<<"$output"
}

@test "--timeout sends --stop-signal first; --stats-json still says timed_out" {
	run timeout -s KILL 60 "$CLOISON" run --rootfs "$ROOTFS" --init --timeout 1 --stop-signal INT \
		--stats-json "$TMP/s.json" -- sh -c "trap 'echo trapped-int; exit 0' INT; $LOOP"
	echo "$output"
	[ "$status" -eq 124 ]
	before "SIGINT sent" trapped-int
	before trapped-int "ended within its grace period, after SIGINT"
	[ "$(json "$TMP/s.json" 'j["timed_out"], j["exit_status"]')" = "True 124" ]
}

@test "run -d --timeout: the monitor sends the stop signal, then SIGKILL after the grace; the log tells it in order" {
	svc --name jb-trap --timeout 1 --timeout-grace 30 -- sh -c "trap 'echo trapped-term; exit 3' TERM; $LOOP"
	[ "$status" -eq 0 ]
	run timeout 60 "$CLOISON" wait jb-trap
	[ "$output" = 124 ]
	run "$CLOISON" logs jb-trap 2>&1
	echo "$output"
	before ready "SIGTERM sent, SIGKILL after 30s"
	before "SIGTERM sent" trapped-term
	before trapped-term "ended within its grace period"
	[ "$(field jb-trap exit_code)" = 124 ]
	svc --name jb-stay --init --timeout 1 --timeout-grace 1 -- sh -c "trap 'echo got-term-staying' TERM; $LOOP"
	[ "$status" -eq 0 ]
	run timeout 60 "$CLOISON" wait jb-stay
	[ "$output" = 124 ]
	run "$CLOISON" logs jb-stay 2>&1
	echo "$output"
	before "SIGTERM sent" got-term-staying
	before got-term-staying "killed after its grace period"
}

@test "--timeout-grace: bad values and --vm are refused by name; a profile line sets it" {
	for bad in -1 abc 1.2345 86401; do
		jail --timeout 1 --timeout-grace "$bad" -- true
		[ "$status" -eq 125 ]
		[[ "$output" == *"--timeout-grace: invalid value '$bad'"* ]]
	done
	jail --vm --timeout 5 --timeout-grace 2 -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--timeout-grace is not supported with --vm"*"stopped at once at its --timeout deadline"* ]]
	printf 'timeout 1\ntimeout-grace 30\n' >"$TMP/job.profile"
	run "$CLOISON" profile show "$TMP/job.profile"
	grep -qx 'timeout-grace 30' <<<"$output"
	run timeout -s KILL 60 "$CLOISON" run --rootfs "$ROOTFS" --profile "$TMP/job.profile" \
		-- sh -c "trap 'echo trapped-term; exit 3' TERM; $LOOP"
	[ "$status" -eq 124 ]
	before "SIGKILL after 30s" trapped-term
}

@test "--env-file: docker's format; -e wins whatever the order; later files win over earlier ones" {
	printf '%s\n' '# a comment' '' '   # an indented comment' 'A=from-file' 'SPACED=  two  words  ' \
		"QUOTED=\"kept\" 'as is'" 'EQ=a=b=c' 'EMPTY=' 'BARE_SET' 'BARE_UNSET' '  INDENTED=yes' \
		'OVER=first' >"$TMP/one.env"
	printf 'CRLF=dos\r\nOVER=second\n' >"$TMP/two.env"
	BARE_SET=from-cloison run env -u BARE_UNSET "$CLOISON" run --rootfs "$ROOTFS" -e A=from-e \
		--env-file "$TMP/one.env" --env-file "$TMP/two.env" -- env
	echo "$output"
	[ "$status" -eq 0 ]
	local envs=$output
	for want in 'A=from-e' 'SPACED=  two  words  ' "QUOTED=\"kept\" 'as is'" 'EQ=a=b=c' 'EMPTY=' \
		'BARE_SET=from-cloison' 'INDENTED=yes' 'CRLF=dos' 'OVER=second'; do
		grep -qxF -e "$want" <<<"$envs" || { echo "missing: $want"; return 1; }
	done
	run ! grep -q -e BARE_UNSET -e '#' <<<"$envs"
	# profile lines: an env line wins over an env-file line after it
	printf 'env OVER=profile-env\nenv-file %s\n' "$TMP/two.env" >"$TMP/e.profile"
	run "$CLOISON" run --rootfs "$ROOTFS" --profile "$TMP/e.profile" -- env
	grep -qx 'OVER=profile-env' <<<"$output"
	grep -qx 'CRLF=dos' <<<"$output"
}

@test "--env-file with run -d: the environment is recorded, so start finds it after the file is gone" {
	printf 'FROM_FILE=yes\nOVER=file\n' >"$TMP/svc.env"
	svc --name jb-env --env-file "$TMP/svc.env" -e OVER=cli -- sh -c 'echo "$FROM_FILE/$OVER"; exec sleep 1000'
	[ "$status" -eq 0 ]
	[ "$output" = jb-env ]
	wait_until 10 grep -q 'yes/cli' "$JAILS/jb-env/log"
	rm "$TMP/svc.env"
	"$CLOISON" stop -t 0 jb-env
	run "$CLOISON" start jb-env
	[ "$status" -eq 0 ]
	wait_until 10 sh -c "[ \$(grep -c 'yes/cli' $JAILS/jb-env/log) -ge 2 ]"
}

@test "--env-file: bad files are refused naming FILE:LINE, and leave nothing behind" {
	printf 'GOOD=1\nMY VAR=1\n' >"$TMP/space.env"
	jail --env-file "$TMP/space.env" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--env-file: $TMP/space.env:2: invalid variable name 'MY VAR'"* ]]
	printf '# ok\n=value\n' >"$TMP/noname.env"
	jail --env-file "$TMP/noname.env" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"$TMP/noname.env:2: no variable name before '='"* ]]
	printf 'A=1\nB=\001x\nC\tD=2\n' >"$TMP/ctl.env"
	jail --env-file "$TMP/ctl.env" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"$TMP/ctl.env:3: invalid variable name"* ]]
	printf 'A=1\0B=2\n' >"$TMP/nul.env"
	jail --env-file "$TMP/nul.env" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"$TMP/nul.env:1: a NUL byte"* ]]
	jail --env-file "$TMP/missing.env" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--env-file: cannot open $TMP/missing.env: No such file or directory"* ]]
	printf 'env-file %s\n' "$TMP/space.env" >"$TMP/bad.profile"
	jail --profile "$TMP/bad.profile" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"bad.profile:1"*"$TMP/space.env:2: invalid variable name"* ]]
	# run -d: refused before any state exists
	svc --name jb-badenv --env-file "$TMP/space.env" -- true
	[ "$status" -eq 125 ]
	[ ! -e "$JAILS/jb-badenv" ]
}

@test "run -d --net bridge -p: stdout is the name alone, stderr the address and ports; ps and its JSON show them" {
	NS=cltest-$$-$BATS_TEST_NUMBER
	ip netns add "$NS"
	ip netns exec "$NS" ip link set lo up
	nsenter --net="/run/netns/$NS" "$CLOISON" run -d --rootfs "$ROOTFS" --name jb-net --net bridge \
		-p 18090:80 -p 127.0.0.1:18091:81/udp -- sleep 1000 >"$TMP/out" 2>"$TMP/err" 3>&-
	cat "$TMP/out" "$TMP/err"
	[ "$(cat "$TMP/out")" = jb-net ]
	addr=$(field jb-net address)
	[[ "$addr" == 10.88.* ]]
	[ "$(cat "$TMP/err")" = "jb-net: address $addr, ports 18090->80/tcp, 127.0.0.1:18091->81/udp" ]
	run "$CLOISON" ps
	grep -E "^jb-net .* $addr +18090->80/tcp,127.0.0.1:18091->81/udp " <<<"$output"
	run "$CLOISON" ps --format json
	python3 -c "
import json, sys
j = [x for x in json.loads(sys.argv[1]) if x['name'] == 'jb-net'][0]
assert j['address'] == '$addr', j
assert j['ports'] == ['18090->80/tcp', '127.0.0.1:18091->81/udp'], j" "$output"
	# no network of its own: nothing more than the name
	svc --name jb-none -- sleep 1000
	[ "$output" = jb-none ]
	"$CLOISON" rm -f jb-net jb-none
}

@test "--stats-json records peak memory, CPU time and I/O, in the foreground and with run -d (a relative FILE is the caller's)" {
	local job='x=$(head -c 30000000 /dev/zero | tr "\0" a); dd if=/dev/zero of=/root/jb-io bs=1M count=8 conv=fsync 2>/dev/null; rm /root/jb-io; i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done'
	jail --stats-json "$TMP/fg.json" -- sh -c "$job"
	[ "$status" -eq 0 ]
	cat "$TMP/fg.json"
	check='j["peak_memory_bytes"] >= 30e6 and j["user_seconds"] + j["system_seconds"] > 0 and j["written_bytes"] >= 8 << 20 and j["io_source"] in ("cgroup", "processes") and j["exit_status"] == 0'
	[ "$(json "$TMP/fg.json" "$check")" = True ]
	cd "$TMP"
	svc --name jb-stats --stats --stats-json rel.json -- sh -c "$job"
	[ "$status" -eq 0 ]
	run timeout 60 "$CLOISON" wait jb-stats
	[ "$output" = 0 ]
	cat "$TMP/rel.json"
	[ "$(json "$TMP/rel.json" "$check")" = True ]
	# --stats's table reaches the log
	run "$CLOISON" logs jb-stats 2>&1
	grep -q "resources used by" <<<"$output"
	grep -q "peak memory" <<<"$output"
}

@test "--stats-json rootless without a cgroup of its own: CPU time and I/O from the processes, and a warning saying so" {
	local user=cltest-jb dir
	id "$user" >/dev/null 2>&1 || useradd -M -s /bin/sh "$user"
	# on disk (not a tmpfs), so that the job's writes are block I/O
	dir=$(mktemp -d /var/tmp/cloison-jobs-rl.XXXXXX)
	chmod 755 "$dir"
	cp "$CLOISON" "$dir/cloison"
	cp -a "$ROOTFS/." "$dir/rootfs"
	chown -R "$user" "$dir"
	# shellcheck disable=SC2016 # the jail's $i
	run su "$user" -c "'$dir/cloison' run --rootfs '$dir/rootfs' --stats-json '$dir/s.json' -- sh -c 'i=0; while [ \$i -lt 20000 ]; do i=\$((i+1)); done; dd if=/dev/zero of=/jb bs=1M count=4 conv=fsync 2>/dev/null; rm /jb'"
	cp "$dir/s.json" "$TMP/s.json" 2>/dev/null || true
	rm -rf "$dir"
	userdel "$user" 2>/dev/null || true
	echo "$output"
	[ "$status" -eq 0 ]
	cat "$TMP/s.json"
	if [ "$(json "$TMP/s.json" 'j["cgroup_version"]')" != 0 ]; then
		# a delegated subtree: the cgroup counted it
		[ "$(json "$TMP/s.json" 'j["cpu_source"]')" = cgroup ]
		return 0
	fi
	grep -q "warning: --stats-json: no cgroup of its own (.*): CPU time and I/O as the processes counted them" <<<"$output"
	[ "$(json "$TMP/s.json" 'j["cpu_source"], j["io_source"], j["peak_memory_bytes"]')" = "processes processes None" ]
	[ "$(json "$TMP/s.json" 'j["user_seconds"] + j["system_seconds"] > 0 and j["written_bytes"] >= 4 << 20')" = True ]
}
