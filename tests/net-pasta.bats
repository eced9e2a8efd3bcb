#!/usr/bin/env bats
# --net pasta: user-mode networking by pasta (Debian's passt), as root and
# as an ordinary user; a rootless --net bridge chooses it with a note.
#
# Every test runs cloison in an outer network namespace it creates (ip netns
# add) standing in for the host: pasta's sockets, the published ports and
# only addresses inside the test's namespaces are used.  The outer namespace
# has a veth with 192.0.2.1/24 (the address pasta copies to the jail's eth0)
# and a default route through 192.0.2.2, which pasta needs to pick its
# interface; 192.0.2.2 is the veth's peer in a second namespace, the
# "internet", where the egress tests' server listens (pasta's sockets are
# bound to the outer namespace's default-route interface).  Egress is tested
# with UDP: Debian 12's pasta (0.0~git20230309) segfaults on this host's
# kernel (6.18) when a TCP connection it opened for the jail completes
# (tcp_connect_finish, the SYN-ACK toward the tap), seen without cloison
# too; TCP through the published ports (pasta's splice path) works.  pasta is found by
# the jail's own network namespace (any process still in it after the jail
# is a leak) and by cloison's child that keeps it, never by name.

bats_require_minimum_version 1.5.0
load helpers

CLNET="$ROOTFS/usr/bin/clnet" # static: runs outside the jail too

setup() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	command -v pasta >/dev/null || {
		echo "pasta is missing: apt-get install passt (make deps-test)" >&2
		return 1
	}
	NS=cltest-pasta-$$-$BATS_TEST_NUMBER
	BG=()
	USERDIR=
	ip netns add "$NS"
	ip netns add "$NS-out"
	ns ip link set lo up
	ns ip link add cl-up0 type veth peer name cl-up1 netns "$NS-out"
	ns ip addr add 192.0.2.1/24 dev cl-up0
	ns ip link set cl-up0 up
	ns ip route add default via 192.0.2.2
	ip netns exec "$NS-out" ip addr add 192.0.2.2/24 dev cl-up1
	ip netns exec "$NS-out" ip link set cl-up1 up
}

teardown() {
	local p
	for p in "${BG[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	for p in "${BG[@]}"; do wait "$p" 2>/dev/null || true; done
	ip netns del "$NS" 2>/dev/null || true
	ip netns del "$NS-out" 2>/dev/null || true
	[ -z "$USERDIR" ] || rm -rf "$USERDIR"
	userdel cltest-pasta 2>/dev/null || true
}

ns() { ip netns exec "$NS" "$@"; }
# bg_jail OUT [OPTIONS] -- CMD...: cloison in the outer namespace, in the
# background (fd 3 closed: bats waits for it), its pid in BG
bg_jail() {
	local out=$1
	shift
	nsenter --net="/run/netns/$NS" "$CLOISON" run --rootfs "$ROOTFS" "$@" >"$out" 2>&1 3>&- &
	BG+=($!)
}
bg_outer() {
	local out=$1
	shift
	nsenter --net="/run/netns/$NS" "$@" >"$out" 2>&1 3>&- &
	BG+=($!)
}
# bg_internet OUT CMD...: CMD in the background beyond the outer namespace
bg_internet() {
	local out=$1
	shift
	nsenter --net="/run/netns/$NS-out" "$@" >"$out" 2>&1 3>&- &
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
# in_netns NETNS: the pids of processes whose network namespace is NETNS
# ("net:[...]", as the jail printed it)
in_netns() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/net" 2>/dev/null)" = "$1" ] && echo "${p#/proc/}"
	done
	true
}
# nothing left in the jail's namespace within 5 s (pasta included)
netns_empty() { wait_until 5 eval '[ -z "$(in_netns "$1")" ]' || { echo "left in $1: $(in_netns "$1")"; return 1; }; }
# cloison's child that keeps pasta (comm cloison-pasta)
keeper_of() { ps -o pid= -o comm= --ppid "$1" | awk '$2 == "cloison-pasta" { print $1 }'; }
gone() { wait_until 5 test ! -e "/proc/$1"; }
# as_user RUN-OPTIONS...: cloison run as the test user, in the outer
# namespace, with the user's copy of cloison and the rootfs (setpriv execs:
# the pid is cloison's own)
as_user() {
	nsenter --net="/run/netns/$NS" setpriv --reuid=cltest-pasta --regid=cltest-pasta --init-groups \
		env -i PATH=/usr/bin:/bin HOME=/ "$USERDIR/cloison" run --rootfs "$USERDIR/rootfs" "$@"
}

@test "--net pasta as root: eth0 with the host's address, -p answers on loopback, egress to the outer namespace" {
	local j="$BATS_TEST_TMPDIR/j" netns keeper
	bg_internet "$BATS_TEST_TMPDIR/srv" "$CLNET" udp-echo 7000 1
	wait_for "$BATS_TEST_TMPDIR/srv" ready
	# the jail ends when port 82 is told to (busybox nc serves once)
	bg_jail "$j" --net pasta -p 8080:80 -p 127.0.0.1:8081:81 -p 8082:82 -- sh -c '
		readlink /proc/self/ns/net; ip -4 -o addr show eth0; ip route
		clnet udp-send 192.0.2.2 7000 egress-ok; echo
		clnet tcp-serve 81 from-jail-81 & clnet tcp-serve 80 from-jail & nc -l -p 82 </dev/null'
	wait_for "$j" ready
	wait_for "$j" egress-ok
	wait_for "$BATS_TEST_TMPDIR/srv" 'got egress-ok'
	cat "$j"
	grep -q 'inet 192.0.2.1/24' "$j"
	grep -q 'default via 192.0.2.2 dev eth0' "$j"
	run ns "$CLNET" tcp-send 127.0.0.1 8081 x
	[ "$status" -eq 0 ] && [ "$output" = from-jail-81 ]
	run ns "$CLNET" tcp-send 127.0.0.1 8080 x
	[ "$status" -eq 0 ] && [ "$output" = from-jail ]
	netns=$(head -1 "$j")
	# pasta is in the jail's namespace beside the jail, and runs as root
	# without capabilities
	keeper=$(keeper_of "${BG[1]}")
	[ -n "$keeper" ]
	wait_until 5 eval 'ns "$CLNET" tcp-send 127.0.0.1 8082 bye'
	wait "${BG[1]}"
	netns_empty "$netns"
	gone "$keeper"
	[ -z "$(ns ss -Hltn | grep -E ':808[01] ')" ]
}

@test "--net pasta: only the published ports, and not the host's loopback through the gateway" {
	local j="$BATS_TEST_TMPDIR/j"
	bg_outer "$BATS_TEST_TMPDIR/srv" "$CLNET" tcp-serve 7001 loopback-only
	wait_for "$BATS_TEST_TMPDIR/srv" ready
	bg_jail "$j" --net pasta -- sh -c 'timeout 3 clnet tcp-send 192.0.2.2 7001 x || echo no-gateway-loopback
		clnet tcp-serve 80 from-jail'
	wait_for "$j" ready
	grep -q no-gateway-loopback "$j"
	# nothing published: the jail's port 80 is not reachable from outside
	[ -z "$(ns ss -Hltn | grep ':80 ')" ]
	run ns "$CLNET" tcp-send 127.0.0.1 80 x
	[ "$status" -ne 0 ]
}

@test "--net pasta: after kill -9 of cloison, pasta and the jail go" {
	local j="$BATS_TEST_TMPDIR/j" pid netns keeper
	bg_jail "$j" --net pasta -p 8080:80 -- sh -c 'readlink /proc/self/ns/net; echo up; exec sleep 60'
	wait_for "$j" up
	pid=${BG[0]}
	netns=$(head -1 "$j")
	keeper=$(keeper_of "$pid")
	[ -n "$keeper" ]
	[ -n "$(in_netns "$netns")" ]
	kill -9 "$pid"
	wait "$pid" || true
	BG=()
	netns_empty "$netns"
	gone "$keeper"
	[ -z "$(ns ss -Hltn | grep ':8080 ')" ]
}

@test "--net pasta as an ordinary user; --net bridge rootless chooses it and says so once" {
	local j="$BATS_TEST_TMPDIR/j" user=cltest-pasta netns
	id "$user" >/dev/null 2>&1 || useradd -M -s /bin/sh "$user"
	USERDIR=$(mktemp -d /tmp/cloison-pasta.XXXXXX)
	chmod 755 "$USERDIR"
	cp "$CLOISON" "$USERDIR/cloison"
	cp -a "$ROOTFS/." "$USERDIR/rootfs"
	bg_internet "$BATS_TEST_TMPDIR/srv" "$CLNET" udp-echo 7000 1
	wait_for "$BATS_TEST_TMPDIR/srv" ready
	as_user --net bridge -p 8080:80 -p 8082:82 -- sh -c 'readlink /proc/self/ns/net; id -u; ip -4 -o addr show eth0;
		clnet udp-send 192.0.2.2 7000 egress-ok; echo; clnet tcp-serve 80 from-rootless & nc -l -p 82 </dev/null' >"$j" 2>&1 3>&- &
	BG+=($!)
	wait_for "$j" ready
	cat "$j"
	[ "$(grep -c 'note: --net bridge needs root; as an ordinary user the jail gets user-mode networking (--net pasta)' "$j")" -eq 1 ]
	grep -q 'inet 192.0.2.1/24' "$j"
	grep -q egress-ok "$j"
	wait_for "$BATS_TEST_TMPDIR/srv" 'got egress-ok'
	run ns "$CLNET" tcp-send 127.0.0.1 8080 x
	[ "$status" -eq 0 ] && [ "$output" = from-rootless ]
	netns=$(grep '^net:' "$j")
	# pasta runs as the user
	local p
	for p in $(in_netns "$netns"); do
		[ "$(stat -c %U "/proc/$p")" = "$user" ] || { echo "$p is not the user's"; return 1; }
	done
	wait_until 5 eval 'ns "$CLNET" tcp-send 127.0.0.1 8082 bye'
	wait "${BG[1]}"
	netns_empty "$netns"
	# --net pasta explicitly, and what it cannot take
	run as_user --net pasta -- sh -c 'ls /sys/class/net'
	[ "$status" -eq 0 ]
	[[ "$output" == *eth0* ]] && [[ "$output" != *note:* ]]
	run as_user --net bridge --ip 10.88.0.9 -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--net bridge as an ordinary user is user-mode networking (--net pasta), which takes no --ip"* ]]
}

@test "--net pasta: bad combinations are refused before anything starts" {
	run "$CLOISON" run --rootfs "$ROOTFS" --net pasta --ip 10.0.0.2 -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--ip, --subnet, --dns, --add-host and --no-egress need --net bridge (--net pasta gives"* ]]
	run "$CLOISON" run --rootfs "$ROOTFS" --vm --net pasta -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--net pasta is not supported with --vm"* ]]
	run "$CLOISON" run --rootfs "$ROOTFS" --net pastry -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"expected none, host, bridge[=NAME] or pasta"* ]]
}

@test "--net pasta: a failing pasta is reported with its own message, nothing left" {
	local j="$BATS_TEST_TMPDIR/j"
	# no default route in this namespace: pasta has no interface to use
	ns ip route del default
	ns ip addr flush dev cl-up0
	run nsenter --net="/run/netns/$NS" "$CLOISON" run --rootfs "$ROOTFS" --net pasta -- true
	echo "$output"
	[ "$status" -eq 125 ]
	[[ "$output" == "cloison: --net pasta: pasta failed (status 1): "* ]]
}

@test "--net pasta: 30 published ports, every one passed to pasta" {
	local j="$BATS_TEST_TMPDIR/j" args=() p
	for p in $(seq 9001 9025); do args+=(-p "$p:$p"); done
	for p in $(seq 9101 9105); do args+=(-p "$p:$p/udp"); done
	bg_jail "$j" --net pasta "${args[@]}" -- clnet tcp-serve 9025 the-last-one
	wait_for "$j" ready
	run ns "$CLNET" tcp-send 127.0.0.1 9025 x
	[ "$status" -eq 0 ] && [ "$output" = the-last-one ]
}
