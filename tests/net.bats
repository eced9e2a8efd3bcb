#!/usr/bin/env bats
# Networking: --net none|bridge, --ip, --subnet, --publish, --dns,
# --add-host, clean-up after exit and after SIGKILL, cloison gc.
#
# Every test runs in an outer network namespace it creates (ip netns add),
# so the machine's own network is never touched: the bridge, the veths and
# the published ports all live in that namespace, and the tests address
# only loopback or addresses inside it.  Bridge-mode state (leases, run
# directories) goes to a per-test CLOISON_NET_DIR.

bats_require_minimum_version 1.5.0
load helpers

CLNET="$ROOTFS/usr/bin/clnet" # static: runs outside the jail too

setup() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	[ -x "$ROOTFS/usr/bin/clnet" ] || {
		echo "$ROOTFS/usr/bin/clnet is missing: make test-artifacts" >&2
		return 1
	}
	NS=cltest-$$-$BATS_TEST_NUMBER
	NS2=
	NETDIR=
	BG=()
	ip netns add "$NS"
	ip netns exec "$NS" ip link set lo up
	export CLOISON_NET_DIR="$BATS_TEST_TMPDIR/state"
}

teardown() {
	local p
	for p in "${BG[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	for p in "${BG[@]}"; do wait "$p" 2>/dev/null || true; done
	ip netns del "$NS" 2>/dev/null || true
	[ -z "$NS2" ] || ip netns del "$NS2" 2>/dev/null || true
	rm -rf "/etc/netns/$NS"
	[ -z "${NETDIR:-}" ] || rm -rf "$NETDIR"
}

# ns CMD...: CMD in the outer namespace.  cloison itself is started with
# nsenter, which only enters the network namespace; ip netns exec also
# remounts /sys (one test runs it that way too).
ns() { ip netns exec "$NS" "$@"; }
in_ns() { nsenter --net="/run/netns/$NS" "$@"; }
# njail [OPTIONS] -- CMD...: a jail started in the outer namespace; $output
njail() { run in_ns "$CLOISON" run --rootfs "$ROOTFS" "$@"; }
# bg_jail OUT [OPTIONS] -- CMD...: the same in the background, its pid in BG
bg_jail() {
	local out=$1
	shift
	# fd 3 closed: bats waits for it
	nsenter --net="/run/netns/$NS" "$CLOISON" run --rootfs "$ROOTFS" "$@" >"$out" 2>&1 3>&- &
	BG+=($!)
}
# bg_outer OUT CMD...: CMD in the background in the outer namespace
bg_outer() {
	local out=$1
	shift
	nsenter --net="/run/netns/$NS" "$@" >"$out" 2>&1 3>&- &
	BG+=($!)
}
# wait_for FILE TEXT: until FILE holds TEXT (5 s)
wait_for() {
	for _ in $(seq 50); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "timed out waiting for '$2' in $1:"
	cat "$1"
	return 1
}
# the outer namespace's links, sorted, on one line
links() { ns ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort | tr '\n' ' '; }
leases() { cat "$CLOISON_NET_DIR/leases" 2>/dev/null || true; }
run_dirs() { find "$CLOISON_NET_DIR" -mindepth 1 -maxdepth 1 -name 'ctx-*' 2>/dev/null || true; }
listening() { ns ss -Hltnu | awk '{ print $5 }'; }

# nothing of a jail left: no veth, no lease, no run directory, no listener
assert_clean() {
	[ "$(links)" = "cl-br0 lo " ] || { echo "links: $(links)"; return 1; }
	[ -z "$(leases)" ] || { echo "leases: $(leases)"; return 1; }
	[ -z "$(run_dirs)" ] || { echo "run dirs: $(run_dirs)"; return 1; }
	[ -z "$(listening)" ] || { echo "listening: $(listening)"; return 1; }
	[ -z "$(ns nft list tables)" ] || { ns nft list ruleset; return 1; }
	[ "$(ns ip -4 -o addr show | awk '{ print $2, $4 }' | sort | tr '\n' ' ')" = "cl-br0 10.88.0.1/16 lo 127.0.0.1/8 " ]
}

@test "--net none: only lo, up; no bridge-mode state is touched" {
	njail -- sh -c 'ls /sys/class/net; cat /sys/class/net/lo/operstate; ip -4 -o addr'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = lo ]
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[2]}" == *"127.0.0.1/8"* ]]
	[ ! -e "$CLOISON_NET_DIR" ]
	[ "$(links)" = "lo " ]
}

@test "--net bridge: eth0 with an address, a default route, hosts and resolv.conf" {
	njail --net bridge --hostname web -- sh -c 'ip -4 -o addr show eth0; ip route; cat /etc/hosts /etc/resolv.conf
		ls /sys/class/net; touch /etc/hosts 2>/dev/null || echo hosts-ro'
	[ "$status" -eq 0 ]
	[[ "$output" == *"inet 10.88.0.2/16"* ]]
	[[ "$output" == *"default via 10.88.0.1 dev eth0"* ]]
	grep -qx '10.88.0.2	web' <<<"$output"
	grep -qx '127.0.0.1	localhost' <<<"$output"
	[[ "$output" == *"# written by cloison"* ]]
	[[ "$output" == *hosts-ro* ]]
	[ "$(grep -cxE 'eth0|lo' <<<"$output")" -eq 2 ]
	# the bridge cloison made: its address, tagged as cloison's
	[ "$(ns ip -4 -o addr show cl-br0 | awk '{ print $4 }')" = 10.88.0.1/16 ]
	ns ip -d link show cl-br0 | grep -q 'alias cloison'
	assert_clean
}

@test "--net bridge: the jail reaches the bridge address (ping and TCP to the outer namespace)" {
	bg_outer "$BATS_TEST_TMPDIR/srv" "$CLNET" tcp-serve 7000 from-outer
	wait_for "$BATS_TEST_TMPDIR/srv" ready
	njail --net bridge -- sh -c 'ping -c1 -W2 10.88.0.1 >/dev/null && echo ping-ok; clnet tcp-send 10.88.0.1 7000 x'
	[ "$status" -eq 0 ]
	[[ "$output" == *ping-ok* ]]
	[[ "$output" == *from-outer* ]]
}

@test "--net bridge: two jails reach each other over TCP (busybox nc) and ping" {
	local a="$BATS_TEST_TMPDIR/a"
	bg_jail "$a" --net bridge --ip 10.88.0.10 -- sh -c 'echo "hello from a" | nc -l -p 8080; echo served'
	# ping until a is up, then fetch its greeting (a serves once and exits)
	njail --net bridge -- sh -c 'for i in $(seq 20); do ping -c1 -W1 10.88.0.10 >/dev/null && break; done &&
		echo ping-ok; for i in $(seq 50); do
			r=$(nc 10.88.0.10 8080 </dev/null 2>/dev/null) && [ -n "$r" ] && break; sleep 0.1
		done; echo "got: $r"'
	[ "$status" -eq 0 ]
	[[ "$output" == *"got: hello from a"* ]]
	[[ "$output" == *ping-ok* ]]
	wait_for "$a" served
	wait "${BG[0]}"
}

# publish_answers: a jail publishing TCP and UDP ports answers on the outer
# namespace's loopback and addresses (the relay or the kernel's DNAT)
publish_answers() {
	local j="$BATS_TEST_TMPDIR/j"
	ns ip addr add 192.0.2.1/32 dev lo # an address of the outer namespace's own
	bg_jail "$j" --net bridge --publish 8080:80 -p 127.0.0.1:8081:80 --publish 9090:9000/udp -- \
		sh -c 'clnet udp-echo 9000 2 & clnet tcp-serve 80 from-jail'
	wait_for "$j" ready
	for addr in 127.0.0.1 192.0.2.1 10.88.0.1; do
		run ns "$CLNET" tcp-send "$addr" 8080 x
		[ "$status" -eq 0 ] && [ "$output" = from-jail ] || { echo "$addr: $output"; return 1; }
	done
	run ns "$CLNET" tcp-send 127.0.0.1 8081 x
	[ "$output" = from-jail ]
	# 127.0.0.1:8081 only
	run ns "$CLNET" tcp-send 192.0.2.1 8081 x
	[ "$status" -ne 0 ]
	run ns "$CLNET" udp-send 127.0.0.1 9090 ping-udp
	[ "$status" -eq 0 ]
	[ "$output" = ping-udp ]
	run ns "$CLNET" udp-send 192.0.2.1 9090 ping-again
	[ "$output" = ping-again ]
	wait_for "$j" "got ping-again"
}

@test "--publish (kernel DNAT): TCP and UDP ports answer on the outer namespace's loopback and addresses" {
	publish_answers
	# no relay for IPv4 (it serves the IPv6 side only): the jail's DNAT
	# chains do it
	local relay
	relay=$(pgrep -P "${BG[0]}" -x cloison-publish)
	[ -z "$(ns ss -Hltnup | grep "pid=$relay," | awk '$5 !~ /^\[/')" ]
	ns nft list chain inet cloison "jail-${BG[0]}-$(awk '{ print $22 }' "/proc/${BG[0]}/stat")-pre" >/dev/null
}

@test "--publish (CLOISON_PUBLISH_RELAY=1): TCP and UDP through the relay, which runs as nobody" {
	export CLOISON_PUBLISH_RELAY=1
	publish_answers
	# the relay runs as nobody, in its own process group
	local relay
	relay=$(pgrep -P "${BG[0]}" -x cloison-publish)
	[ "$(stat -c %u "/proc/$relay")" = 65534 ]
	grep -q '^CapEff:	0000000000000000' "/proc/$relay/status"
	[[ "$(ns nft list chains)" != *jail-* ]]
}

@test "--publish: a port in use is refused and leaves nothing behind" {
	bg_outer "$BATS_TEST_TMPDIR/srv" "$CLNET" tcp-serve 8080
	wait_for "$BATS_TEST_TMPDIR/srv" ready
	njail --net bridge --publish 8080:80 -- true
	[ "$status" -eq 125 ]
	[ "$output" = "cloison: cannot publish port 8080/tcp: Address already in use" ]
	[ -z "$(leases)" ] && [ -z "$(run_dirs)" ]
	[ "$(links)" = "cl-br0 lo " ]
}

@test "--net bridge: 20 concurrent jails get 20 different addresses" {
	local i sync="$BATS_TEST_TMPDIR/sync"
	mkdir "$sync"
	# all 20 hold their address at once: each says it is up, then waits for
	# the test's "go" (30 s at most)
	for i in $(seq 20); do
		bg_jail "$BATS_TEST_TMPDIR/out$i" --net bridge --bind "$sync:/sync" -- sh -c "ip -4 -o addr show eth0; touch /sync/up$i
			i=0; while [ ! -e /sync/go ] && [ \$i -lt 300 ]; do sleep 0.1; i=\$((i + 1)); done"
	done
	for i in $(seq 20); do wait_file "$sync/up$i" 30; done
	touch "$sync/go"
	for i in $(seq 20); do wait "${BG[$((i - 1))]}"; done
	BG=()
	run sh -c "cat $BATS_TEST_TMPDIR/out* | awk '{ print \$4 }' | sort -u"
	[ "${#lines[@]}" -eq 20 ] || { cat "$BATS_TEST_TMPDIR"/out*; return 1; }
	[[ "$output" != *10.88.0.1/* ]]
	assert_clean
}

@test "nothing is left after a normal exit, an error exit, or a failed start" {
	njail --net bridge --publish 8080:80 --publish 8080:80/udp -- true
	[ "$status" -eq 0 ]
	assert_clean
	njail --net bridge --publish 8080:80 -- sh -c 'exit 3'
	[ "$status" -eq 3 ]
	assert_clean
	run -127 in_ns "$CLOISON" run --rootfs "$ROOTFS" --net bridge --publish 8080:80 -- /nonexistent
	assert_clean
	# gc: the unused bridge goes
	run in_ns "$CLOISON" gc
	[ "$status" -eq 0 ]
	[ "$output" = "deleted bridge cl-br0 (unused)" ]
	[ "$(links)" = "lo " ]
	run in_ns "$CLOISON" gc
	[ "$output" = "nothing to clean up" ]
}

@test "after kill -9 of cloison: veth, jail and relay go at once; gc releases the lease" {
	local j="$BATS_TEST_TMPDIR/j" pid relay jail
	export CLOISON_PUBLISH_RELAY=1 # the kernel path: net-nat.bats
	bg_jail "$j" --net bridge --publish 8080:80 -- sh -c 'echo up; exec sleep 60'
	wait_for "$j" up
	pid=${BG[0]}
	relay=$(pgrep -P "$pid" -x cloison-publish)
	jail=$(pgrep -P "$pid" -x sleep)
	[ -n "$relay" ] && [ -n "$jail" ]
	[ -n "$(leases)" ] && [ -n "$(run_dirs)" ]
	[[ "$(links)" == *"clv$pid"* ]]
	kill -9 "$pid"
	wait "$pid" || true
	BG=()
	for _ in $(seq 30); do
		[ "$(links)" = "cl-br0 lo " ] && [ ! -e "/proc/$relay" ] && [ ! -e "/proc/$jail" ] &&
			[ -z "$(listening)" ] && break
		sleep 0.1
	done
	[ "$(links)" = "cl-br0 lo " ]
	[ ! -e "/proc/$relay" ] || { echo "relay $relay survived"; false; }
	[ ! -e "/proc/$jail" ] || { echo "jail $jail survived"; false; }
	[ -z "$(listening)" ]
	# the lease is stale: gc --dry-run says so, gc releases it and the bridge
	run in_ns "$CLOISON" gc --dry-run
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "would release lease 10.88.0.2 on cl-br0 (cloison $pid is gone)" ]]
	[ -n "$(leases)" ]
	run in_ns "$CLOISON" gc
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "released lease 10.88.0.2 on cl-br0 (cloison $pid is gone)" ]
	[ "${lines[1]}" = "deleted bridge cl-br0 (unused)" ]
	grep -qx "removed nftables chain br-cl-br0-nat4" <<<"$output"
	[ -z "$(leases)" ] && [ -z "$(run_dirs)" ]
	[ "$(links)" = "lo " ]
	[ -z "$(ns nft list tables)" ]
}

@test "after kill -9, the next run reclaims the stale lease without gc" {
	local j="$BATS_TEST_TMPDIR/j"
	bg_jail "$j" --net bridge --ip 10.88.0.42 -- sh -c 'echo up; exec sleep 60'
	wait_for "$j" up
	kill -9 "${BG[0]}"
	wait "${BG[0]}" || true
	BG=()
	njail --net bridge --ip 10.88.0.42 -- ip -4 -o addr show eth0
	[ "$status" -eq 0 ]
	[[ "$output" == *"inet 10.88.0.42/16"* ]]
	assert_clean
}

@test "--ip: an explicit address works; a taken or invalid one is refused and leaves nothing" {
	local a="$BATS_TEST_TMPDIR/a"
	bg_jail "$a" --net bridge --ip 10.88.7.7/16 -- sh -c 'ip -4 -o addr show eth0; echo up; exec sleep 60'
	wait_for "$a" up
	grep -q 'inet 10.88.7.7/16' "$a"
	local before
	before=$(leases)
	njail --net bridge --ip 10.88.7.7 -- true
	[ "$status" -eq 125 ]
	[ "$output" = "cloison: address 10.88.7.7 is already used by another jail on cl-br0 (cloison pid ${BG[0]})" ]
	njail --net bridge --ip 10.99.0.5 -- true
	[ "$output" = "cloison: address 10.99.0.5 is outside cl-br0's subnet 10.88.0.0/16" ]
	njail --net bridge --ip 10.88.0.1 -- true
	[ "$output" = "cloison: address 10.88.0.1 is the bridge's address of 10.88.0.0/16" ]
	njail --net bridge --ip 10.88.255.255 -- true
	[ "$output" = "cloison: address 10.88.255.255 is the broadcast address of 10.88.0.0/16" ]
	njail --net bridge --ip 10.88.0.9/24 -- true
	[ "$output" = "cloison: --ip 10.88.0.9/24: the subnet of bridge cl-br0 is a /16" ]
	njail --net bridge --ip 10.88.0.300 -- true
	[ "$output" = "cloison: --ip: invalid address '10.88.0.300': expected an IPv4 ADDR[/PREFIX]" ]
	[ "$(leases)" = "$before" ]
	[ "$(run_dirs | wc -l)" -eq 1 ]
	[ "$(links | wc -w)" -eq 3 ] # lo, cl-br0 and the first jail's veth
}

@test "bad --net, --publish and friends are refused before anything is made" {
	local bad
	for bad in bogus bridge= "bridge=sixteen-chars-xy" bridge=a/b; do
		njail --net "$bad" -- true
		[ "$status" -eq 125 ] && [[ "$output" == "cloison: --net: invalid "* ]] || { echo "$bad: $output"; return 1; }
	done
	for bad in 80 0:80 80:0 70000:80 80:80/sctp a:80 :80:80 80:80: 80::80 1.2.3:80:80 \
		::1:80:80 '[::1]:80' '[::1]80:80' '[::1:80:80' '[1.2.3.4]:80:80' '[fe80::1%lo]:80:80' '[]:80:80'; do
		njail --net bridge --publish "$bad" -- true
		[ "$status" -eq 125 ] && [[ "$output" == "cloison: --publish: invalid port mapping '$bad'"* ]] ||
			{ echo "$bad: $output"; return 1; }
	done
	njail --net bridge --publish 80:80 --publish 80:81 -- true
	[ "$output" = "cloison: --publish: port 80/tcp is already published" ]
	njail --publish 80:80 -- true
	[ "$output" = "cloison: --ip, --subnet, --publish, --dns, --add-host and --no-egress need --net bridge" ]
	local many=() i
	for i in $(seq 65); do many+=(-p "$((10000 + i)):80"); done
	njail --net bridge "${many[@]}" -- true
	[ "$output" = "cloison: --publish: at most 64 ports can be published" ]
	njail --net host --ip 10.88.0.5 -- true
	[ "$status" -eq 125 ]
	njail --net bridge --subnet 10.1.2.3/16 -- true
	[[ "$output" == *"host bits are set (did you mean 10.1.0.0/16?)" ]]
	njail --net bridge --dns nowhere -- true
	[[ "$output" == *"invalid nameserver 'nowhere'"* ]]
	njail --net bridge --add-host db -- true
	[[ "$output" == *"invalid host entry 'db': expected NAME:ADDR" ]]
	njail --vm --net host -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--net host is not supported with --vm (a micro-VM has --net bridge"* ]]
	[ ! -e "$CLOISON_NET_DIR" ]
	[ "$(links)" = "lo " ]
}

@test "--dns, --add-host; without --dns the host's nameservers except loopback ones (under ip netns exec)" {
	mkdir -p "/etc/netns/$NS" # ip netns exec binds it over /etc/resolv.conf
	printf 'nameserver 127.0.0.53\nnameserver 192.0.2.7\nsearch example.test\n' >"/etc/netns/$NS/resolv.conf"
	# ip netns exec mounts a /sys of its own, without /sys/fs/cgroup: the
	# device allow-list cannot be installed, and cloison refuses unless told
	run ip netns exec "$NS" "$CLOISON" run --rootfs "$ROOTFS" --net bridge -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"no cgroup hierarchy is mounted here (\`ip netns exec\`"* ]]
	run ip netns exec "$NS" "$CLOISON" run --rootfs "$ROOTFS" --device-cgroup none --net bridge -- cat /etc/resolv.conf
	[ "$status" -eq 0 ]
	grep -qx 'nameserver 192.0.2.7' <<<"$output"
	grep -qx 'search example.test' <<<"$output"
	! grep 127.0.0.53 <<<"$output" || false
	njail --net bridge --dns 192.0.2.53 --dns 2001:db8::53 --add-host db:192.0.2.9 -- cat /etc/resolv.conf /etc/hosts
	[ "$status" -eq 0 ]
	grep -qx 'nameserver 192.0.2.53' <<<"$output"
	grep -qx 'nameserver 2001:db8::53' <<<"$output"
	! grep 192.0.2.7 <<<"$output" || false
	grep -qx '192.0.2.9	db' <<<"$output"
}

@test "--net bridge=NAME: an existing bridge's subnet is used, and gc leaves that bridge alone" {
	ns ip link add br-admin type bridge
	ns ip addr add 172.31.5.1/24 dev br-admin
	ns ip link set br-admin up
	njail --net bridge=br-admin -- sh -c 'ip -4 -o addr show eth0; ip route'
	[ "$status" -eq 0 ]
	[[ "$output" == *"inet 172.31.5.2/24"* ]]
	[[ "$output" == *"default via 172.31.5.1"* ]]
	run in_ns "$CLOISON" gc
	[ "$output" = "nothing to clean up" ]
	[ "$(links)" = "br-admin lo " ]
	# a bridge with no address cannot be used; a non-bridge neither
	ns ip link add br-bare type bridge
	njail --net bridge=br-bare -- true
	[ "$output" = "cloison: bridge br-bare has no IPv4 address (give it one, or use a bridge cloison creates)" ]
	njail --net bridge=lo -- true
	[ "$output" = "cloison: lo exists and is not a bridge" ]
}

@test "--subnet: a new bridge gets it; an existing bridge with another subnet is refused" {
	njail --net bridge=cl-test1 --subnet 10.77.0.0/24 -- sh -c 'ip -4 -o addr show eth0'
	[ "$status" -eq 0 ]
	[[ "$output" == *"inet 10.77.0.2/24"* ]]
	[ "$(ns ip -4 -o addr show cl-test1 | awk '{ print $4 }')" = 10.77.0.1/24 ]
	njail --net bridge=cl-test1 --subnet 10.78.0.0/24 -- true
	[ "$output" = "cloison: bridge cl-test1 already has 10.77.0.1/24, outside --subnet 10.78.0.0/24" ]
	run in_ns "$CLOISON" gc
	[ "$output" = "deleted bridge cl-test1 (unused)" ]
}

@test "leases are per network namespace: two outer namespaces both start at .2" {
	NS2=cltest-$$-${BATS_TEST_NUMBER}b
	ip netns add "$NS2"
	bg_jail "$BATS_TEST_TMPDIR/a" --net bridge -- sh -c 'ip -4 -o addr show eth0; echo up; exec sleep 60'
	wait_for "$BATS_TEST_TMPDIR/a" up
	run nsenter --net="/run/netns/$NS2" "$CLOISON" run --rootfs "$ROOTFS" --net bridge -- ip -4 -o addr show eth0
	[ "$status" -eq 0 ]
	[[ "$output" == *"inet 10.88.0.2/16"* ]]
	grep -q 'inet 10.88.0.2/16' "$BATS_TEST_TMPDIR/a"
	[ "$(leases | wc -l)" -eq 1 ]
	# gc in the other namespace keeps the live lease here
	run nsenter --net="/run/netns/$NS2" "$CLOISON" gc
	[ "$output" = "deleted bridge cl-br0 (unused)" ]
	[ "$(leases | wc -l)" -eq 1 ]
}

@test "--net bridge with --userns (as root): the jail configures eth0 in its own user namespace" {
	# its root is an unprivileged id on the host: the run directory it binds
	# from must be reachable (bats' own temporary directories are 0700)
	NETDIR=$(mktemp -d /run/cloison-nettest.XXXXXX)
	chmod 0711 "$NETDIR"
	export CLOISON_NET_DIR=$NETDIR/state
	njail --userns --net bridge -- sh -c 'ip -4 -o addr show eth0; cat /etc/hosts; ping -c1 -W2 10.88.0.1 >/dev/null && echo ping-ok'
	[ "$status" -eq 0 ]
	[[ "$output" == *"inet 10.88.0.2/16"* ]]
	[[ "$output" == *ping-ok* ]]
}

@test "hosts and resolv.conf symlinked out of the rootfs: refused, host files untouched, nothing left" {
	local root="$BATS_TEST_TMPDIR/root" f
	cp -a "$ROOTFS/." "$root"
	for f in resolv.conf hosts; do
		local before
		before=$(md5sum /etc/shadow /etc/passwd)
		rm -f "$root/etc/resolv.conf" "$root/etc/hosts"
		cp "$ROOTFS/etc/hosts" "$root/etc/hosts"
		cp "$ROOTFS/etc/resolv.conf" "$root/etc/resolv.conf"
		rm "$root/etc/$f"
		ln -s /etc/shadow "$root/etc/$f"
		run in_ns "$CLOISON" run --rootfs "$root" --net bridge -- cat /etc/$f
		[ "$status" -eq 125 ] || { echo "$f: $output"; return 1; }
		[[ "$output" == *"leaves the rootfs"* ]]
		ln -sf ../../../../../../../../etc/passwd "$root/etc/$f"
		run in_ns "$CLOISON" run --rootfs "$root" --net bridge -- cat /etc/$f
		[ "$status" -eq 125 ]
		[ "$before" = "$(md5sum /etc/shadow /etc/passwd)" ]
		[ "$(readlink "$root/etc/$f")" = ../../../../../../../../etc/passwd ]
		assert_clean
	done
}

@test "state files are 0644 whatever the umask" {
	(umask 000 && exec nsenter --net="/run/netns/$NS" "$CLOISON" run --rootfs "$ROOTFS" --net bridge \
		-- sh -c 'echo up; exec sleep 60') >"$BATS_TEST_TMPDIR/j" 2>&1 3>&- &
	BG+=($!)
	wait_for "$BATS_TEST_TMPDIR/j" up
	[ "$(stat -c %a "$CLOISON_NET_DIR/leases")" = 644 ]
	local d
	d=$(run_dirs)
	[ "$(stat -c %a "$d/hosts" "$d/resolv.conf" | sort -u)" = 644 ]
}

@test "--publish: the relay's descriptors are bounded; held connections do not stop it" {
	local j="$BATS_TEST_TMPDIR/j" relay
	export CLOISON_PUBLISH_RELAY=1
	bg_outer "$j" prlimit --nofile=256:256 "$CLOISON" run --rootfs "$ROOTFS" --net bridge --publish 8080:80 \
		-- clnet tcp-serve 80 from-jail
	wait_for "$j" ready
	relay=$(pgrep -P "${BG[0]}" -x cloison-publish)
	bg_outer "$BATS_TEST_TMPDIR/h" "$CLNET" conn-hold 127.0.0.1 8080 100
	wait_for "$BATS_TEST_TMPDIR/h" held
	# far from the limit, and not spinning
	[ "$(ls "/proc/$relay/fd" | wc -l)" -lt 100 ]
	local t0 t1
	t0=$(awk '{ print $14 + $15 }' "/proc/$relay/stat")
	sleep 1
	t1=$(awk '{ print $14 + $15 }' "/proc/$relay/stat")
	[ $((t1 - t0)) -lt 20 ]
	kill -9 "${BG[1]}"
	wait "${BG[1]}" || true
	# the relay sees the held connections close: new ones are served again
	wait_until 5 eval '[ "$(ns "$CLNET" tcp-send 127.0.0.1 8080 x)" = from-jail ]'
}

@test "--net bridge=NAME: a bridge whose subnet cannot hold jails (/0, /31) is refused" {
	ns ip link add br-zero type bridge
	ns ip addr add 10.0.0.1/0 dev br-zero
	njail --net bridge=br-zero -- true
	[ "$status" -eq 125 ]
	[ "$output" = "cloison: bridge br-zero's subnet 10.0.0.1/0 cannot hold jails (prefix 1-30)" ]
	ns ip link add br-p2p type bridge
	ns ip addr add 10.9.0.0/31 dev br-p2p
	njail --net bridge=br-p2p -- true
	[ "$output" = "cloison: bridge br-p2p's subnet 10.9.0.0/31 cannot hold jails (prefix 1-30)" ]
	[ -z "$(leases)" ] && [ -z "$(run_dirs)" ]
}

# --- IPv6 (ULA prefix on the bridge, addresses derived from the IPv4 lease) ---

# the bridge's global IPv6 address, e.g. fd12:3456:789a::1/64 ("" if none)
bridge6() { ns ip -6 -o addr show dev "${1:-cl-br0}" scope global | awk '{ print $4 }'; }
# its prefix as written before the host part: "fd12:3456:789a::" for ...::1/64
# (the host parts 1, 2, a, 107 all follow a "::" when the low 64 bits are
# 0:0:0:HOST, whatever zeros the global ID holds)
prefix6() { local b; b=$(bridge6 "$@") && [[ "$b" == *::1/64 ]] && echo "${b%1/64}"; }

@test "IPv6: the bridge gets a ULA /64, kept; each jail an address from its IPv4 lease, a default route, /etc/hosts" {
	njail --net bridge --hostname web -- sh -c 'ip -6 -o addr show eth0 scope global; ip -6 route; cat /etc/hosts'
	[ "$status" -eq 0 ]
	local p
	p=$(prefix6)
	[[ "$p" =~ ^fd[0-9a-f]{2}(:[0-9a-f]{1,4})*::$ ]] || { echo "bridge: $(bridge6)"; return 1; }
	# usable at once: no duplicate address detection, never tentative
	ns ip -6 -o addr show dev cl-br0 scope global | grep -q nodad
	[[ "$output" == *"inet6 ${p}2/64 scope global"* ]]
	[[ "$output" != *tentative* ]]
	[[ "$output" == *"default via ${p}1 dev eth0"* ]]
	grep -qx "10.88.0.2	web" <<<"$output"
	grep -qx "${p}2	web" <<<"$output"
	# the prefix stays on the bridge: read back by the next run, not picked again
	njail --net bridge --ip 10.88.1.7 -- ip -6 -o addr show eth0 scope global
	[ "$status" -eq 0 ]
	[[ "$output" == *"inet6 ${p}107/64 scope global"* ]]
	[ "$(bridge6)" = "${p}1/64" ]
	assert_clean
	# gc takes the bridge, and its prefix with it
	run in_ns "$CLOISON" gc
	[ "$output" = "deleted bridge cl-br0 (unused)" ]
	[ "$(links)" = "lo " ]
}

@test "IPv6: two jails reach each other (ping6, TCP) and the outer namespace on the bridge's address" {
	local a="$BATS_TEST_TMPDIR/a" p
	bg_jail "$a" --net bridge --ip 10.88.0.10 -- clnet tcp-serve '[::]:8080' from-a
	wait_for "$a" ready
	p=$(prefix6)
	[ -n "$p" ]
	bg_outer "$BATS_TEST_TMPDIR/srv" "$CLNET" tcp-serve '[::]:7000' from-outer
	wait_for "$BATS_TEST_TMPDIR/srv" ready
	njail --net bridge -- sh -c "ping6 -c1 -W2 ${p}a >/dev/null && echo ping-jail-ok
		ping6 -c1 -W2 ${p}1 >/dev/null && echo ping-bridge-ok
		clnet tcp-send ${p}a 8080 x; clnet tcp-send ${p}1 7000 x"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = ping-jail-ok ]
	[ "${lines[1]}" = ping-bridge-ok ]
	[ "${lines[2]}" = from-a ]
	[ "${lines[3]}" = from-outer ]
	# and the outer namespace reaches the jail's IPv6 address
	run ns "$CLNET" tcp-send "${p}a" 8080 x
	[ "$output" = from-a ]
}

@test "IPv6 --publish: answers on [::1] and the outer namespace's IPv6 addresses; [::1]:PORT only there" {
	local j="$BATS_TEST_TMPDIR/j" addr p pid relay
	ns ip addr add 2001:db8::1/128 dev lo nodad # an IPv6 address of the outer namespace's own
	bg_jail "$j" --net bridge -p 8080:80 -p '[::1]:8081:80' -p 127.0.0.1:8082:80 -p 9090:9000/udp -- \
		sh -c 'clnet udp-echo 9000 2 & clnet tcp-serve 80 from-jail'
	wait_for "$j" ready
	p=$(prefix6)
	for addr in ::1 2001:db8::1 "${p}1" 127.0.0.1; do
		run ns "$CLNET" tcp-send "$addr" 8080 x
		[ "$status" -eq 0 ] && [ "$output" = from-jail ] || { echo "$addr: $output"; return 1; }
	done
	run ns "$CLNET" tcp-send ::1 8081 x
	[ "$output" = from-jail ]
	for addr in 127.0.0.1 2001:db8::1; do
		run ns "$CLNET" tcp-send "$addr" 8081 x
		[ "$status" -ne 0 ] || { echo "8081 answered on $addr"; return 1; }
	done
	run ns "$CLNET" tcp-send ::1 8082 x
	[ "$status" -ne 0 ]
	run ns "$CLNET" udp-send ::1 9090 ping-udp6
	[ "$output" = ping-udp6 ]
	run ns "$CLNET" udp-send 2001:db8::1 9090 ping-again
	[ "$output" = ping-again ]
	# IPv4: DNAT (TCP ports held, not listening; UDP held); IPv6: the relay
	[ "$(listening | sort | tr '\n' ' ')" = "0.0.0.0:9090 [::1]:8081 [::]:8080 [::]:9090 " ]
	# kill -9: the IPv6 listeners go with the relay, the veth with the jail
	pid=${BG[0]}
	relay=$(pgrep -P "$pid" -x cloison-publish)
	kill -9 "$pid"
	wait "$pid" || true
	BG=()
	wait_until 5 eval '[ -z "$(listening)" ] && [ "$(links)" = "cl-br0 lo " ] && [ ! -e /proc/$relay ]'
	run in_ns "$CLOISON" gc
	[ "${lines[1]}" = "deleted bridge cl-br0 (unused)" ]
	[ "$(links)" = "lo " ]
}

@test "--no-ipv6 (flag and profile line): IPv4 only; the bridge has its prefix, a later jail gets IPv6" {
	njail --net bridge --no-ipv6 -- sh -c 'ip -6 -o addr show eth0 scope global; ip -6 route; cat /etc/hosts'
	[ "$status" -eq 0 ]
	[[ "$output" != *"scope global"* ]]
	[[ "$output" != *default* ]]
	[ "$(grep -c cloison <<<"$output")" -eq 1 ] # hosts: 10.88.0.2 only
	[ -n "$(prefix6)" ] # the bridge's, not the jail's
	printf 'net bridge\nno-ipv6\n' >"$BATS_TEST_TMPDIR/v4.profile"
	njail --profile "$BATS_TEST_TMPDIR/v4.profile" -- ip -6 -o addr show eth0 scope global
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run "$CLOISON" profile show "$BATS_TEST_TMPDIR/v4.profile"
	grep -qx no-ipv6 <<<"$output"
	njail --net bridge -- ip -6 -o addr show eth0 scope global
	[[ "$output" == *"inet6 $(prefix6)2/64"* ]]
	njail --no-ipv6 -- true
	[ "$status" -eq 125 ]
	[ "$output" = "cloison: --no-ipv6 needs --net bridge" ]
	assert_clean
}

@test "IPv6 disabled in the namespace: jails get IPv4 only, published ports answer, nothing fails" {
	ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	local j="$BATS_TEST_TMPDIR/j"
	bg_jail "$j" --net bridge -p 8080:80 -- sh -c 'echo "global: $(ip -6 -o addr show eth0 scope global | wc -l)"
		echo "default: $(ip -6 route | grep -c default)"; echo "hosts: $(grep -c . /etc/hosts)"
		exec clnet tcp-serve 80 from-jail'
	wait_for "$j" ready
	# no warning, no IPv6 address or route; hosts: localhost, ::1, 10.88.0.2
	[ "$(cat "$j")" = "$(printf 'global: 0\ndefault: 0\nhosts: 3\nready')" ] || { cat "$j"; return 1; }
	run ns "$CLNET" tcp-send 127.0.0.1 8080 x
	[ "$output" = from-jail ]
	[ -z "$(bridge6)" ]
	kill -9 "${BG[0]}"
	wait "${BG[0]}" || true
	BG=()
	wait_until 5 eval '[ "$(links)" = "cl-br0 lo " ]'
	# IPv6 back on: cloison's bridge gets its prefix with the next jail
	ns sysctl -qw net.ipv6.conf.all.disable_ipv6=0
	njail --net bridge -- ip -6 -o addr show eth0 scope global
	[ "$status" -eq 0 ]
	[[ "$output" == *"inet6 $(prefix6)2/64"* ]]
	assert_clean
}

@test "IPv6 on an administrator's bridge: its prefix is used; none, or one too long, means IPv4 only" {
	ns ip link add br-admin type bridge
	ns ip addr add 172.31.5.1/24 dev br-admin
	ns ip link set br-admin up
	njail --net bridge=br-admin -- ip -6 -o addr show eth0 scope global
	[ "$status" -eq 0 ]
	[ -z "$output" ] # IPv4 only: cloison adds no prefix to a bridge not its own
	ns ip addr add 2001:db8:5::1/64 dev br-admin nodad
	njail --net bridge=br-admin --ip 172.31.5.9 -- sh -c 'ip -6 -o addr show eth0 scope global; ip -6 route'
	[ "$status" -eq 0 ]
	[[ "$output" == *"inet6 2001:db8:5::9/64 scope global"* ]]
	[[ "$output" == *"default via 2001:db8:5::1 dev eth0"* ]]
	ns ip link add br-long type bridge
	ns ip addr add 172.31.6.1/24 dev br-long
	ns ip addr add 2001:db8:6::1/120 dev br-long nodad
	ns ip link set br-long up
	njail --net bridge=br-long -- ip -6 -o addr show eth0 scope global
	[ "$status" -eq 0 ]
	[ "$output" = "cloison: warning: bridge br-long's IPv6 subnet 2001:db8:6::1/120 is longer than a /96: the jail gets IPv4 only" ]
	[ "$(links)" = "br-admin br-long lo " ]
}

@test "IPv6 --publish: a port in use is refused naming the IPv6 address, and leaves nothing behind" {
	bg_outer "$BATS_TEST_TMPDIR/srv" "$CLNET" tcp-serve '[::]:8080'
	wait_for "$BATS_TEST_TMPDIR/srv" ready
	njail --net bridge --publish '[::1]:8080:80' -- true
	[ "$status" -eq 125 ]
	[ "$output" = "cloison: cannot publish port [::1]:8080/tcp: Address already in use" ]
	[ -z "$(leases)" ] && [ -z "$(run_dirs)" ]
	[ "$(links)" = "cl-br0 lo " ]
	[ "$(listening)" = "*:8080" ]
}
