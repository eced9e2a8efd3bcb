# Benchmark (run-in-guest -b contrast; `make bench-nested` only, never `make
# test`): the whole `cloison bench` on the outer guest, where /dev/kvm is
# kvm-amd on QEMU's emulated AMD-V, so that the micro-VM column exists.
# Every figure here is a nested-emulation figure: the outer guest runs under
# TCG (binary translation), so the host column is itself emulated and the
# percentages, not the absolute values, are what to read.  Prints the table,
# then the JSON and the SVG as one line each (BENCHJSON, BENCHSVG) for
# tests/bench/run-bench-nested to extract.
# Exit 0 = ran, 77 = cannot run here (last line says why), else failed.
# cltest-timeout: 2400
set -u
[ -c /dev/kvm ] || { echo "no /dev/kvm in the outer guest"; exit 77; }
RUNS=2
# the density count makes a memory cgroup below cloison's (the root here):
# the root must hand the controller down, as a service manager would
CG=/sys/fs/cgroup
enabled=
for c in memory pids cpu; do
	grep -qw $c $CG/cgroup.subtree_control && continue
	echo "+$c" >$CG/cgroup.subtree_control && enabled="$enabled $c"
done
# the bridge, taps and NAT of the tcp workload (container and micro-VM)
echo /bin/modprobe >/proc/sys/kernel/modprobe
for m in bridge tun veth nf_tables nft_chain_nat nft_masq nft_nat nft_ct; do modprobe $m 2>/dev/null; done
"$CLOISON" bench --rootfs "$CL_ROOTFS" --kernel "$CL_KERNEL" --runs "$RUNS" --size 16 \
	--startup-runs 5 --density-max 8 --dir /tmp \
	--label "nested emulation: QEMU TCG, emulated AMD-V, kvm-amd" \
	--json "$TMPDIR/bench.json" --svg "$TMPDIR/bench.svg" 2>"$TMPDIR/bench.err"
rc=$?
tail -n 20 "$TMPDIR/bench.err"
[ -s "$TMPDIR/bench.json" ] && echo "BENCHJSON $(tr -d '\n' <"$TMPDIR/bench.json")"
[ -s "$TMPDIR/bench.svg" ] && echo "BENCHSVG $(tr -d '\n' <"$TMPDIR/bench.svg")"
for c in $enabled; do echo "-$c" >$CG/cgroup.subtree_control; done
exit $rc
