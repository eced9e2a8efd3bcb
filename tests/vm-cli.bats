#!/usr/bin/env bats
# cloison run --vm from the command line, on this host.  Where /dev/kvm is PVM
# (no stock kernel can boot) the freestanding test guest stands in for Linux;
# Debian's kernel boots in tests/vm-nested.bats.

load helpers

TESTGUEST="$TOP/build/testguest.bzImage"

@test "run --vm boots the test guest through the bzImage path and returns its status" {
	run "$CLOISON" run --vm --kernel "$TESTGUEST" --memory 128M -- /bin/true
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"testguest: all checks passed"* ]]
	[[ "$output" == *"MADT with 1 CPUs"* ]]
	[[ "$output" == *"127 MiB RAM"* ]]
}

@test "run --vm refuses a stock kernel on a host that cannot run one (PVM), unless --force" {
	desc=$("$CLOISON" check | sed -n 's@.*/dev/kvm *[-ok]* *KVM: @@p')
	[[ "$desc" == PVM* ]] || skip "this host has $desc: stock kernels can boot here"
	kernel=$(ls -t /boot/vmlinuz-*-cloud-amd64 | head -1)
	run "$CLOISON" run --vm --kernel "$kernel" -- /bin/true
	[ "$status" -eq 125 ]
	[[ "$output" == *"cannot boot $kernel here: /dev/kvm is PVM"*"--force"* ]]
}

@test "run --vm: a file that is not a kernel, or a truncated one, is refused with its name" {
	tmp=$(mktemp -d)
	echo "not a kernel" > "$tmp/junk"
	head -c 300000 "$TESTGUEST" > "$tmp/truncated" || true
	kernel=$(ls -t /boot/vmlinuz-*-cloud-amd64 | head -1)
	head -c 100000 "$kernel" > "$tmp/truncated-linux"
	run "$CLOISON" run --vm --kernel "$tmp/junk" -- /bin/true
	[ "$status" -eq 125 ]
	[[ "$output" == *"$tmp/junk"* ]]
	run "$CLOISON" run --vm --force --kernel "$tmp/truncated-linux" -- /bin/true
	[ "$status" -eq 125 ]
	[[ "$output" == *"$tmp/truncated-linux"* ]]
	run "$CLOISON" run --vm --kernel /nonexistent/vmlinuz -- /bin/true
	[ "$status" -eq 125 ]
	[[ "$output" == *"/nonexistent/vmlinuz"* ]]
	rm -rf "$tmp"
}

@test "run --vm: bad values and VM-only options without --vm are refused" {
	run "$CLOISON" run --vm --memory 12XB -- /bin/true
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid size '12XB'"* ]]
	run "$CLOISON" run --vm --vcpus 0 -- /bin/true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--vcpus"* ]]
	run "$CLOISON" run --vm --memory 8M --kernel "$TESTGUEST" -- /bin/true
	[ "$status" -eq 125 ]
	[[ "$output" == *"out of range"* ]]
	run "$CLOISON" run --rootfs "$ROOTFS" --kernel "$TESTGUEST" -- /bin/true
	[ "$status" -eq 125 ]
	[[ "$output" == *"need --vm"* ]]
	# (without --vm, --memory is the container's cgroup limit: tests/cgroup.bats)
}

@test "run --vm: a hostile guest is contained with a clear error, and no VMM process survives" {
	run timeout 60 "$CLOISON" run --vm --kernel "$TESTGUEST" -e X=1 -- /bin/true
	[ "$status" -eq 0 ]
	# the test guest reads its variant from the kernel command line, which
	# cloison writes; a triple fault is the hardest stop a guest can make
	run timeout 60 "$TOP/build/vmrun" "$TESTGUEST" "hostile=triplefault"
	[ "$status" -eq 125 ]
	[[ "$output" == *"cloison: guest triple-faulted on vCPU 0"* ]]
	! pgrep -f "$TESTGUEST"
}

@test "run --vm: the initramfs is cached by content" {
	cache=/var/cache/cloison/initramfs
	"$CLOISON" run --vm --kernel "$TESTGUEST" --rootfs "$ROOTFS" -- /bin/echo cache-probe-$$ >/dev/null
	n1=$(ls "$cache" | wc -l)
	"$CLOISON" run --vm --kernel "$TESTGUEST" --rootfs "$ROOTFS" -- /bin/echo cache-probe-$$ >/dev/null
	n2=$(ls "$cache" | wc -l)
	[ "$n1" -eq "$n2" ]
	! ls "$cache" | grep -q '\.tmp'
}
