# Benchmark (run-in-guest -b boot; `make bench` only, never `make test`):
# Linux boot to the command, `cloison run --vm` against QEMU microvm, on the
# outer guest's /dev/kvm (kvm-amd on emulated AMD-V), with the same kernel,
# the same initramfs (the one cloison wrote: cloison-init, the busybox
# rootfs, the virtio modules, the spec for /bin/true), the same command line,
# 256 MiB and 1 vCPU. cloison-init reports through port 0x501, which is
# QEMU's isa-debug-exit here: QEMU exits 1 for status 0 ((0 << 1) | 1).
# Prints "BENCH key value" lines that tests/bench/run-bench-vm reads.
# Exit 0 = ran, 77 = cannot run here (last line says why), else failed.
# cltest-timeout: 230
set -u
RUNS=3
K=$CL_KERNEL
CACHE=/var/cache/cloison/initramfs
# cloison's own command line (src/vm/launch.c, CL_VM_CMDLINE + quiet)
CMDLINE="console=ttyS0 panic=-1 pci=off 8250.nr_uarts=1 i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd tsc=reliable no_timer_check reboot=k quiet loglevel=1"

# progress on the console as it happens (the harness shows a test's output
# only when it ends; run-in-guest ignores these lines)
note() { echo "$*"; echo "CLTEST note boot: $*" >/dev/console; }

[ -c /dev/kvm ] || { echo "no /dev/kvm in the outer guest"; exit 77; }
command -v qemu-system-x86_64 >/dev/null || { echo "qemu-system-x86_64 not copied in"; exit 77; }
command -v hyperfine >/dev/null || { echo "hyperfine not copied in"; exit 77; }

# warm-up: cloison writes (and caches) its initramfs; time it on the way
t0=$(cut -d' ' -f1 /proc/uptime)
CLOISON_VM_TIMES=1 "$CLOISON" run --vm --kernel "$K" --rootfs "$CL_ROOTFS" -- /bin/true 2>"$TMPDIR/warm.err"
rc=$?
t1=$(cut -d' ' -f1 /proc/uptime)
cat "$TMPDIR/warm.err"
[ $rc = 0 ] || { echo "cloison run --vm failed (exit $rc)"; exit 1; }
note "BENCH warmup_s $(echo "$t0 $t1" | awk '{print $2 - $1}')"
# the image cloison just used: the newest that is not a base-*.cpio
# shellcheck disable=SC2010 # content-addressed names: hex digits only
INITRD=$(ls -t "$CACHE"/*.cpio 2>/dev/null | grep -v '/base-' | head -1)
[ -n "$INITRD" ] || { echo "no initramfs in $CACHE"; exit 1; }
echo "BENCH initrd $INITRD $(wc -c <"$INITRD")"

# QEMU's -cpu host trips on MSRs some KVMs refuse (arch-capabilities): take
# the first model that boots
QEMU=
for cpu in host host,-arch-capabilities max; do
	q="qemu-system-x86_64 -M microvm,x-option-roms=off,isa-serial=on,rtc=off -enable-kvm -cpu $cpu -m 256M -smp 1 -nodefaults -no-user-config -nographic -serial stdio -device isa-debug-exit,iobase=0x501,iosize=2 -kernel $K -initrd $INITRD"
	t0=$(cut -d' ' -f1 /proc/uptime)
	$q -append "$CMDLINE" </dev/null >"$TMPDIR/q.out" 2>&1
	rc=$?
	t1=$(cut -d' ' -f1 /proc/uptime)
	if [ $rc = 1 ]; then
		QEMU=$q
		echo "BENCH qemu_cpu $cpu"
		note "BENCH qemu_warmup_s $(echo "$t0 $t1" | awk '{print $2 - $1}')"
		break
	fi
	echo "qemu -cpu $cpu: exit $rc"
	tail -n 5 "$TMPDIR/q.out"
done
[ -n "$QEMU" ] || { echo "QEMU microvm could not boot the kernel"; exit 1; }

note "hyperfine: $RUNS runs each"
# -N: no shell; -i: QEMU's exit status is 1 for a clean exit (both were
# checked above). --show-output keeps cloison's phase lines.
timeout 150 hyperfine -N -i --show-output --runs $RUNS --export-csv "$TMPDIR/hf.csv" \
	-n cloison "env CLOISON_VM_TIMES=1 $CLOISON run --vm --kernel $K --rootfs $CL_ROOTFS -- /bin/true" \
	-n qemu "$QEMU -append '$CMDLINE'" >"$TMPDIR/hf.out" 2>&1
rc=$?
grep -E "^(Benchmark|  Time|  Range)" "$TMPDIR/hf.out"
[ $rc = 0 ] || { tail -n 20 "$TMPDIR/hf.out"; echo "hyperfine failed ($rc)"; exit 1; }
# command,mean,stddev,median,user,system,min,max
awk -F, 'NR > 1 { printf "BENCH median %s %s\nBENCH cpu %s %s\n", $1, $4, $1, $5 + $6 }' "$TMPDIR/hf.csv"
grep -h "cloison: vm times" "$TMPDIR/warm.err" "$TMPDIR/hf.out" | sed 's/^/BENCH times /'
exit 0
