# Benchmark (run-in-guest -b io; `make bench` through tests/bench/run-bench-vm,
# never `make test`): the micro-VM's I/O against QEMU microvm's, nested on
# the outer guest's /dev/kvm (kvm-amd on emulated AMD-V).  Both VMMs boot
# the same kernel with the same initramfs (the one cloison wrote for the
# run: cloison-init and its spec), the same command line, 512 MiB and one
# vCPU, the same ext4 image as the root disk (virtio-blk; QEMU's default
# cache=writeback and aio=threads, as cloison's preadv/pwritev and
# fdatasync), and a virtio-net NIC on a tap on the same bridge with the same
# address (QEMU's tap made with tunctl, cloison's its own), both virtio-mmio
# version 2.  In the guest, cloison-bench-work runs the disk (sequential
# write + fsync, read back with the page cache dropped), fsync (4 KiB write
# + fdatasync) and tcp (stream, 1-byte request/response) workloads against
# one peer on the bridge's address (`cloison bench --peer`).  The VMMs take
# turns, run by run.  Prints "BENCH io ..." lines (medians, ratios) that
# tests/bench/run-bench-vm reads.  Nested-emulation figures: the ratios,
# not the absolute values, are what they are good for.
# Exit 0 = ran, 77 = cannot run here (last line says why), else failed.
# cltest-timeout: 1200
# (busybox sh runs it: no arrays)
set -u
RUNS=${BENCH_IO_RUNS:-3}
SIZE=64
TAP=clq0
GIP=10.88.0.200
CMDLINE="console=ttyS0 panic=-1 pci=off 8250.nr_uarts=1 i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd tsc=reliable no_timer_check reboot=k quiet loglevel=1"
CACHE=/var/cache/cloison/initramfs
W=$TMPDIR/io

note() { echo "$*"; echo "CLTEST note io: $*" >/dev/console; }
[ -c /dev/kvm ] || { echo "no /dev/kvm in the outer guest"; exit 77; }
command -v qemu-system-x86_64 >/dev/null || { echo "qemu-system-x86_64 not copied in"; exit 77; }

echo /bin/modprobe >/proc/sys/kernel/modprobe
for m in bridge tun veth nf_tables nft_chain_nat nft_masq nft_nat nft_ct; do modprobe $m 2>/dev/null; done
export CLOISON_NET_DIR=/tmp/cl-io-net
peer=
cleanup() {
	[ -n "$peer" ] && kill "$peer" 2>/dev/null && wait "$peer"
	ip link del "$TAP" 2>/dev/null
}
trap cleanup EXIT

# the bridge (a first bridged jail makes it) and its address
timeout -k 5 60 "$CLOISON" run --rootfs "$CL_ROOTFS" --net bridge -- true || { echo "no bridged jail"; exit 1; }
BR=cl-br0
BRIP=$(ip -4 -o addr show dev $BR | awk '{print $4}' | cut -d/ -f1)
[ -n "$BRIP" ] || { echo "$BR has no IPv4 address"; exit 1; }

# the one peer both guests' workloads talk to
mkdir -p "$W/img/mnt/disk" "$W/img/dev" "$W/img/proc" "$W/img/sys" "$W/img/tmp" "$W/img/run"
"$CLOISON" bench --peer "$BRIP" >"$W/peer.out" 2>&1 &
peer=$!
for _ in $(seq 100); do [ -s "$W/peer.out" ] && break; sleep 0.1; done
read -r _ _ _ PORT _ TOKEN _ WORK <"$W/peer.out" || { cat "$W/peer.out"; exit 1; }
[ -x "$WORK" ] || { echo "no workload binary: $(cat "$W/peer.out")"; exit 1; }
cp "$WORK" "$W/img/mnt/cloison-bench-work"
"$(command -v /usr/sbin/mke2fs /sbin/mke2fs | head -1)" -q -F -t ext4 -d "$W/img" "$W/vm.img" $((SIZE + 96))M || { echo "mke2fs failed"; exit 1; }

run_cloison() { # OUT
	timeout -k 5 600 "$CLOISON" run --vm --kernel "$CL_KERNEL" --memory 512M --disk "$W/vm.img" \
		--net bridge --ip "$GIP" -- /mnt/cloison-bench-work -s "$SIZE" -t /dev/shm -d /mnt/disk \
		-p "$PORT" -k "$TOKEN" disk fsync tcp >"$1" 2>&1
}
# isa-debug-exit: (status << 1) | 1; the workload exits 0, or 1 when a figure failed
run_qemu() { # OUT CPU
	timeout -k 5 600 qemu-system-x86_64 -M microvm,x-option-roms=off,isa-serial=on,rtc=off \
		-enable-kvm -cpu "$2" -m 512M -smp 1 -nodefaults -no-user-config -nographic \
		-serial stdio -device isa-debug-exit,iobase=0x501,iosize=2 \
		-global virtio-mmio.force-legacy=false \
		-kernel "$CL_KERNEL" -initrd "$INITRD" -append "$CMDLINE" \
		-drive "id=d0,file=$W/vm.img,format=raw,if=none" -device virtio-blk-device,drive=d0 \
		-netdev "tap,id=n0,ifname=$TAP,script=no,downscript=no" \
		-device virtio-net-device,netdev=n0 </dev/null >"$1" 2>&1
	rc=$?
	[ $rc = 1 ] || [ $rc = 3 ]
}

# warm-up, and the initramfs cloison wrote for that spec: QEMU boots it
run_cloison "$W/warm.out" || { cat "$W/warm.out"; echo "cloison run --vm failed"; exit 1; }
# shellcheck disable=SC2010 # content-addressed names: hex digits only
INITRD=$(ls -t "$CACHE"/*.cpio 2>/dev/null | grep -v '/base-' | head -1)
[ -n "$INITRD" ] || { echo "no initramfs in $CACHE"; exit 1; }

tunctl -t "$TAP" >/dev/null || { echo "tunctl failed"; exit 1; }
{ brctl addif "$BR" "$TAP" && ip link set "$TAP" up; } || { echo "cannot put $TAP on $BR"; exit 1; }
# QEMU's -cpu host trips on MSRs some KVMs refuse: the first model that
# runs the workload (the warm-up)
QCPU=
for cpu in host host,-arch-capabilities max; do
	if run_qemu "$W/qwarm.out" "$cpu" && [ $rc = 1 ]; then
		QCPU=$cpu
		echo "BENCH io qemu_cpu $cpu"
		break
	fi
	echo "qemu -cpu $cpu: exit $rc"
	tail -n 5 "$W/qwarm.out"
done
[ -n "$QCPU" ] || { echo "QEMU microvm could not run the workload"; exit 1; }

: >"$W/samples"
for i in $(seq "$RUNS"); do
	for vmm in cloison qemu; do
		note "run $i/$RUNS: $vmm"
		if ! "run_$vmm" "$W/$vmm.$i.out" "$QCPU"; then
			echo "$vmm run $i failed:"
			tail -n 10 "$W/$vmm.$i.out"
			continue
		fi
		tr -d '\r' <"$W/$vmm.$i.out" | grep -E '^(disk-write|disk-read|fsync|tcp-stream|tcp-rr) [0-9.]+ ' |
			awk -v v="$vmm" '{print v, $1, $2}' >>"$W/samples"
		tr -d '\r' <"$W/$vmm.$i.out" | grep '^FAIL ' | sed "s/^/$vmm: /"
	done
done

# medians, then cloison against QEMU: >= 1.00 is at least QEMU's (for the
# latencies, QEMU's over cloison's)
sed 's/^/BENCH io sample /' "$W/samples"
sort -k1,1 -k2,2 -k3,3g "$W/samples" | awk '
	{ k = $1 " " $2; n[k]++; v[k, n[k]] = $3 }
	END {
		nm = split("disk-write MiB/s up;disk-read MiB/s up;fsync us/op down;tcp-stream MiB/s up;tcp-rr us/round-trip down", m, ";")
		for (i = 1; i <= nm; i++) {
			split(m[i], f, " ")
			c = "cloison " f[1]
			q = "qemu " f[1]
			if (!(c in n) || !(q in n)) {
				printf "BENCH io %s n/a (cloison %d, qemu %d samples)\n", f[1], n[c], n[q]
				continue
			}
			mc = v[c, int((n[c] + 1) / 2)]
			mq = v[q, int((n[q] + 1) / 2)]
			if (f[3] == "up")
				r = mc / mq
			else
				r = mq / mc
			goal = "MISS"
			if (r >= 1)
				goal = "PASS"
			printf "BENCH io %s cloison %.1f qemu %.1f %s ratio %.2f %s\n", f[1], mc, mq, f[2], r, goal
		}
	}'
