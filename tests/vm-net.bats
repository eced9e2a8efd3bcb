#!/usr/bin/env bats
# The micro-VM's network on this host (PVM: cloison's test guest, which
# drives virtio-net itself; Linux guests are tested in tests/vm-nested.bats,
# inner 15-vm-net): --vm --net bridge gives the VM a virtio-net device on a
# tap on the bridge, with the lease, NAT and published ports a container
# gets; a hostile guest's descriptors fail its own NIC, not the VMM; nothing
# is left after the VM, even after kill -9.
#
# Every test runs in a network namespace it makes (as tests/net.bats).

bats_require_minimum_version 1.5.0
load helpers

TESTGUEST="$TOP/build/testguest.bzImage"

setup() {
	[ -r "$TESTGUEST" ] || {
		echo "$TESTGUEST is missing: make" >&2
		return 1
	}
	[ -c /dev/kvm ] || {
		echo "no /dev/kvm" >&2
		return 1
	}
	NS=cltvmnet-$$-$BATS_TEST_NUMBER
	BG=()
	ip netns add "$NS"
	ip netns exec "$NS" ip link set lo up
	export CLOISON_NET_DIR="$BATS_TEST_TMPDIR/state"
}

teardown() {
	local p
	[ -z "${SVC:-}" ] || in_ns "$CLOISON" rm -f "$SVC" >/dev/null 2>&1 || true
	for p in "${BG[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	for p in "${BG[@]}"; do wait "$p" 2>/dev/null || true; done
	ip netns del "$NS" 2>/dev/null || true
}

ns() { ip netns exec "$NS" "$@"; }
in_ns() { nsenter --net="/run/netns/$NS" "$@"; }
vm() { run in_ns timeout 60 "$CLOISON" run --vm --kernel "$TESTGUEST" "$@"; }
links() { ns ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort | tr '\n' ' '; }
leases() { cat "$CLOISON_NET_DIR/leases" 2>/dev/null || true; }
run_dirs() { find "$CLOISON_NET_DIR" -mindepth 1 -maxdepth 1 -name 'ctx-*' 2>/dev/null || true; }

# spin_vm OUT ARGS...: the test guest spinning in a VM with ARGS, in the
# background (its cloison's pid last in BG), once it said so
spin_vm() {
	local out=$1 i
	shift
	nsenter --net="/run/netns/$NS" "$CLOISON" run --vm --kernel "$TESTGUEST" "$@" -- testguest-spin >"$out" 2>&1 3>&- &
	BG+=($!)
	for ((i = 0; i < 100; i++)); do
		grep -q "testguest: spinning" "$out" && return 0
		sleep 0.1
	done
	echo "the VM did not start:"
	cat "$out"
	return 1
}

assert_clean() {
	[ "$(links)" = "cl-br0 lo " ] || { echo "links: $(links)"; return 1; }
	[ -z "$(leases)" ] || { echo "leases: $(leases)"; return 1; }
	[ -z "$(run_dirs)" ] || { echo "run dirs: $(run_dirs)"; return 1; }
	[ -z "$(ns nft list tables)" ] || { ns nft list ruleset; return 1; }
}

@test "vm --net bridge: the guest's virtio-net reaches the bridge (ARP to the gateway); nothing left" {
	vm --net bridge -- testguest-net
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"testguest: net: arp reply from 10.88.0.1"* ]]
	assert_clean
}

@test "vm --net bridge: a hostile packet (shorter than its header) fails the guest's NIC, not the VMM; a reset brings it back" {
	vm --net bridge -- testguest-net-hostile
	echo "$output"
	[ "$status" -eq 42 ]
	[[ "$output" == *"virtio-net: transmit queue: a packet of 4 bytes with its header (12 to "*"stopped until the guest resets it"* ]]
	[[ "$output" == *"testguest: net: arp reply from 10.88.0.1"* ]]
	assert_clean
}

@test "vm --net bridge: garbage rings on every virtio device (the NIC too) do not crash the VMM" {
	vm --net bridge -- testguest-hostile-virtio
	echo "$output"
	[ "$status" -eq 42 ]
	[[ "$output" == *"garbage to virtio device 0"* ]]
	[[ "$output" == *"virtio-net: queue "*"stopped until the guest resets it"* ]]
	assert_clean
}

@test "vm --net bridge -p: the published port is DNATed to the guest's address while it runs; kill -9 leaves no tap, gc the lease" {
	local out="$BATS_TEST_TMPDIR/out" pid vmm i
	spin_vm "$out" --net bridge -p 8080:80
	pid=${BG[-1]}
	[[ "$(links)" == *"clv$pid"* ]]
	run -0 ns nft list ruleset
	[[ "$output" == *"dnat ip to 10.88.0.2:80"* || "$output" == *"dnat to 10.88.0.2:80"* ]]
	# the VMM: the child of cloison with the NIC's I/O thread, which runs
	# under its own filter stacked on the VMM's
	local c t
	vmm=
	for c in $(pgrep -P "$pid"); do
		for t in /proc/"$c"/task/*; do
			[ "$(cat "$t/comm" 2>/dev/null)" = virtio-net ] || continue
			vmm=$c
			run -0 grep -x "Seccomp_filters:	2" "$t/status"
		done
	done
	[ -n "$vmm" ] || { echo "no virtio-net thread in cloison's children: $(pgrep -a -P "$pid")"; false; }
	kill -9 "$pid"
	wait "$pid" || true
	BG=()
	# the tap goes with the VMM, which does not outlive cloison
	for ((i = 0; i < 50; i++)); do
		[ "$(links)" = "cl-br0 lo " ] && [ ! -e "/proc/$vmm" ] && break
		sleep 0.1
	done
	[ "$(links)" = "cl-br0 lo " ]
	[ ! -e "/proc/$vmm" ] || { echo "VMM $vmm survived"; false; }
	run -0 in_ns "$CLOISON" gc
	[ "${lines[0]}" = "released lease 10.88.0.2 on cl-br0 (cloison $pid is gone)" ]
	[ -z "$(leases)" ] && [ -z "$(run_dirs)" ]
	[ -z "$(ns nft list tables)" ]
}

@test "vm --net bridge: SIGTERM to cloison ends the VM and gives back its lease, tap and rules; status 143" {
	local out="$BATS_TEST_TMPDIR/out" pid i
	spin_vm "$out" --net bridge
	pid=${BG[-1]}
	[ -n "$(leases)" ]
	kill -TERM "$pid"
	local st=0
	wait "$pid" || st=$?
	BG=()
	[ "$st" -eq 143 ] || { echo "status $st"; cat "$out"; false; }
	assert_clean
}

@test "vm run -d --net bridge: the service's address is said by run -d and listed by ps; stop and rm leave nothing" {
	local name=cltvmnet-svc-$$
	SVC=$name
	run -0 in_ns "$CLOISON" run -d --vm --kernel "$TESTGUEST" --net bridge --name "$name" -p 8088:80 -- testguest-spin 3>&-
	echo "$output"
	grep -qx "$name" <<<"$output"
	grep -qx "$name: address 10.88.0.2, ports 8088->80/tcp" <<<"$output"
	run -0 "$CLOISON" ps
	echo "$output"
	grep -E "^$name +.* vm .*10\.88\.0\.2" <<<"$output"
	run -0 in_ns "$CLOISON" stop -t 2 "$name"
	run -0 in_ns "$CLOISON" rm "$name"
	SVC=
	assert_clean
}

@test "vm: --net host and --net pasta are refused with --vm, naming what a VM can have" {
	vm --net host -- testguest-net
	[ "$status" -eq 125 ]
	[[ "$output" == *"--net host is not supported with --vm (a micro-VM has --net bridge, as root, or --net none)"* ]]
	vm --net pasta -- testguest-net
	[ "$status" -eq 125 ]
	[[ "$output" == *"--net pasta is not supported with --vm"* ]]
	[ ! -e "$CLOISON_NET_DIR" ]
}
