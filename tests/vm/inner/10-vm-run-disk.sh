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
