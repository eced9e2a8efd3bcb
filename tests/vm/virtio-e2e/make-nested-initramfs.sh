#!/bin/sh
# make-nested-initramfs.sh OUT.cpio: busybox + virtio modules + nested-init.sh as /init
set -e
out=$(realpath "$1"); here=$(dirname "$(realpath "$0")")
md=/lib/modules/$(ls /boot/vmlinuz-*-cloud-amd64 | sort -V | tail -1 | sed 's@.*/vmlinuz-@@')
st=$(mktemp -d); trap 'rm -rf "$st"' EXIT
mkdir -p "$st"/bin "$st"/dev "$st"/proc "$st"/sys "$st"/lib "$st"/tmp
cp /bin/busybox "$st/bin/"; ln -s busybox "$st/bin/sh"
for m in drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_mmio \
	drivers/block/virtio_blk drivers/char/virtio_console; do cp "$md/kernel/$m.ko" "$st/lib/"; done
install -m 0755 "$here/nested-init.sh" "$st/init"
(cd "$st" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$out"
