# cltest-timeout: 200
# cgroup v2 for real (this guest mounts cgroup2 only): limits written in the
# context's own group, the jail's cgroup namespace, a fork bomb contained by
# --pids, the OOM killer's 137 and message, cpu.max by the group's own
# accounting, --timeout through cgroup.kill, cleanup after kill -9 of cloison
# (the guardian), io.max, the BPF device program, an undelegated controller
# refused, CLOISON_CGROUP_DEVICES=v1 refused here, the accounting, cloison
# check.
set -u
CG=/sys/fs/cgroup
T=${TMPDIR:-/tmp}
R=$CL_ROOTFS
fail() {
	echo "FAIL: $*"
	exit 1
}
jail() { "$CLOISON" run --rootfs "$R" "$@"; }
# running WORDS: a process with this command line exists (no pgrep here)
# shellcheck disable=SC2009
running() { ps -o args | grep -v grep | grep -q "^$1"; }
# json KEY FILE: a value of json-c's pretty output ("key":value,)
json() { sed -n "s/.*\"$1\":\([^,]*\),*\$/\1/p" "$2" | head -1; }
# wait_group NAME: until the context's group holds its process (5 s)
wait_group() {
	for _ in $(seq 100); do
		[ -n "$(cat "$CG/cloison/$1/cgroup.procs" 2>/dev/null)" ] && return 0
		sleep 0.05
	done
	fail "$CG/cloison/$1 never held a process"
}
# gone NAME: the group is removed (within 5 s)
gone() {
	for _ in $(seq 100); do
		[ -e "$CG/cloison/$1" ] || return 0
		sleep 0.05
	done
	fail "$CG/cloison/$1 left behind"
}

# The test plays the service manager that delegates controllers to the
# cgroup cloison runs in (here the root): cloison never writes to a cgroup it
# did not create.
enabled=
for c in cpu cpuset memory pids io; do
	grep -qw $c $CG/cgroup.controllers || continue
	grep -qw $c $CG/cgroup.subtree_control && continue
	echo "+$c" >$CG/cgroup.subtree_control && enabled="$enabled $c"
done
loop=
cleanup() {
	for g in "$CG"/cloison/*/; do
		[ -d "$g" ] || continue
		echo 1 >"$g/cgroup.kill" 2>/dev/null
		sleep 0.2
		rmdir "$g"
	done
	rmdir $CG/cloison 2>/dev/null
	for c in $enabled; do echo "-$c" >$CG/cgroup.subtree_control; done
	[ -n "$loop" ] && losetup -d "$loop"
}
trap cleanup EXIT
echo "delegated: $(cat $CG/cgroup.subtree_control)"

echo "== limits land in the context's group; the jail sees it as its root"
jail --name v2lim --memory 64M --memory-high 48M --memory-swap 96M --cpus 0.5 --cpu-weight 50 \
	--pids 20 --cpuset 0 -- sh -c 'cat /proc/self/cgroup; sleep 2' >"$T/lim.out" 2>&1 &
pid=$!
wait_group v2lim
d=$CG/cloison/v2lim
for kv in memory.max=67108864 memory.high=50331648 "cpu.max=50000 100000" cpu.weight=50 pids.max=20 \
	cpuset.cpus=0; do
	f=${kv%%=*} want=${kv#*=}
	got=$(cat "$d/$f")
	echo "$f: $got"
	[ "$got" = "$want" ] || fail "$f is '$got', not '$want'"
done
if [ -e "$d/memory.swap.max" ]; then
	[ "$(cat "$d/memory.swap.max")" = 33554432 ] || fail "memory.swap.max is $(cat "$d/memory.swap.max")"
fi
wait $pid || fail "the limited run failed: $(cat "$T/lim.out")"
cat "$T/lim.out"
grep -qx '0::/' "$T/lim.out" || fail "the jail's /proc/self/cgroup is not rooted at its group"
gone v2lim

echo "== a fork bomb under --pids 32 is contained, the guest stays responsive"
jail --name v2bomb --pids 32 --timeout 6 --stats-json "$T/bomb.json" \
	-- sh -c 'bomb() { bomb | bomb & }; bomb; sleep 60' >/dev/null 2>&1 &
pid=$!
wait_group v2bomb
peak=0
for _ in 1 2 3 4 5 6 7 8 9 10; do
	cur=$(cat $CG/cloison/v2bomb/pids.current 2>/dev/null || echo 0)
	[ "$cur" -gt "$peak" ] && peak=$cur
	sleep 0.2
done
echo "pids.current peak seen: $peak"
[ "$peak" -le 32 ] || fail "pids.current reached $peak"
[ "$(timeout 10 sh -c 'for i in 1 2 3 4 5; do true; done; echo ok')" = ok ] || fail "the guest is not responsive"
rc=0
wait $pid || rc=$?
[ $rc = 124 ] || fail "fork bomb run exited $rc, not 124"
cat "$T/bomb.json"
[ "$(json peak_pids "$T/bomb.json")" -le 32 ] || fail "peak_pids above 32"
[ "$(json pids_limit_hits "$T/bomb.json")" -gt 0 ] || fail "no fork was refused"
gone v2bomb

echo "== a memory hog under --memory 32M: OOM-killed, 137 and the message"
rc=0
# shellcheck disable=SC2016 # $(...) is the jail's
out=$(jail --name v2oom --memory 32M -- sh -c 'x=$(head -c 100000000 /dev/zero | tr "\0" a); echo survived' 2>&1) || rc=$?
echo "$out"
[ $rc = 137 ] || fail "memory hog exited $rc, not 137"
echo "$out" | grep -qF 'cloison: killed by the OOM killer (memory limit 32M)' || fail "no OOM message"
gone v2oom

echo "== --cpus 0.5 (cpu.max) by the group's own accounting"
rc=0
jail --name v2cpu --cpus 0.5 --timeout 3 --stats-json "$T/cpu.json" -- sh -c 'while :; do :; done' || rc=$?
[ $rc = 124 ] || fail "busy loop exited $rc, not 124"
cat "$T/cpu.json"
u=$(json user_seconds "$T/cpu.json") s=$(json system_seconds "$T/cpu.json")
p=$(json cpu_periods "$T/cpu.json") th=$(json cpu_throttled_periods "$T/cpu.json")
echo "$u $s $p $th" | awk '{ share = ($1 + $2) / ($3 * 0.1); printf "share of a CPU per period: %.2f\n", share
	exit !($3 >= 5 && share <= 0.65 && $4 > 0) }' || fail "cpu.max did not hold the loop to half a CPU"

echo "== --timeout kills the whole context (cgroup.kill), exit 124"
rc=0
jail --name v2to --timeout 1 -- sh -c 'sleep 4242 & sleep 4242' || rc=$?
[ $rc = 124 ] || fail "--timeout run exited $rc"
sleep 0.2
running 'sleep 4242' && fail "a process of the timed-out context survived"
gone v2to

echo "== kill -9 of cloison: the guardian kills the rest and removes the group"
"$CLOISON" run --rootfs "$R" --name v2k9 --pids 50 -- sh -c 'sleep 4243 & sleep 4243' &
pid=$! # cloison's own pid (not a subshell's)
wait_group v2k9
kill -9 $pid
wait $pid
gone v2k9
for _ in $(seq 50); do running 'sleep 4243' || break; sleep 0.1; done
running 'sleep 4243' && fail "the jail survived cloison"
[ -e $CG/cloison ] && fail "$CG/cloison left behind"

echo "== the BPF device program: a loop device node cannot be read, even without nodev"
insmod "/lib/modules/$(uname -r)/kernel/drivers/block/loop.ko" 2>/dev/null
head -c 1048576 /dev/zero >"$T/disk"
printf 'CLOISON-SECRET-v2' | dd of="$T/disk" conv=notrunc 2>/dev/null
loop=$(losetup -f) || fail "no free loop device"
losetup "$loop" "$T/disk" || fail "cannot set up $loop"
maj=$(stat -c %t "$loop") min=$(stat -c %T "$loop")
maj=$((0x$maj)) min=$((0x$min))
jail --name v2io --io-max "$loop:rbps=1M,wiops=100" -- sleep 1 &
pid=$!
wait_group v2io
echo "io.max: $(cat $CG/cloison/v2io/io.max)"
grep -qx "$maj:$min rbps=1048576 wbps=max riops=max wiops=100" $CG/cloison/v2io/io.max || fail "io.max not written"
wait $pid
rc=0
out=$(jail --io-weight 300 -- cat /proc/self/cgroup 2>&1) || rc=$?
echo "--io-weight 300: $rc $out"
[ $rc = 0 ] || echo "$out" | grep -q 'no proportional I/O control' || fail "--io-weight: $out"

jail --name v2dev -- sh -c "
	while [ ! -e /mnt/ready ]; do sleep 0.05; done
	grep ' /mnt ' /proc/self/mounts
	mknod /mnt/blk b $maj $min && echo mknod-made
	head -c 32 /mnt/host-blk
	mknod /mnt/null c 1 3 && echo ok >/mnt/null && echo null-usable" >"$T/dev.out" 2>&1 &
pid=$!
wait_group v2dev
jpid=$(head -n 1 $CG/cloison/v2dev/cgroup.procs)
nsenter -t "$jpid" -m sh -c "mount -t tmpfs -o mode=755 cltest /mnt && mknod /mnt/host-blk b $maj $min && touch /mnt/ready" ||
	fail "cannot prepare /mnt in the jail"
wait $pid
cat "$T/dev.out"
grep -q CLOISON-SECRET "$T/dev.out" && fail "the jail read the loop device"
grep -q mknod-made "$T/dev.out" && fail "the jail made a loop device node"
grep -q 'host-blk.*Operation not permitted' "$T/dev.out" || fail "open was not refused by the device program"
grep -q null-usable "$T/dev.out" || fail "/dev/null's node was refused: the mount is not what the test thinks"

echo "== CLOISON_CGROUP_DEVICES=v1 without v1 controllers: an error, not a jail without device rules"
rc=0
out=$(CLOISON_CGROUP_DEVICES=v1 jail --name v2forced -- true 2>&1) || rc=$?
echo "$out"
[ $rc = 125 ] || fail "CLOISON_CGROUP_DEVICES=v1 on a v2-only host exited $rc"
echo "$out" | grep -qE 'CLOISON_CGROUP_DEVICES=v1 needs the (devices|freezer) cgroup controller, which is not mounted' || fail "no clear error"
gone v2forced

echo "== --stats: the table, from the v2 files"
out=$(jail --stats --pids 50 -- sh -c 'sleep 0.3 & sleep 0.3 & wait' 2>&1) || fail "--stats run failed: $out"
echo "$out"
for row in "wall time" "cpu user" "cpu system" "peak memory" "peak pids" "oom kills" read written; do
	echo "$out" | grep -qE "^  $row +[0-9]" || fail "no value for $row"
done
echo "$out" | grep -q '(cgroup v2)' || fail "not read from cgroup v2"

# ci-jobs: --stats-json from the v2 files, in the foreground and with run -d
echo "== --stats-json: peak memory, CPU time and I/O from the v2 files, foreground and run -d"
# shellcheck disable=SC2016 # $(...) is the jail's
job='x=$(head -c 30000000 /dev/zero | tr "\0" a); i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done'
check_stats() {
	cat "$1"
	[ "$(json cgroup_version "$1")" = 2 ] || fail "$1: not cgroup v2"
	[ "$(json peak_memory_bytes "$1")" -ge 30000000 ] || fail "$1: peak memory below 30 MB"
	[ "$(json cpu_source "$1")" = '"cgroup"' ] || fail "$1: CPU time not from cpu.stat"
	echo "$(json user_seconds "$1") $(json system_seconds "$1")" | awk '{ exit !($1 + $2 > 0) }' ||
		fail "$1: no CPU time"
	for k in read_bytes written_bytes; do
		[ "$(json $k "$1")" -ge 0 ] 2>/dev/null || fail "$1: no $k"
	done
}
jail --stats-json "$T/fg.json" -- sh -c "$job" || fail "--stats-json run failed"
check_stats "$T/fg.json"
"$CLOISON" run -d --rootfs "$R" --name v2stats --stats-json "$T/d.json" -- sh -c "$job" >/dev/null ||
	fail "run -d --stats-json failed"
[ "$(timeout 60 "$CLOISON" wait v2stats)" = 0 ] || fail "run -d --stats-json: the job did not exit 0"
"$CLOISON" rm v2stats >/dev/null || fail "cannot rm v2stats"
check_stats "$T/d.json"

echo "== a limit whose controller is not delegated is refused, not ignored"
if echo "-pids" >$CG/cgroup.subtree_control 2>/dev/null; then
	rc=0
	out=$(jail --pids 5 -- true 2>&1) || rc=$?
	echo "+pids" >$CG/cgroup.subtree_control
	echo "$out"
	[ $rc = 125 ] || fail "--pids without the pids controller exited $rc"
	echo "$out" | grep -q 'does not delegate' || fail "no clear error"
fi

echo "== cloison check"
out=$("$CLOISON" check 2>&1)
echo "$out" | sed -n '/^cgroups:/,/^$/p'
echo "$out" | grep -qE '^  memory +ok +v2 ' || fail "check: memory not usable"
echo "$out" | grep -qE '^  devices +ok +v2 BPF' || fail "check: device program not loadable"
[ -e $CG/cloison ] && fail "$CG/cloison left behind"
echo "all v2 checks passed"
