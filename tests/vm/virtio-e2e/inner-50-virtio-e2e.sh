# cltest-timeout: 200
E=$CL_ROOT/tests/vm/e2e
dd if=/dev/zero of=$TMPDIR/disk.img bs=1M count=4 2>/dev/null
printf 'CLOISON-DISK-SECTOR0' | dd of=$TMPDIR/disk.img conv=notrunc 2>/dev/null
printf 'READ-ONLY-DISK' > $TMPDIR/ro.img; dd if=/dev/zero bs=1k count=63 >> $TMPDIR/ro.img 2>/dev/null
$E/cl-virtio-e2e $CL_KERNEL $E/nested.cpio $TMPDIR/disk.img $TMPDIR/hvc.out $TMPDIR/ro.img 2>&1 | tr -d '\r' | grep -E 'E2E|cloison|Kernel panic|virtio|error' | head -60
echo "hvc output: $(wc -c < $TMPDIR/hvc.out) bytes, head '$(head -c 40 $TMPDIR/hvc.out | tr -d '\r' | tr '\n' '|')' tail '$(tail -c 12 $TMPDIR/hvc.out | tr -d '\r' | tr '\n' '|')'"
echo "sector1 on host: '$(dd if=$TMPDIR/disk.img bs=512 skip=1 count=1 2>/dev/null | head -c 16)'"
echo "ro disk unchanged: $(head -c 14 $TMPDIR/ro.img) size $(wc -c < $TMPDIR/ro.img)"
