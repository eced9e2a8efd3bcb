#!/usr/bin/env bats
# Egress and published ports in the kernel (nftables, table inet cloison):
# the masquerade a bridge gets with its first jail and loses with its last,
# --no-egress, --publish by DNAT (loopback, the host's addresses, hairpin,
# UDP), clean-up after kill -9 by the next run and by cloison gc.
#
# Every test makes two network namespaces: "host" (where cloison runs and
# makes its bridge and rules) and "outside" (standing in for the internet),
# joined by a veth: host 198.51.100.1/24, outside 198.51.100.2/24.  The
# outside has no route to the jails' subnet, so a jail reaches it only
# through the NAT.  Only addresses inside these namespaces are used; rules
# are listed with nft inside "host".

bats_require_minimum_version 1.5.0
load helpers

CLNET="$ROOTFS/usr/bin/clnet"
HOST_ADDR=198.51.100.1
OUT_ADDR=198.51.100.2

setup() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	[ -x "$CLNET" ] || {
		echo "$CLNET is missing: make test-artifacts" >&2
		return 1
	}
	command -v nft >/dev/null || {
		echo "nft is missing (Debian package nftables: make deps-test)" >&2
		return 1
	}
	NS=cltnat-$$-$BATS_TEST_NUMBER
	OUT=cltout-$$-$BATS_TEST_NUMBER
	BG=()
	ip netns add "$NS"
	ip netns add "$OUT"
	ip netns exec "$NS" ip link set lo up
	ip netns exec "$OUT" ip link set lo up
	ip link add "clh$$" netns "$NS" type veth peer name "clo$$" netns "$OUT"
	ip netns exec "$NS" ip addr add "$HOST_ADDR/24" dev "clh$$"
	ip netns exec "$NS" ip link set "clh$$" up
	ip netns exec "$OUT" ip addr add "$OUT_ADDR/24" dev "clo$$"
	ip netns exec "$OUT" ip link set "clo$$" up
	export CLOISON_NET_DIR="$BATS_TEST_TMPDIR/state"
}

teardown() {
	local p
	for p in "${BG[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	for p in "${BG[@]}"; do wait "$p" 2>/dev/null || true; done
	ip netns del "$NS" 2>/dev/null || true
	ip netns del "$OUT" 2>/dev/null || true
}

ns() { ip netns exec "$NS" "$@"; }
outside() { ip netns exec "$OUT" "$@"; }
in_ns() { nsenter --net="/run/netns/$NS" "$@"; }
njail() { run in_ns "$CLOISON" run --rootfs "$ROOTFS" "$@"; }
bg_jail() {
	local out=$1
	shift
	# nsenter directly (not in_ns, a function: its subshell would be $!)
	nsenter --net="/run/netns/$NS" "$CLOISON" run --rootfs "$ROOTFS" "$@" >"$out" 2>&1 3>&- &
	BG+=($!)
}
# bg_outside OUT CMD...: a server in the outside namespace
bg_outside() {
	local out=$1
	shift
	nsenter --net="/run/netns/$OUT" "$@" >"$out" 2>&1 3>&- &
	BG+=($!)
}
wait_for() {
	wait_until 5 grep -q -- "$2" "$1" || { echo "no '$2' in $1:"; cat "$1"; return 1; }
}
# relay_ipv6_only PID: cloison PID's relay listens on IPv6 addresses only
relay_ipv6_only() {
	local relay
	relay=$(pgrep -P "$1" -x cloison-publish)
	[ -n "$relay" ] && [ -z "$(ns ss -Hltnup | grep "pid=$relay," | awk '$5 !~ /^\[/')" ]
}
chains() { ns nft list table inet cloison 2>/dev/null | awk '$1 == "chain" { print $2 }' | sort | tr '\n' ' '; }
# kill9 PID: SIGKILL to a background cloison whose jail runs sleep; until
# the jail, its veth and its cgroup (the guardian's work) are gone
kill9() {
	local jail cg
	jail=$(pgrep -P "$1" -x sleep)
	cg=$(awk -F: '$3 ~ /cloison\// { n = split($3, p, "/"); print p[n]; exit }' "/proc/$jail/cgroup")
	kill -9 "$1"
	wait "$1" || true
	BG=()
	wait_until 5 eval '! ns ip link show "clv$1" >/dev/null 2>&1 && [ ! -e "/proc/$jail" ]'
	[ -z "$cg" ] || wait_until 5 eval '[ -z "$(find /sys/fs/cgroup -maxdepth 4 -type d -name "$cg")" ]'
}
start_of() { awk '{ print $22 }' "/proc/$1/stat"; }
# the outside's server, answering each connection with the client's address
serve_outside() {
	bg_outside "$BATS_TEST_TMPDIR/srv" "$CLNET" tcp-serve 7000 @peer
	wait_for "$BATS_TEST_TMPDIR/srv" ready
}

@test "egress: a bridged jail reaches the outside only through the masquerade" {
	serve_outside
	# no NAT, no way: the outside has no route back to the jails' subnet
	run outside ip route get 10.88.0.2
	[ "$status" -ne 0 ]
	njail --net bridge -- sh -c 'clnet tcp-send 198.51.100.2 7000 x; ip -4 -o addr show eth0'
	[ "$status" -eq 0 ]
	# the server saw the host namespace's address, not the jail's
	[ "${lines[0]}" = "$HOST_ADDR" ]
	[[ "${lines[1]}" == *"inet 10.88.0.2/16"* ]]
	# forwarding was turned on in the host namespace, and the rules went
	# with the jail
	[ "$(ns cat /proc/sys/net/ipv4/ip_forward)" = 1 ]
	[ -z "$(ns nft list tables)" ]
}

@test "egress: the masquerade is made with the bridge's first jail and removed with its last" {
	local a="$BATS_TEST_TMPDIR/a"
	serve_outside
	bg_jail "$a" --net bridge --init -- sh -c 'echo up; exec sleep 30'
	wait_for "$a" up
	[ "$(chains)" = "br-cl-br0-fwd4 br-cl-br0-fwd6 br-cl-br0-guard4 br-cl-br0-nat4 br-cl-br0-nat6 " ]
	run ns nft list chain inet cloison br-cl-br0-nat4
	[[ "$output" == *'ip saddr 10.88.0.0/16 oifname != "cl-br0" masquerade'* ]]
	[[ "$output" == *"hook postrouting priority srcnat"* ]]
	run ns nft list chain inet cloison br-cl-br0-guard4
	[[ "$output" == *'iifname "cl-br0" ip daddr 127.0.0.0/8 drop'* ]]
	[[ "$output" == *'iifname "cl-br0" ip saddr 127.0.0.0/8 drop'* ]]
	[ "$(ns cat /proc/sys/net/ipv4/conf/cl-br0/route_localnet)" = 1 ]
	# a second jail comes and goes: the first one's NAT stays
	njail --net bridge -- clnet tcp-send "$OUT_ADDR" 7000 x
	[ "$output" = "$HOST_ADDR" ]
	[ "$(chains)" = "br-cl-br0-fwd4 br-cl-br0-fwd6 br-cl-br0-guard4 br-cl-br0-nat4 br-cl-br0-nat6 " ]
	kill "${BG[1]}"
	wait "${BG[1]}" || true
	BG=("${BG[0]}")
	[ -z "$(ns nft list tables)" ]
	[ "$(ns cat /proc/sys/net/ipv4/conf/cl-br0/route_localnet)" = 0 ]
}

@test "--no-egress: on the bridge but not beyond it; its rule goes with it" {
	local a="$BATS_TEST_TMPDIR/a"
	serve_outside
	bg_jail "$a" --net bridge --no-egress --ip 10.88.0.9 -- sh -c 'echo up; exec sleep 30'
	wait_for "$a" up
	[[ "$(chains)" == *"jail-${BG[1]}-$(start_of "${BG[1]}")-fwd "* ]]
	run ns nft list chain inet cloison "jail-${BG[1]}-$(start_of "${BG[1]}")-fwd"
	[[ "$output" == *'ip saddr 10.88.0.9 oifname != "cl-br0" ct direction original reject'* ]]
	njail --net bridge --no-egress -- sh -c 'clnet tcp-send 198.51.100.2 7000 x 2>&1; echo "rc=$?"
		ping -c1 -W2 10.88.0.1 >/dev/null && echo bridge-ok; ping -c1 -W2 10.88.0.9 >/dev/null && echo jail-ok'
	[ "$status" -eq 0 ]
	[[ "$output" == *"connect: No route to host"* ]]
	[[ "$output" == *"rc=1"* ]]
	[[ "$output" == *bridge-ok* ]]
	[[ "$output" == *jail-ok* ]]
	[[ "$output" != *"$HOST_ADDR"* ]]
	# a jail without --no-egress on the same bridge still gets out
	njail --net bridge -- clnet tcp-send "$OUT_ADDR" 7000 x
	[ "$output" = "$HOST_ADDR" ]
	# the first jail's own rules, not the bridge's, went with the second
	local me="jail-${BG[1]}-$(start_of "${BG[1]}")"
	[ "$(chains)" = "br-cl-br0-fwd4 br-cl-br0-fwd6 br-cl-br0-guard4 br-cl-br0-nat4 br-cl-br0-nat6 $me-fwd $me-in " ]
	# a forged source address (one it added itself: NET_ADMIN) is dropped
	# at its port before the egress rule could miss it
	run ns nft list chain inet cloison "$me-in"
	[[ "$output" == *"hook ingress device \"clv${BG[1]}\""* ]]
	[[ "$output" == *'ip saddr != 10.88.0.9 drop'* ]]
	njail --net bridge --no-egress --cap-add NET_ADMIN -- sh -c 'ip addr add 10.88.0.250/16 dev eth0
		ip route replace default via 10.88.0.1 src 10.88.0.250
		timeout 5 clnet tcp-send 198.51.100.2 7000 x 2>&1; echo "rc=$?"'
	echo "$output"
	[[ "$output" == *rc=* && "$output" != *rc=0* ]] # dropped: no answer, cut at 5 s
	[[ "$output" != *"$HOST_ADDR"* ]]
	# the same without --no-egress gets out (the forgery is what was stopped)
	njail --net bridge --cap-add NET_ADMIN -- sh -c 'ip addr add 10.88.0.251/16 dev eth0
		ip route replace default via 10.88.0.1 src 10.88.0.251
		clnet tcp-send 198.51.100.2 7000 x 2>&1; echo "rc=$?"'
	[[ "$output" == *"$HOST_ADDR"* ]]
}

@test "forwarding on: the outside reaches a jail only through its published ports" {
	local a="$BATS_TEST_TMPDIR/a"
	# an outside that routes the jails' subnet through this host
	outside ip route add 10.88.0.0/16 via "$HOST_ADDR"
	bg_jail "$a" --net bridge --ip 10.88.0.9 -p 8080:80 -- sh -c 'clnet tcp-serve 81 unpublished & clnet tcp-serve 80 published'
	wait_for "$a" ready
	run ns nft list chain inet cloison br-cl-br0-fwd4
	[[ "$output" == *'oifname "cl-br0" iifname != "cl-br0" ct direction original ct status ! dnat drop'* ]]
	run outside timeout 5 "$CLNET" tcp-send 10.88.0.9 81 x
	[ "$status" -ne 0 ]
	run outside timeout 5 "$CLNET" tcp-send 10.88.0.9 80 x
	[ "$status" -ne 0 ]
	run outside timeout 5 "$CLNET" tcp-send "$HOST_ADDR" 8080 x
	[ "$status" -eq 0 ] && [ "$output" = published ]
}

@test "--no-egress as a profile line; bad values and modes are refused, nothing made" {
	printf 'net bridge\nno-egress\n' >"$BATS_TEST_TMPDIR/p.profile"
	serve_outside
	njail --profile "$BATS_TEST_TMPDIR/p.profile" -- clnet tcp-send "$OUT_ADDR" 7000 x
	[ "$status" -ne 0 ]
	[[ "$output" == *"No route to host"* ]]
	run "$CLOISON" profile show "$BATS_TEST_TMPDIR/p.profile"
	grep -qx 'no-egress' <<<"$output"
	printf 'net bridge\nno-egress maybe\n' >"$BATS_TEST_TMPDIR/bad.profile"
	njail --profile "$BATS_TEST_TMPDIR/bad.profile" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"bad.profile:2"*"invalid value 'maybe': expected true or false"* ]]
	njail --no-egress -- true
	[ "$status" -eq 125 ]
	[ "$output" = "cloison: --ip, --subnet, --publish, --dns, --add-host and --no-egress need --net bridge" ]
	njail --net host --no-egress -- true
	[ "$status" -eq 125 ]
	[ -z "$(ns nft list tables)" ]
	[ ! -e "$CLOISON_NET_DIR/leases" ] || [ -z "$(cat "$CLOISON_NET_DIR/leases")" ]
}

@test "--publish by DNAT: from the outside, from this host (127.0.0.1, its addresses), hairpin, UDP" {
	local j="$BATS_TEST_TMPDIR/j"
	bg_jail "$j" --net bridge --ip 10.88.0.5 -p 8080:80 -p 9090:9000/udp -- \
		sh -c 'clnet udp-echo 9000 1 & clnet tcp-serve 80 @peer'
	wait_for "$j" ready
	# the outside reaches the jail, which sees the outside's own address
	run outside "$CLNET" tcp-send "$HOST_ADDR" 8080 x
	[ "$output" = "$OUT_ADDR" ]
	# this host: loopback (route_localnet, masqueraded to the bridge's
	# address) and its own addresses
	run ns "$CLNET" tcp-send 127.0.0.1 8080 x
	[ "$output" = 10.88.0.1 ]
	run ns "$CLNET" tcp-send "$HOST_ADDR" 8080 x
	[ "$output" = "$HOST_ADDR" ]
	run ns "$CLNET" tcp-send 10.88.0.1 8080 x
	[ "$status" -eq 0 ]
	# another jail reaches it through the host's addresses (masqueraded)
	njail --net bridge -- sh -c 'clnet tcp-send 198.51.100.1 8080 x; clnet tcp-send 10.88.0.1 8080 x'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 10.88.0.1 ] && [ "${lines[1]}" = 10.88.0.1 ]
	# UDP from the outside
	run outside "$CLNET" udp-send "$HOST_ADDR" 9090 ping-udp
	[ "$output" = ping-udp ]
	# no relay for IPv4 (it serves the IPv6 side only), and the port is
	# held: nobody else can bind it
	relay_ipv6_only "${BG[0]}"
	run ns python3 -c 'import socket; socket.socket().bind(("0.0.0.0", 8080))'
	[ "$status" -ne 0 ]
	[[ "$output" == *"Address already in use"* ]]
}

@test "--publish by DNAT: a jail reaches its own published port (hairpin)" {
	local j="$BATS_TEST_TMPDIR/j"
	bg_jail "$j" --net bridge -p 8080:80 --tmpfs /tmp -- sh -c 'clnet tcp-serve 80 @peer >/tmp/srv &
		i=0; until grep -q ready /tmp/srv || [ $i -ge 100 ]; do sleep 0.05; i=$((i + 1)); done
		clnet tcp-send 198.51.100.1 8080 x; clnet tcp-send 10.88.0.1 8080 x; echo done'
	wait_for "$j" done
	# it sees itself come from the bridge's address (masqueraded), not from
	# its own address (which would answer itself directly)
	[ "$(grep -c '^10.88.0.1$' "$j")" -eq 2 ] || { cat "$j"; return 1; }
}

@test "--publish by DNAT: a jail's rules and held ports go with it" {
	local j="$BATS_TEST_TMPDIR/j" c
	bg_jail "$j" --net bridge --init -p 8080:80 -p 127.0.0.1:8081:81/udp -- sh -c 'echo up; exec sleep 30'
	wait_for "$j" up
	c="jail-${BG[0]}-$(start_of "${BG[0]}")"
	[[ "$(chains)" == *"$c-out $c-pre "* ]] || { echo "$c: $(chains)"; return 1; }
	run ns nft list chain inet cloison "$c-pre"
	[[ "$output" == *"fib daddr type local tcp dport 8080 dnat ip to 10.88.0.2:80"* ]]
	[[ "$output" == *"ip daddr 127.0.0.1 udp dport 8081 dnat ip to 10.88.0.2:81"* ]]
	run ns python3 -c 'import socket; socket.socket(type=socket.SOCK_DGRAM).bind(("127.0.0.1", 8081))'
	[[ "$output" == *"Address already in use"* ]]
	kill "${BG[0]}"
	wait "${BG[0]}" || true
	BG=()
	[ -z "$(ns nft list tables)" ]
	ns python3 -c 'import socket; socket.socket().bind(("0.0.0.0", 8080)); socket.socket(type=socket.SOCK_DGRAM).bind(("127.0.0.1", 8081))'
}

@test "after kill -9: the rules stay until the next run or gc removes them" {
	local j="$BATS_TEST_TMPDIR/j" pid c
	bg_jail "$j" --net bridge --no-egress -p 8080:80 -- sh -c 'echo up; exec sleep 60'
	wait_for "$j" up
	pid=${BG[0]}
	c="jail-$pid-$(start_of "$pid")"
	kill9 "$pid"
	[ "$(chains)" = "br-cl-br0-fwd4 br-cl-br0-fwd6 br-cl-br0-guard4 br-cl-br0-nat4 br-cl-br0-nat6 $c-fwd $c-in $c-out $c-pre " ]
	run in_ns "$CLOISON" gc --dry-run
	[ "$status" -eq 0 ]
	grep -qx "would remove nftables chain $c-pre" <<<"$output"
	grep -qx "would remove nftables chain br-cl-br0-nat4" <<<"$output"
	[ "$(chains)" = "br-cl-br0-fwd4 br-cl-br0-fwd6 br-cl-br0-guard4 br-cl-br0-nat4 br-cl-br0-nat6 $c-fwd $c-in $c-out $c-pre " ]
	run in_ns "$CLOISON" gc
	[ "$status" -eq 0 ]
	for x in br-cl-br0-guard4 br-cl-br0-nat4 "$c-fwd" "$c-in" "$c-out" "$c-pre"; do
		grep -qx "removed nftables chain $x" <<<"$output" || { echo "$output"; return 1; }
	done
	[ -z "$(ns nft list tables)" ]
	# the guard gone, route_localnet with it (if gc left the bridge)
	[ ! -e /run/netns/"$NS" ] || ! ns test -e /proc/sys/net/ipv4/conf/cl-br0 ||
		[ "$(ns cat /proc/sys/net/ipv4/conf/cl-br0/route_localnet)" = 0 ]
	run in_ns "$CLOISON" gc
	[ "$output" = "nothing to clean up" ]
	# the same kill, then a new run (no gc): it sweeps the dead jail's rules
	bg_jail "$j.2" --net bridge --no-egress -p 8080:80 -- sh -c 'echo up; exec sleep 60'
	wait_for "$j.2" up
	pid=${BG[0]}
	c="jail-$pid-$(start_of "$pid")"
	kill9 "$pid"
	[[ "$(chains)" == *"$c-pre"* ]]
	njail --net bridge -- true
	[ "$status" -eq 0 ]
	[ -z "$(ns nft list tables)" ] || { ns nft list ruleset; return 1; }
}

@test "egress over IPv6: the bridge's ULA prefix is masqueraded (NAT66) with its first jail, removed with its last" {
	ns ip addr add 2001:db8:100::1/64 dev "clh$$" nodad
	outside ip addr add 2001:db8:100::2/64 dev "clo$$" nodad
	bg_outside "$BATS_TEST_TMPDIR/srv" "$CLNET" tcp-serve '[::]:7000' @peer
	wait_for "$BATS_TEST_TMPDIR/srv" ready
	# the outside has no route back to the bridge's ULA prefix: only the NAT
	njail --net bridge -- clnet tcp-send 2001:db8:100::2 7000 x
	[ "$status" -eq 0 ]
	[ "$output" = 2001:db8:100::1 ]
	[ -z "$(chains)" ]
	local a="$BATS_TEST_TMPDIR/a"
	bg_jail "$a" --net bridge -- sh -c 'echo up; exec sleep 30'
	wait_for "$a" up
	run ns nft list chain inet cloison br-cl-br0-nat6
	[[ "$output" == *"ip6 saddr fd"*'::/64 oifname != "cl-br0" masquerade'* ]]
	[ "$(ns cat /proc/sys/net/ipv6/conf/all/forwarding)" = 1 ]
	# --no-ipv6: no IPv6 address, so nothing to masquerade for it
	njail --net bridge --no-ipv6 -- clnet tcp-send 2001:db8:100::2 7000 x
	[ "$status" -ne 0 ]
	# --no-egress keeps the jail off the outside over IPv6 too
	njail --net bridge --no-egress -- clnet tcp-send 2001:db8:100::2 7000 x
	[ "$status" -ne 0 ]
	njail --net bridge -- clnet tcp-send 2001:db8:100::2 7000 x
	[ "$status" -eq 0 ]
}

@test "nftables refused (a table inet cloison another process owns): -p falls back to the relay with a warning, --no-egress fails closed" {
	local fifo="$BATS_TEST_TMPDIR/nft.in" j="$BATS_TEST_TMPDIR/j"
	# an interactive nft holds the table: "flags owner" refuses every other
	# process's change to it, and it goes when that nft exits
	mkfifo "$fifo"
	nsenter --net="/run/netns/$NS" nft -i <"$fifo" >"$BATS_TEST_TMPDIR/nft.out" 2>&1 3>&- &
	BG+=($!)
	exec 7>"$fifo"
	echo 'add table inet cloison { flags owner; }' >&7
	wait_until 5 eval '[ -n "$(ns nft list tables)" ]'
	bg_jail "$j" --net bridge --init -p 8080:80 -- clnet tcp-serve 80 from-jail
	wait_for "$j" ready
	grep -qx "cloison: warning: cannot set up NAT (nftables) for bridge cl-br0: Operation not permitted: jails on cl-br0 reach only this host" "$j"
	grep -qx "cloison: warning: cannot set up the nftables rules of jail 10.88.0.2 (--publish): Operation not permitted; the published ports go through the userspace relay instead" "$j"
	[ -n "$(pgrep -P "${BG[1]}" -x cloison-publish)" ]
	run ns "$CLNET" tcp-send 127.0.0.1 8080 x
	[ "$output" = from-jail ]
	njail --net bridge --no-egress -- echo must-not-run
	[ "$status" -eq 125 ]
	[[ "$output" == *"cloison: cannot set up the nftables rules of jail 10.88.0.3 (--no-egress): Operation not permitted" ]]
	[[ "$output" != *must-not-run* ]]
	exec 7>&-
	kill "${BG[1]}"
	wait "${BG[1]}" || true
	wait "${BG[0]}" || true
	BG=()
	[ -z "$(ns nft list tables)" ]
	[ -z "$(cat "$CLOISON_NET_DIR/leases")" ]
}
