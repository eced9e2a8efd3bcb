#!/usr/bin/env bats
# cloison run --vm from the command line, on this host.  Where /dev/kvm is PVM
# (no stock kernel can boot) the freestanding test guest stands in for Linux;
# Debian's kernel boots in tests/vm-nested.bats.

bats_require_minimum_version 1.5.0
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
	[[ "$output" == *"--kernel needs --vm"* ]]
	# every VM-only setting, the same way (--vcpus was accepted and ignored)
	for opt in "--vcpus 2" "--disk /nonexistent.img" "--force"; do
		# shellcheck disable=SC2086
		run "$CLOISON" run --rootfs "$ROOTFS" $opt -- /bin/true
		echo "$opt: $output"
		[ "$status" -eq 125 ]
		[ "$output" = "cloison: ${opt%% *} needs --vm" ]
	done
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

@test "run --vm --force on a host that cannot boot a stock kernel (PVM) fails with a clear error, not a hang" {
	desc=$("$CLOISON" check | sed -n 's@.*/dev/kvm *[-ok]* *KVM: @@p')
	[[ "$desc" == PVM* ]] || skip "this host has $desc: stock kernels can boot here"
	kernel=$(ls -t /boot/vmlinuz-*-cloud-amd64 | head -1)
	# the default boot watchdog (15 s without one exit before init), bounded
	start=$(date +%s)
	run timeout 90 "$CLOISON" run --vm --force --kernel "$kernel" -- /bin/true
	echo "$output"
	echo "took $(($(date +%s) - start)) s"
	[ "$status" -eq 125 ]
	[[ "$output" == *"the guest made no progress for 15 s while booting"*"/dev/kvm here: PVM"* ]]
	[ -z "$(pgrep -f "cloison run --vm --force --kernel $kernel" || true)" ]
}

@test "run --vm: the boot watchdog watches guest progress: a guest that stops exiting to the VMM before init is stopped" {
	# testguest-boot-stall prints (exits to the VMM), then spins in the
	# guest without a single exit and without ever marking init
	start=$(date +%s)
	run timeout 60 env CLOISON_VM_BOOT_WATCHDOG=2 "$CLOISON" run --vm --kernel "$TESTGUEST" -- testguest-boot-stall
	echo "$output"
	echo "took $(($(date +%s) - start)) s"
	[ "$status" -eq 125 ]
	[[ "$output" == *"testguest: stalling before init"* ]]
	[[ "$output" == *"made no progress for 2 s while booting"* ]]
	# a guest past init is left alone: testguest-spin marks init, then
	# spins without an exit; it outlives the same watchdog
	CLOISON_VM_BOOT_WATCHDOG=2 "$CLOISON" run --vm --kernel "$TESTGUEST" -- testguest-spin \
		>"$BATS_TEST_TMPDIR/spin.out" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		grep -q "testguest: spinning" "$BATS_TEST_TMPDIR/spin.out" && break
		sleep 0.1
	done
	grep -q "testguest: spinning" "$BATS_TEST_TMPDIR/spin.out"
	# (a check that something does not happen needs a span: 1.5x the limit)
	sleep 3
	kill -0 "$pid"
	kill -9 "$pid"
	wait "$pid" || true
	! grep -q "made no progress" "$BATS_TEST_TMPDIR/spin.out" || false
}

@test "run --vm: container options a micro-VM cannot honour are refused, naming the option, and nothing is started" {
	for opt in "--cap-add NET_ADMIN" "--cap-drop ALL" "--userns" "--preserve-fds 1" \
		"--tmpfs /scratch" "--pids 5" "--cpus 0.5" "--no-new-privileges" \
		"--deny ptrace" "--stats"; do
		name=${opt%% *}
		# shellcheck disable=SC2086
		run timeout 30 "$CLOISON" run --vm --kernel "$TESTGUEST" $opt -- /bin/true
		echo "$opt: $output"
		[ "$status" -eq 125 ]
		[[ "$output" == "cloison: $name is not supported with --vm ("* ]]
		[[ "$output" != *"testguest"* ]]
	done
	# the same from a profile
	printf 'cap-add NET_ADMIN\n' >"$BATS_TEST_TMPDIR/caps.profile"
	run timeout 30 "$CLOISON" run --vm --kernel "$TESTGUEST" --profile "$BATS_TEST_TMPDIR/caps.profile" -- /bin/true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--cap-add is not supported with --vm"* ]]
	# a read-write bind would silently lose the guest's writes, and a bind
	# with --disk would be hidden by the disk root
	run timeout 30 "$CLOISON" run --vm --kernel "$TESTGUEST" --bind /tmp:/x -- /bin/true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--bind /tmp:/x is not supported with --vm"*":ro"* ]]
	truncate -s 8M "$BATS_TEST_TMPDIR/d.img"
	run timeout 30 "$CLOISON" run --vm --kernel "$TESTGUEST" --disk "$BATS_TEST_TMPDIR/d.img" --bind /tmp:/x:ro -- /bin/true
	[ "$status" -eq 125 ]
	[[ "$output" == *"not supported with --vm --disk"* ]]
	run timeout 30 "$CLOISON" run --vm --kernel "$TESTGUEST" --net host -- /bin/true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--net host is not supported with --vm"* ]]
}

@test "run --vm: the options it honours pass validation (--bind :ro, --read-only, --timeout, --init, -i, -e, -w, -u, --hostname)" {
	mkdir -p "$BATS_TEST_TMPDIR/src"
	echo hi >"$BATS_TEST_TMPDIR/src/f"
	run timeout 60 "$CLOISON" run --vm --kernel "$TESTGUEST" --bind "$BATS_TEST_TMPDIR/src:/mnt/src:ro" \
		--read-only --timeout 30 --init -i -e A=1 -w / -u 0 --hostname h --net none -- /bin/true </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"testguest: all checks passed"* ]]
	# a bind source that does not exist is an error naming it
	run timeout 60 "$CLOISON" run --vm --kernel "$TESTGUEST" --bind /nonexistent-src:/x:ro -- /bin/true
	[ "$status" -eq 125 ]
	[[ "$output" == *"/nonexistent-src"* ]]
}

@test "run --vm --timeout stops a guest that runs past it: exit 124" {
	start=$(date +%s)
	run timeout 60 "$CLOISON" run --vm --kernel "$TESTGUEST" --timeout 2 -- testguest-spin
	echo "$output"
	echo "took $(($(date +%s) - start)) s"
	[ "$status" -eq 124 ]
	[[ "$output" == *"did not report an exit status within 2000 ms"* ]]
}

@test "run --vm --vsock PATH: a virtio-vsock device whose host socket (0600) lives as long as the VM; a file there is refused, untouched" {
	local sock="$BATS_TEST_TMPDIR/vm.sock" pid i
	timeout 60 "$CLOISON" run --vm --kernel "$TESTGUEST" --vsock "$sock" -- testguest-spin >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		grep -q "testguest: spinning" "$BATS_TEST_TMPDIR/out" && break
		sleep 0.1
	done
	[ -S "$sock" ] || { kill "$pid"; cat "$BATS_TEST_TMPDIR/out"; false; }
	[ "$(stat -c %a "$sock")" = 600 ]
	# the guest does not answer a CONNECT (the test guest drives no vsock),
	# but the VMM takes the connection: something listens
	run -0 python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$sock"
	kill -TERM "$pid"
	wait "$pid" || true
	[ ! -e "$sock" ]
	# a second VM on the socket of a running one, or a file, is refused
	echo keep >"$BATS_TEST_TMPDIR/file"
	run -125 timeout 60 "$CLOISON" run --vm --kernel "$TESTGUEST" --vsock "$BATS_TEST_TMPDIR/file" -- /bin/true
	[[ "$output" == *"--vsock $BATS_TEST_TMPDIR/file: exists and is not a socket" ]]
	[ "$(cat "$BATS_TEST_TMPDIR/file")" = keep ]
	run -125 "$CLOISON" run --vsock "$sock" -- /bin/true
	[[ "$output" == *"--vsock needs --vm"* ]]
}

@test "run -d --vm --restart on-failure:2: a VM whose guest fails is booted again twice, then left exited with its status; rm leaves nothing" {
	local name=cltvm-restart-$$
	# the test guest without a NIC fails its network check: status 3
	run -0 "$CLOISON" run -d --vm --kernel "$TESTGUEST" --name "$name" --restart on-failure:2 -- testguest-net 3>&-
	run timeout 120 "$CLOISON" wait "$name"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = 3 ]
	run -0 "$CLOISON" inspect "$name"
	[[ "$output" == *'"restarts":2'* ]]
	[[ "$output" == *'"status":"exited"'* ]]
	run -0 "$CLOISON" logs "$name"
	[ "$(grep -c 'no virtio-net device' <<<"$output")" -eq 3 ]
	run -0 "$CLOISON" rm "$name"
	[ ! -e "/run/cloison/jails/$name" ]
}
