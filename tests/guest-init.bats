#!/usr/bin/env bats
# cloison-init (src/guest/): as PID 1 of a jail (status to a file, as
# container mode will use it) and as PID 1 of a real Debian kernel under QEMU
# TCG (status through the exit port, QEMU's isa-debug-exit at 0x501).

INIT="$BATS_TEST_DIRNAME/../build/cloison-init"
MKI="$BATS_TEST_DIRNAME/../build/tests/cl-mkinitramfs"

setup_file() {
	local r="$BATS_FILE_TMPDIR/rootfs"
	mkdir -p "$r"/{bin,proc,dev,tmp,.cloison}
	cp /bin/busybox "$r/bin/"
	for a in sh echo id pwd hostname sleep cat ls env; do ln -s busybox "$r/bin/$a"; done
	cp /bin/busybox "$r/noexec" && chmod 0644 "$r/noexec"
}

# jail ARGS...: write a spec with ARGS (cl-mkinitramfs options -- command)
# and run cloison-init as PID 1 of new PID/mount/UTS namespaces in the rootfs.
jail() {
	local r="$BATS_FILE_TMPDIR/rootfs"
	"$MKI" --spec-out "$r/.cloison/spec" "$@"
	cp "$INIT" "$r/init"
	rm -f "$r/status"
	# (126/127 become 1 here, only to keep bats from warning: the file has them)
	run sh -c 'unshare --pid --fork --mount --uts chroot "$1" /init --report-file /status
		s=$?; [ $s -eq 126 ] || [ $s -eq 127 ] && exit 1; exit $s' _ "$r"
	status_file=$(cat "$r/status" 2>/dev/null)
}

@test "init (jail): exit status, env, cwd, uid, gid, hostname" {
	jail --env FOO=bar --env PATH=/bin --cwd /bin --uid 1000 --gid 100 --hostname jailed \
		-- sh -c 'echo "$FOO $(pwd) $(id -u):$(id -g) $(hostname)"; exit 7'
	[ "$status" -eq 7 ]
	[ "$status_file" = 7 ]
	[ "$output" = "bar /bin 1000:100 jailed" ]
}

@test "init (jail): 127 not found, 126 not executable" {
	jail -- /nonexistent
	[ "$status_file" = 127 ]
	[[ $output == *"cannot run '/nonexistent'"* ]]
	jail -- /noexec
	[ "$status_file" = 126 ]
}

@test "init (jail): 128+N for a signal, leftovers are killed" {
	jail -- sh -c 'sleep 1000 & kill -9 $$'
	[ "$status_file" = 137 ]
}

@test "init (jail): 125 when init itself fails (bad cwd, bad spec)" {
	jail --cwd /nope -- sh -c true
	[ "$status_file" = 125 ]
	[[ $output == *"working directory /nope"* ]]
	printf 'cloison-guest-spec=1\0arg=sh\0bogus=1\0' >"$BATS_FILE_TMPDIR/rootfs/.cloison/spec"
	run unshare --pid --fork --mount chroot "$BATS_FILE_TMPDIR/rootfs" /init --report-file /status
	[ "$status" -eq 125 ]
	[[ $output == *"unknown key in 'bogus=1'"* ]]
}

@test "init (jail): status to an inherited fd (CLOISON_INIT_REPORT=fd:N)" {
	local r="$BATS_FILE_TMPDIR/rootfs"
	"$MKI" --spec-out "$r/.cloison/spec" -- sh -c 'exit 3'
	cp "$INIT" "$r/init"
	CLOISON_INIT_REPORT=fd:5 unshare --pid --fork --mount chroot "$r" /init 5>"$BATS_TEST_TMPDIR/st" || true
	[ "$(cat "$BATS_TEST_TMPDIR/st")" = 3 ]
}

# vm ARGS...: build an initramfs with cl-mkinitramfs ARGS, boot Debian's cloud
# kernel on it under QEMU TCG; $status is the guest's reported exit status.
vm() {
	local kernel img
	kernel=$(ls /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -1)
	[ -n "$kernel" ] || skip "no Debian cloud kernel (linux-image-cloud-amd64)"
	command -v qemu-system-x86_64 >/dev/null || skip "no qemu-system-x86_64"
	img=$("$MKI" --init "$INIT" --cache "$BATS_FILE_TMPDIR/cache" \
		--modules "/lib/modules/${kernel##*/vmlinuz-}" "$@")
	run timeout 120 qemu-system-x86_64 -accel tcg -M pc -cpu max -m 512 -nographic -no-reboot \
		-nodefaults -serial stdio -device isa-debug-exit,iobase=0x501,iosize=2 \
		${QEMU_EXTRA:-} -kernel "$kernel" -initrd "$img" -append "console=ttyS0 quiet panic=-1" </dev/null
	output=$(printf '%s' "$output" | tr -d '\r')
	# isa-debug-exit makes QEMU exit with (value << 1) | 1
	[ $((status & 1)) -eq 1 ] || { echo "guest did not report: qemu status $status"; echo "$output"; return 1; }
	status=$((status >> 1))
}

@test "init (vm): runs the command from the initramfs, reports through port 0x501" {
	vm --rootfs "$BATS_FILE_TMPDIR/rootfs" --hostname vmguest --env PATH=/bin \
		-- sh -c 'echo "in $(hostname) pid1=$(cat /proc/1/comm)"; exit 42'
	echo "$output"
	[ "$status" -eq 42 ]
	[[ $output == *"in vmguest pid1=init"* ]]
}

@test "init (vm): switches root to an ext4 virtio-blk disk" {
	command -v mkfs.ext4 >/dev/null || skip "no mkfs.ext4"
	local disk="$BATS_FILE_TMPDIR/root.img"
	truncate -s 32M "$disk"
	mkfs.ext4 -q -F -d "$BATS_FILE_TMPDIR/rootfs" "$disk"
	echo on-disk >"$BATS_FILE_TMPDIR/marker" && debugfs -w -R "write $BATS_FILE_TMPDIR/marker marker" "$disk" >/dev/null 2>&1
	QEMU_EXTRA="-drive id=d0,file=$disk,format=raw,if=none -device virtio-blk-pci,drive=d0" \
		vm --root /dev/vda -- sh -c 'cat /marker; exit 5'
	echo "$output"
	[ "$status" -eq 5 ]
	[[ $output == *on-disk* ]]
}
