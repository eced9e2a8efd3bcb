#!/usr/bin/env bats
# The README's tour, run as written.  Every line of the ```sh block under
# "## A tour" is known here by its exact text (table below) and run from the
# checkout, as the README says, after B=build/cloison: stdin from /dev/null
# and under timeout, or, for the interactive and the long-running ones, with
# the input or the bound they need.  Each test checks what the line's comment
# promises.  A line the table does not know fails the first test: a new tour
# line needs its check here.  Bridge networking runs in a network namespace
# made here, with its state in a private CLOISON_NET_DIR.

load helpers
bats_require_minimum_version 1.5.0

README="$TOP/README.md"

# The tour, by exact text: NAME<TAB>LINE (the comment cut off).
table() {
	cat <<'EOF'
setb	B=build/cloison
pid1	$B run -- /bin/sh -c 'echo I am pid $$ on $(hostname)'
readonly	$B run --hostname web --read-only --tmpfs /tmp:size=16M -- sh -c 'touch /tmp/x && touch /x'
overlay	$B run --overlay -- sh -c 'rm -rf /usr /etc && ls /'
tty	$B run -it -- sh
bind	$B run --bind "$PWD:/src:ro" --user 1000:1000 -- ls /src
ping	$B run --cap-drop ALL --net none -- ping -c1 127.0.0.1
httpd	$B run --net bridge -p 8080:80 -- httpd -f -p 80
gc	$B gc
init	$B run --init -- sh -c 'sleep 100 & sleep 100'
userns	$B run --userns -- id
nested	$B run --nested -- unshare -Urmpf --mount-proc ps
stats	$B run --memory 256M --cpus 1.5 --pids 200 --timeout 600 --stats -- sh -c 'seq 100000 | sort -rn | head -1'
oom	$B run --memory 32M -- sh -c 'x=$(head -c 1000000000 /dev/zero | tr "\0" a)'
svcrun	$B run -d --name web --init --memory 64M --restart on-failure:5 -- httpd -f -v -p 80
svcps	$B ps
svcstats	$B stats --no-stream web
svcexec	$B exec web -- ps
svclogs	$B logs web
svcstop	$B stop web && $B rm web
check	$B check
json	$B check --json
vm	$B run --vm -- uname -r
disk	rootfs-tools/mkimage-ext4 build/rootfs disk.img && $B run --vm --disk disk.img -- sh
vmbind	$B run --vm --bind $PWD/src:/src:ro --timeout 60 -- ls /src
vmnet	$B run --vm --net bridge -- ip -4 -o addr show eth0
EOF
}

# tour_lines: the tour block's lines, comments cut off
tour_lines() {
	awk '/^## / { t = ($0 == "## A tour") } t && /^```/ { b = !b; next } t && b && NF' "$README" |
		sed -E 's/[[:space:]]+#[[:space:]].*$//'
}

# line NAME: the tour line called NAME, which the README must hold as is
line() {
	local l
	l=$(table | awk -F'\t' -v k="$1" '$1 == k { print $2 }')
	[ -n "$l" ] && tour_lines | grep -Fxq -- "$l" || { echo "no tour line '$1' in the README: '$l'" >&2; return 1; }
	printf '%s\n' "$l"
}

# script_for NAME: a script running the tour line NAME after the tour's B=
# line; its path on stdout
script_for() {
	local f="$BATS_TEST_TMPDIR/$1.sh"
	{ line setb && line "$1"; } >"$f" || return 1
	echo "$f"
}

# cloison_of SCRIPT: the cloison that the shell running SCRIPT started
cloison_of() {
	local sh
	sh=$(pgrep -f -x "sh $1") && pgrep -P "$sh" -x cloison
}

# tour NAME [SECONDS]: run the line NAME from the checkout, stdin /dev/null,
# within SECONDS (60); $status and $output
tour() {
	local f
	f=$(script_for "$1")
	cd "$TOP"
	run timeout "${2:-60}" sh "$f" </dev/null
	echo "$1: status $status"
	echo "$output"
}

kvm_is_pvm() { "$CLOISON" check | grep -q '/dev/kvm .*KVM: PVM'; }

teardown() {
	local p
	# BG: a timeout(1), which leads the process group of what it runs
	for p in ${BG:-}; do kill -9 -- "-$p" 2>/dev/null || kill -9 "$p" 2>/dev/null || true; done
	for p in ${BG:-}; do wait "$p" 2>/dev/null || true; done
	[ -z "${NS:-}" ] || ip netns del "$NS" 2>/dev/null || true
	rm -f "$TOP/disk.img"
	[ -z "${SVC:-}" ] || "$CLOISON" rm -f "$SVC" >/dev/null 2>&1 || true
}

@test "tour: every line of the README's tour is known here, and every known line is in the tour" {
	local l unknown= missing=
	[ "$(tour_lines | wc -l)" -gt 5 ] # the block was found
	while IFS= read -r l; do
		L=$l awk -F'\t' '$2 == ENVIRON["L"] { f = 1 } END { exit !f }' <(table) || unknown+=$'\n  '"$l"
	done < <(tour_lines)
	while IFS=$'\t' read -r _ l; do
		tour_lines | grep -Fxq -- "$l" || missing+=$'\n  '"$l"
	done < <(table)
	[ -z "$unknown" ] || echo "tour lines with no check in tests/readme.bats:$unknown"
	[ -z "$missing" ] || echo "checks of lines the tour no longer has:$missing"
	[ -z "$unknown$missing" ]
}

@test "tour: B=build/cloison names the binary make all builds" {
	run sh -c "$(line setb)"' && echo "$B"'
	[ "$output" = build/cloison ]
	[ -x "$TOP/$output" ]
}

@test "tour: pid 1, hostname \"cloison\"" {
	tour pid1
	[ "$status" -eq 0 ]
	[ "$output" = "I am pid 1 on cloison" ]
}

@test "tour: --read-only with a --tmpfs /tmp: /tmp writable, / read-only: fails" {
	tour readonly
	[ "$status" -eq 1 ]
	[[ "$output" == *"touch: /x: Read-only file system"* ]]
	[[ "$output" != *"/tmp/x"* ]]
}

@test "tour: --overlay: a throw-away root, build/rootfs keeps /usr and /etc" {
	tour overlay
	[ "$status" -eq 0 ]
	[[ "$output" == *bin* ]]
	[[ "$output" != *usr* ]] && [[ "$output" != *etc* ]]
	[ -d "$TOP/build/rootfs/usr" ] && [ -d "$TOP/build/rootfs/etc" ]
}

@test "tour: -it -- sh is interactive, with a terminal (under script, fed a few lines)" {
	command -v script
	local f
	f=$(script_for tty)
	cd "$TOP"
	run timeout 30 script -qec "sh $f" /dev/null < <(printf 'tty; echo $((6*7)); exit 3\n')
	echo "$output"
	[ "$status" -eq 3 ]
	grep -q '^/dev/console' <<<"$output"
	grep -q '^42' <<<"$output"
}

@test "tour: a service: run -d prints web; ps lists it up with its limit; stats; logs; stop and rm leave nothing" {
	[ ! -e /run/cloison/jails/web ] || skip "a jail named web exists on this host"
	SVC=web
	tour svcrun
	[ "$status" -eq 0 ]
	[ "$output" = web ]
	tour svcps
	[ "$status" -eq 0 ]
	grep -E '^web +container +up .*/ 64\.0MiB' <<<"$output"
	tour svcstats
	[ "$status" -eq 0 ]
	grep -E '^web +[0-9.]+% +[0-9.]+[KM]iB / 64\.0MiB ' <<<"$output"
	grep -E '^TOTAL \(1 jail\) ' <<<"$output"
	grep -E '^host: [0-9]+ CPUs?, ' <<<"$output"
	tour svcexec
	[ "$status" -eq 0 ]
	grep -E '^ +1 root .*cloison-init 2$' <<<"$output"
	grep -E '^ +2 root +httpd -f -v -p 80$' <<<"$output"
	grep -E '^ +3 root +ps$' <<<"$output"
	tour svclogs
	[ "$status" -eq 0 ]
	tour svcstop 30
	[ "$status" -eq 0 ]
	[ "$output" = $'web\nweb' ]
	[ ! -e /run/cloison/jails/web ]
}

@test "tour: --bind \"\$PWD:/src:ro\" --user 1000:1000 lists this checkout" {
	tour bind
	[ "$status" -eq 0 ]
	grep -qx README.md <<<"$output"
	grep -qx Makefile <<<"$output"
}

@test "tour: ping with --cap-drop ALL fails: no NET_RAW" {
	tour ping
	[ "$status" -eq 1 ]
	[[ "$output" == *"ping: permission denied"* ]]
}

@test "tour: httpd on the bridge answers on host port 8080; after a kill -9, gc releases the lease and the bridge" {
	NS=cltest-readme-$$
	ip netns add "$NS"
	ip netns exec "$NS" ip link set lo up
	export CLOISON_NET_DIR="$BATS_TEST_TMPDIR/state"
	local f sh cl code
	f=$(script_for httpd)
	cd "$TOP"
	# the namespace stands for the host: the line as written, run in it
	nsenter --net="/run/netns/$NS" timeout 60 sh "$f" </dev/null >"$BATS_TEST_TMPDIR/httpd.out" 2>&1 3>&- &
	sh=$!
	BG=$sh
	code() { nsenter --net="/run/netns/$NS" curl -s -m 2 -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/; }
	wait_until 10 eval '[ "$(code)" != 000 ]' || { cat "$BATS_TEST_TMPDIR/httpd.out"; false; }
	code=$(code)
	echo "HTTP $code"
	[[ "$code" == [2-5]?? ]]
	# the jail's end of a veth pair, whose host end is on cl-br0
	# (iproute2 here may say "Peer netns reference is invalid" on stderr
	# about the veth's peer in the jail's namespace: not the link list)
	run --separate-stderr nsenter --net="/run/netns/$NS" ip -o link show master cl-br0
	echo "$output"
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"veth"* || "$output" == *"@if"* ]]
	cl=$(cloison_of "$f")
	[ -n "$cl" ]
	kill -9 "$cl"
	wait "$sh" || true
	BG=
	f=$(script_for gc)
	run nsenter --net="/run/netns/$NS" timeout 60 sh "$f" </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "released lease 10.88.0.2 on cl-br0 (cloison $cl is gone)" ]
	[ "${lines[1]}" = "deleted bridge cl-br0 (unused)" ]
	grep -qx "removed nftables chain br-cl-br0-nat4" <<<"$output"
	[ "$(nsenter --net="/run/netns/$NS" ip -o link show | wc -l)" -eq 1 ] # lo
	[ -z "$(nsenter --net="/run/netns/$NS" nft list tables)" ]
}

@test "tour: --init: a reaping PID 1 (cloison's init, the command below it; ended by SIGTERM)" {
	local f sh cl jp
	f=$(script_for init)
	cd "$TOP"
	timeout 150 sh "$f" </dev/null >"$BATS_TEST_TMPDIR/init.out" 2>&1 3>&- &
	sh=$!
	BG=$sh
	wait_until 10 eval 'cl=$(cloison_of "$f") && jp=$(jail_pid $cl) && [ -n "$jp" ] && [ -n "$(pgrep -P $jp)" ]'
	readlink /proc/$jp/exe
	[[ "$(readlink /proc/$jp/exe)" == "/memfd:cloison-init"* ]]
	kill -TERM "$cl"
	local st=0
	wait "$sh" || st=$?
	BG=
	cat "$BATS_TEST_TMPDIR/init.out"
	[ "$st" -eq 143 ]
}

@test "tour: --userns: root inside, a 64K host id range of its own outside" {
	tour userns
	[ "$status" -eq 0 ]
	[[ "$output" == "uid=0(root) gid=0(root)"* ]]
	# the same options, asked for the mapping
	run sh -c "$(line setb); "'$B run --userns -- cat /proc/self/uid_map'
	read -r inside outside count <<<"$output"
	[ "$inside" -eq 0 ]
	[ "$outside" -ge $((0x70000000)) ] # the pool no real user owns (no 'cloison' subuid entry here)
	[ "$count" -eq 65536 ]
}

@test "tour: --nested: a sandbox inside, its own pid namespace and proc (ps sees itself as pid 1)" {
	tour nested
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[1]}" == *" 1 root "*ps ]]
	# and without --nested, refused
	run sh -c "$(line setb); "'$B run -- unshare -Urmpf --mount-proc ps'
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "tour: limits and --stats: the command's answer, then the table" {
	tour stats
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 100000 ]
	for row in "wall time" "cpu user" "peak memory" "peak pids" "oom kills"; do
		grep -qE "^  $row +[0-9]" <<<"$output" || { echo "no row $row"; false; }
	done
}

@test "tour: a memory hog under --memory 32M: 137, \"killed by the OOM killer\"" {
	tour oom
	[ "$status" -eq 137 ]
	[[ "$output" == *"cloison: killed by the OOM killer (memory limit 32M)"* ]]
}

@test "tour: check says what this host supports; --json the same as JSON" {
	tour check
	[ "$status" -eq 0 ]
	for w in namespaces: cgroups: seccomp kvm:; do [[ "$output" == *"$w"* ]] || { echo "no $w"; false; }; done
	tour json
	[ "$status" -eq 0 ]
	python3 -c 'import json, sys; d = json.load(sys.stdin); assert d["namespaces"]["pid"]["ok"], d' <<<"$output"
}

# A micro-VM needs VT-x/AMD-V: where /dev/kvm is PVM (these test machines)
# the line must say so and fail; it runs for real in the nested suite
# (tests/vm-nested.bats: 09-vm-run-linux, 10-vm-run-disk).
@test "tour: run --vm -- uname -r: a kernel version, or (PVM) why not" {
	tour vm 120
	if kvm_is_pvm; then
		[ "$status" -eq 125 ]
		[[ "$output" == "cloison: cannot boot "*"/dev/kvm is PVM"*"hardware virtualization (VT-x/AMD-V)"* ]]
	else
		[ "$status" -eq 0 ]
		[[ "${lines[-1]}" =~ ^[0-9]+\.[0-9]+ ]]
	fi
}

@test "tour: mkimage-ext4 makes disk.img from the rootfs, run --vm --disk boots on it (or, PVM, says why not)" {
	tour disk 120
	grep -qE '^mkimage-ext4: disk.img \([0-9]+M\) holds build/rootfs$' <<<"$output"
	[ "$(e2label "$TOP/disk.img")" = cloison-root ]
	if kvm_is_pvm; then
		[ "$status" -eq 125 ]
		[[ "$output" == *"/dev/kvm is PVM"* ]]
	else
		[ "$status" -eq 0 ]
	fi
}

# (run for real in the nested suite: 15-vm-net); in a network namespace of
# the test's, so that a host with VT-x/AMD-V gets its bridge there
@test "tour: run --vm --net bridge: eth0 with its leased address (or, PVM, says why not)" {
	local f
	NS=cltour-$$
	ip netns add "$NS"
	ip netns exec "$NS" ip link set lo up
	f=$(script_for vmnet)
	cd "$TOP"
	CLOISON_NET_DIR="$BATS_TEST_TMPDIR/net" run nsenter --net="/run/netns/$NS" timeout 120 sh "$f" </dev/null
	echo "$output"
	if kvm_is_pvm; then
		[ "$status" -eq 125 ]
		[[ "$output" == *"/dev/kvm is PVM"* ]]
	else
		[ "$status" -eq 0 ]
		[[ "$output" == *"eth0"*"inet 10.88.0."* ]]
	fi
}

# (run for real in the nested suite: 12-vm-run-options)
@test "tour: run --vm --bind SRC:DST:ro --timeout: the directory's listing (or, PVM, says why not)" {
	tour vmbind 120
	if kvm_is_pvm; then
		[ "$status" -eq 125 ]
		[[ "$output" == *"/dev/kvm is PVM"* ]]
	else
		[ "$status" -eq 0 ]
		[[ "$output" == *cli* ]] # src/cli, listed inside the guest
	fi
}
