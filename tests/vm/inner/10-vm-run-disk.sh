# --disk: an ext4 image made by rootfs-tools/mkimage-ext4 is the guest's root
# over virtio-blk; a write in one run is there in the next, unless --overlay.
# cltest-timeout: 120
set -eu
img=$TMPDIR/root.img
MKE2FS=$(command -v /usr/sbin/mke2fs /sbin/mke2fs | head -1) "$CL_ROOT/rootfs-tools/mkimage-ext4" "$CL_ROOTFS" "$img" 64M
"$CLOISON" run --vm --kernel "$CL_KERNEL" --disk "$img" -- /bin/sh -c 'echo persisted > /written; sync'
out=$("$CLOISON" run --vm --kernel "$CL_KERNEL" --disk "$img" -- /bin/sh -c 'cat /written; grep " / " /proc/mounts')
echo "$out"
echo "$out" | grep -qx persisted
echo "$out" | grep -q '^/dev/vda / ext4'
# --overlay: the guest writes its disk, the image is not written (a private
# mapping of it in the VMM)
sum=$(sha256sum <"$img")
out=$("$CLOISON" run --vm --kernel "$CL_KERNEL" --disk "$img" --overlay -- /bin/sh -c 'echo gone > /written; rm -f /bin/ls; sync; cat /written')
echo "$out"
echo "$out" | grep -qx gone
[ "$(sha256sum <"$img")" = "$sum" ]
out=$("$CLOISON" run --vm --kernel "$CL_KERNEL" --disk "$img" -- /bin/sh -c 'cat /written; ls /bin/ls')
echo "$out" | grep -qx persisted
# I/O off the vCPU: the disk's queue notifications reach its I/O thread by
# ioeventfd and its interrupts go back by a resampling irqfd (kvm-amd has
# both); 32 MiB written with fsync and read back through them
out=$(CLOISON_VM_DEBUG=1 "$CLOISON" run --vm --kernel "$CL_KERNEL" --disk "$img" -- /bin/sh -c \
	'dd if=/dev/zero of=/big bs=1M count=32 conv=fsync 2>&1 | tail -1; echo 3 >/proc/sys/vm/drop_caches;
	 dd if=/big of=/dev/null bs=1M 2>&1 | tail -1; rm /big; echo io-done' 2>&1)
echo "$out" | grep -E 'cloison: virtio|io-done|copied'
echo "$out" | grep -q 'cloison: virtio-blk: notifications by ioeventfd, interrupts by irqfd'
echo "$out" | grep -q '^io-done'
