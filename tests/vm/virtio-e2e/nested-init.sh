#!/bin/sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in virtio_ring virtio virtio_mmio virtio_blk virtio_console; do
	insmod /lib/$m.ko || echo "E2E insmod $m failed"
done
i=0
while [ ! -b /dev/vda ] || [ ! -c /dev/hvc0 ]; do
	i=$((i + 1)); [ $i -gt 50 ] && break; sleep 0.1
done
echo "E2E virtio devices: $(ls /sys/bus/virtio/devices | tr '\n' ' ')"
for d in /sys/bus/virtio/devices/*; do echo "E2E $d device=$(cat $d/device) features=$(cat $d/features)"; done
echo "E2E vda size=$(cat /sys/block/vda/size) ro=$(cat /sys/block/vda/ro) serial=$(cat /sys/block/vda/serial 2>/dev/null)"
echo "E2E sector0=$(dd if=/dev/vda bs=512 count=1 2>/dev/null | head -c 20)"
echo "E2E big read md5=$(dd if=/dev/vda bs=1M count=4 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)"
echo "WRITTEN-BY-GUEST" | dd of=/dev/vda bs=512 seek=1 conv=sync,fsync 2>/dev/null && echo "E2E wrote sector 1"
dd if=/dev/urandom of=/tmp/r bs=1M count=3 2>/dev/null
dd if=/tmp/r of=/dev/vda bs=1M seek=1 oflag=direct conv=fsync 2>/dev/null
echo "E2E urandom md5=$(md5sum < /tmp/r | cut -d' ' -f1) readback md5=$(dd if=/dev/vda bs=1M skip=1 count=3 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)"
exec 3<>/dev/hvc0
stty -F /dev/hvc0 -echo 2>/dev/null
echo "hello from hvc0" >&3 && echo "E2E wrote hvc0"
line=
read -t 5 line <&3
echo "E2E hvc0 read: '$line'"
seq 1 20000 >&3 && echo "E2E wrote 108894 bytes to hvc0"
exec 3>&-
echo "E2E interrupts: $(grep -i virtio /proc/interrupts | tr -s ' ' | tr '\n' ';')"
dmesg | grep -i -E 'virtio|vda' | sed 's/^/E2E dmesg: /'
echo "E2E vdb ro=$(cat /sys/block/vdb/ro) first=$(dd if=/dev/vdb bs=512 count=1 2>/dev/null | head -c 11)"
echo x | dd of=/dev/vdb bs=512 seek=2 conv=sync,fsync 2>/dev/null && echo "E2E vdb write succeeded (BAD)" || echo "E2E vdb write refused"
mke2fs -q /dev/vda 2>&1 | head -3
mkdir -p /mnt && mount -t ext4 /dev/vda /mnt && echo "E2E mounted ext2 via ext4 driver"
dd if=/dev/urandom of=/mnt/f bs=64k count=16 2>/dev/null; m1=$(md5sum < /mnt/f)
for i in $(seq 1 50); do echo "file $i" > /mnt/small$i; done
umount /mnt && mount -t ext4 /dev/vda /mnt && m2=$(md5sum < /mnt/f)
echo "E2E fs roundtrip $( [ "$m1" = "$m2" ] && echo ok || echo MISMATCH) small50=$(cat /mnt/small50) files=$(ls /mnt | wc -l)"
umount /mnt
sync && echo "E2E synced"
echo "E2E done"
echo "E2E uptime $(cat /proc/uptime)"
# stop the VM: the VMM stops on a kernel panic seen on the console
echo c > /proc/sysrq-trigger
