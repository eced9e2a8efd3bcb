# The guest carries what a nested cloison micro-VM needs: the kernel image and
# /lib/modules/<ver> from which the initramfs writer takes the virtio modules.
set -e
[ -r "$CL_KERNEL" ] || { echo "no $CL_KERNEL"; exit 1; }
img=$(/cloison/build/tests/cl-mkinitramfs --init "$CLOISON_INIT" --cache "$TMPDIR/cache" \
	--modules "$CL_MODULES" --rootfs "$CL_ROOTFS" -- /bin/true)
cpio -t <"$img" >"$TMPDIR/list" 2>/dev/null
for m in virtio_mmio virtio_blk virtio_console; do
	grep -qx ".cloison/modules/$m.ko" "$TMPDIR/list" || { echo "no $m.ko in $img"; exit 1; }
done
ls -l "$img"
