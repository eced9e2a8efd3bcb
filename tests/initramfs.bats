#!/usr/bin/env bats
# The initramfs writer (src/vm/initramfs.c, cpio.c, kmod.c) through the test
# driver build/tests/cl-mkinitramfs: layout, content cache, decompression.

MKI="$BATS_TEST_DIRNAME/../build/tests/cl-mkinitramfs"
INIT="$BATS_TEST_DIRNAME/../build/cloison-init"

setup() {
	R="$BATS_TEST_TMPDIR/rootfs" C="$BATS_TEST_TMPDIR/cache"
	mkdir -p "$R/bin" "$R/etc" "$R/dev" "$R/sub/dir"
	cp /bin/busybox "$R/bin/"
	ln -s busybox "$R/bin/sh"
	echo hello >"$R/etc/greeting"
	ln "$R/etc/greeting" "$R/etc/hardlink"
	mkfifo "$R/fifo"
	echo "not mine" >"$R/init"
	KVER=$(ls /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -1)
	KVER=${KVER##*/vmlinuz-}
	M=/lib/modules/$KVER
}

# list IMAGE: names in both archives (base, then the spec archive after it)
list() {
	local base
	base=$(ls "$C"/base-*.cpio | head -1)
	cpio -it --quiet <"$1"
	tail -c +$(($(stat -c %s "$base") + 1)) "$1" | cpio -it --quiet
}

@test "initramfs: holds the rootfs, /init, dev/console, the modules and the spec" {
	[ -d "$M" ] || skip "no Debian cloud kernel modules"
	img=$("$MKI" --init "$INIT" --cache "$C" --rootfs "$R" --modules "$M" --hostname h -- sh -c 'echo hi')
	run list "$img"
	echo "$output"
	for want in bin/busybox bin/sh etc/greeting etc/hardlink fifo sub/dir dev dev/console init \
		.cloison/modules/virtio_mmio.ko .cloison/modules/virtio_blk.ko .cloison/modules/order \
		.cloison/spec; do
		grep -qx -- "$want" <<<"$output" || { echo "missing $want"; return 1; }
	done
	# the rootfs's own /init is replaced by cloison-init, once
	[ "$(grep -cx init <<<"$output")" -eq 1 ]
	mkdir "$BATS_TEST_TMPDIR/x" && cd "$BATS_TEST_TMPDIR/x"
	cpio -id --quiet init etc/hardlink bin/sh .cloison/modules/order <"$img"
	cmp init "$INIT"
	[ "$(cat etc/hardlink)" = hello ]
	[ "$(readlink bin/sh)" = busybox ]
	# dependencies first
	[ "$(head -2 .cloison/modules/order | tr '\n' ' ')" = "virtio_ring.ko virtio.ko " ]
	tail -c +$(($(stat -c %s "$(ls "$C"/base-*.cpio)") + 1)) "$img" | cpio -i --quiet --to-stdout .cloison/spec | tr '\0' '\n' >spec
	grep -qx 'arg=echo hi' spec
	grep -qx 'hostname=h' spec
}

@test "initramfs: same inputs hit the cache, a new spec reuses the base, a rootfs change misses" {
	a=$("$MKI" --init "$INIT" --cache "$C" --rootfs "$R" -- true)
	t=$(stat -c %i "$a")
	b=$("$MKI" --init "$INIT" --cache "$C" --rootfs "$R" -- true)
	[ "$a" = "$b" ]
	# same file, not rewritten (a rebuild renames a new inode into place)
	[ "$(stat -c %i "$b")" = "$t" ]
	[ "$(ls "$C"/base-*.cpio | wc -l)" -eq 1 ]
	c=$("$MKI" --init "$INIT" --cache "$C" --rootfs "$R" -- false)
	[ "$c" != "$a" ]
	[ "$(ls "$C"/base-*.cpio | wc -l)" -eq 1 ]
	echo changed >>"$R/etc/greeting"
	d=$("$MKI" --init "$INIT" --cache "$C" --rootfs "$R" -- true)
	[ "$d" != "$a" ]
	[ "$(ls "$C"/base-*.cpio | wc -l)" -eq 2 ]
	# nothing half-written is left behind
	[ -z "$(ls -A "$C" | grep -v '\.cpio$')" ]
}

@test "initramfs: the cache key's SHA-256 (util/sha256.c) agrees with sha256sum" {
	local f n
	for n in 0 1 55 56 57 63 64 65 119 120 127 128 1000 65537; do
		head -c "$n" /dev/urandom >"$BATS_TEST_TMPDIR/r.$n"
	done
	for f in "$BATS_TEST_TMPDIR"/r.* "$INIT" /etc/passwd; do
		[ "$("$MKI" --sha256 "$f")" = "$(sha256sum <"$f" | cut -d' ' -f1)" ] || {
			echo "differs for $f"
			return 1
		}
	done
}

@test "initramfs: a new init binary misses the cache (its metadata is in the key)" {
	a=$("$MKI" --init "$INIT" --cache "$C" --rootfs "$R" -- true)
	cp "$INIT" "$BATS_TEST_TMPDIR/init2"
	b=$("$MKI" --init "$BATS_TEST_TMPDIR/init2" --cache "$C" --rootfs "$R" -- true)
	[ "$a" != "$b" ]
	touch -d '2001-01-01' "$BATS_TEST_TMPDIR/init2"
	c=$("$MKI" --init "$BATS_TEST_TMPDIR/init2" --cache "$C" --rootfs "$R" -- true)
	[ "$c" != "$b" ]
}

@test "initramfs: the cache keeps the 16 most recently used images and 4 bases" {
	first=$("$MKI" --init "$INIT" --cache "$C" --rootfs "$R" -- echo 0)
	for i in $(seq 1 20); do
		"$MKI" --init "$INIT" --cache "$C" --rootfs "$R" -- echo $i >/dev/null
		# a hit keeps the first one young
		[ $((i % 5)) -eq 0 ] && "$MKI" --init "$INIT" --cache "$C" --rootfs "$R" -- echo 0 >/dev/null
	done
	[ "$(ls "$C" | grep -vc '^base-')" -eq 16 ]
	[ -e "$first" ]
	for i in 1 2 3 4 5 6; do
		echo $i >"$R/etc/v"
		"$MKI" --init "$INIT" --cache "$C" --rootfs "$R" -- true >/dev/null
	done
	[ "$(ls "$C" | grep -c '^base-')" -eq 4 ]
}

@test "initramfs: without a rootfs it holds only init, dev/console, modules and spec" {
	img=$("$MKI" --init "$INIT" --cache "$C" --root /dev/vda -- /bin/sh)
	run list "$img"
	echo "$output"
	[ "$(echo "$output" | LC_ALL=C sort | tr '\n' ' ')" = ".cloison .cloison/spec dev dev/console init " ]
}

@test "initramfs: .ko.xz and .ko.zst modules are shipped decompressed" {
	[ -d "$M" ] || skip "no Debian cloud kernel modules"
	command -v xz >/dev/null && command -v zstd >/dev/null || skip "no xz or zstd"
	local fake="$BATS_TEST_TMPDIR/modules" x="$BATS_TEST_TMPDIR/x"
	mkdir -p "$fake/kernel" "$x"
	for m in virtio_ring virtio virtio_mmio virtio_blk virtio_console; do
		cp "$(find "$M/kernel" -name "$m.ko*" | head -1)" "$fake/kernel/$m.ko"
	done
	xz "$fake/kernel/virtio_ring.ko" "$fake/kernel/virtio_blk.ko"
	zstd -q --rm "$fake/kernel/virtio.ko" "$fake/kernel/virtio_mmio.ko"
	cat >"$fake/modules.dep" <<-DEP
	kernel/virtio_ring.ko.xz:
	kernel/virtio.ko.zst: kernel/virtio_ring.ko.xz
	kernel/virtio_mmio.ko.zst: kernel/virtio.ko.zst kernel/virtio_ring.ko.xz
	kernel/virtio_blk.ko.xz: kernel/virtio.ko.zst kernel/virtio_ring.ko.xz
	kernel/virtio_console.ko: kernel/virtio.ko.zst kernel/virtio_ring.ko.xz
	DEP
	img=$("$MKI" --init "$INIT" --cache "$C" --modules "$fake" -- true)
	cd "$x" && cpio -id --quiet '.cloison/modules/*' <"$img"
	for m in virtio_ring virtio virtio_mmio virtio_blk virtio_console; do
		cmp ".cloison/modules/$m.ko" "$(find "$M/kernel" -name "$m.ko" | head -1)"
	done
	[ "$(cat .cloison/modules/order | tr '\n' ' ')" = "virtio_ring.ko virtio.ko virtio_mmio.ko virtio_blk.ko virtio_console.ko " ]
}

@test "guest spec codec: unit tests (ASan, UBSan)" {
	"$BATS_TEST_DIRNAME/../build/tests/test_guest_spec"
}

@test "initramfs: a module that cannot be read is an error naming it, not a crash (double free)" {
	local fake="$BATS_TEST_TMPDIR/modules"
	# a directory where modules.dep promises a file: open() works, read() fails
	mkdir -p "$fake/kernel/virtio_mmio.ko"
	echo "kernel/virtio_mmio.ko:" >"$fake/modules.dep"
	run "$MKI" --init "$INIT" --cache "$C" --modules "$fake" -- true
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$fake/kernel/virtio_mmio.ko"* ]]
	[[ "$output" != *"double free"* ]]
	! ls -A "$C" | grep -q '^\.tmp' || false
}
