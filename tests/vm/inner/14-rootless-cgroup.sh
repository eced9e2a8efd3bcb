# cltest-timeout: 150
# Rootless limits in a delegated cgroup2 subtree (issue 12, rootless parity).
# Root plays systemd's user@.service with Delegate=yes: it makes a group for
# a test user (uid 1500), gives the user the group and its cgroup.procs,
# cgroup.subtree_control and cgroup.threads, enables memory and pids for it
# in the root's subtree_control, and starts the user's cloison in it.  Then,
# as that user: --memory/--pids land in the jail's group below the user's
# (cloison moves itself into a leaf to let the group give controllers, and
# undoes it); the same after kill -9 of cloison (its guardian undoes it);
# and the refusals: a group not delegated, a controller the parent does not
# give, a delegated group holding another process.  Nothing is left.
set -u
CG=/sys/fs/cgroup
U=1500
D=$CG/cltest-user
N=$CG/cltest-nodeleg
T=${TMPDIR:-/tmp}
fail() {
	echo "FAIL: $*"
	for f in "$T"/*.out; do [ -s "$f" ] && echo "--- $f:" && cat "$f"; done
	exit 1
}
enabled=
cleanup() {
	for g in "$D"/cloison/*/ "$D"/cloison-*/ "$D"/cloison/ "$N"/; do
		[ -d "$g" ] || continue
		echo 1 >"$g/cgroup.kill" 2>/dev/null
		sleep 0.2
		rmdir "$g" 2>/dev/null
	done
	[ -d "$D" ] && for p in $(cat "$D/cgroup.procs" 2>/dev/null); do kill -9 "$p"; done
	sleep 0.2
	rmdir "$D" 2>/dev/null
	for c in $enabled; do echo "-$c" >$CG/cgroup.subtree_control; done
}
trap cleanup EXIT
# as_user IN-GROUP CMD...: CMD as the test user, started in the group
as_user() {
	g=$1
	shift
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$g" \
		/usr/bin/setpriv --reuid=$U --regid=$U --clear-groups env -i PATH=/usr/bin:/bin:/sbin HOME=/tmp "$@"
}
# json-free: the value of FILE in a group
val() { cat "$1/$2" 2>/dev/null; }
# wait_group DIR: until DIR holds a process (5 s)
wait_group() {
	for _ in $(seq 100); do
		[ -n "$(cat "$1/cgroup.procs" 2>/dev/null)" ] && return 0
		sleep 0.05
	done
	fail "$1 never held a process"
}
# restored: the delegated group is as root made it (5 s)
restored() {
	for _ in $(seq 100); do
		set -- "$D"/cloison* 
		[ ! -e "$1" ] && [ -z "$(val "$D" cgroup.subtree_control)" ] && [ -z "$(val "$D" cgroup.procs)" ] && return 0
		sleep 0.05
	done
	ls -la "$D"
	echo "subtree_control: $(val "$D" cgroup.subtree_control); procs: $(val "$D" cgroup.procs)"
	fail "$D not restored"
}

for c in memory pids; do
	grep -qw $c $CG/cgroup.subtree_control && continue
	echo "+$c" >$CG/cgroup.subtree_control && enabled="$enabled $c"
done
grep -qw cpu $CG/cgroup.subtree_control && fail "cpu is enabled at the root already: the test needs it not given"
mkdir "$D" || fail "cannot make $D"
chown $U:$U "$D" "$D/cgroup.procs" "$D/cgroup.subtree_control" "$D/cgroup.threads"
echo "delegated $D: $(val "$D" cgroup.controllers)"
R=$T/rootfs
cp -a "$CL_ROOTFS/." "$R" && chmod 755 "$T" "$R" || fail "cannot copy the rootfs"
C=$T/cloison
cp "$CLOISON" "$C"
chmod 755 "$C"
jail() { as_user "$D" "$C" run --rootfs "$R" "$@"; }

echo "== --memory and --pids as the user, in the jail's group below the user's"
jail --name rl1 --memory 64M --pids 20 -- sh -c 'cat /proc/self/cgroup; id -u; sleep 2' >"$T/rl1.out" 2>&1 &
pid=$!
wait_group "$D/cloison/rl1"
for kv in memory.max=67108864 pids.max=20; do
	f=${kv%%=*} want=${kv#*=}
	got=$(val "$D/cloison/rl1" "$f")
	echo "$f: $got"
	[ "$got" = "$want" ] || fail "$f is '$got', not '$want'"
done
# cloison_pid: cloison's own, from its leaf's name, which it is in
cloison_pid() {
	leaf=$(ls -d "$D"/cloison-[0-9]* 2>/dev/null)
	p=${leaf##*/cloison-}
	grep -qx "$p" "$leaf/cgroup.procs" 2>/dev/null || fail "cloison is not alone in its leaf '$leaf'"
	echo "$p"
}
echo "cloison's own leaf: $(ls -d "$D"/cloison-* 2>/dev/null), subtree_control: $(val "$D" cgroup.subtree_control)"
cloison_pid >/dev/null
wait $pid || fail "the limited run failed: $(cat "$T/rl1.out")"
cat "$T/rl1.out"
grep -qx '0::/' "$T/rl1.out" || fail "the jail's cgroup is not its root"
restored

echo "== a memory hog under --memory 32M is OOM-killed, as the user"
rc=0
# shellcheck disable=SC2016 # $(...) is the jail's
out=$(jail --memory 32M -- sh -c 'x=$(head -c 100000000 /dev/zero | tr "\0" a); echo survived' 2>&1) || rc=$?
echo "$out"
[ $rc = 137 ] || fail "memory hog exited $rc, not 137"
restored

echo "== kill -9 of cloison: its guardian kills the jail and undoes the delegation steps"
jail --name rl2 --pids 30 -- sh -c 'sleep 4244 & sleep 4244' >/dev/null 2>&1 &
pid=$!
wait_group "$D/cloison/rl2"
cpid=$(cloison_pid)
kill -9 "$cpid"
wait $pid
restored
for _ in $(seq 50); do ps -o args | grep -v grep | grep -q '^sleep 4244' || break; sleep 0.1; done
ps -o args | grep -v grep | grep -q '^sleep 4244' && fail "the jail survived cloison"

echo "== without a limit: as before (a group, no controller)"
jail -- true || fail "a rootless run without limits failed"
restored

echo "== refused: a controller the parent does not give"
rc=0
out=$(jail --cpus 0.5 -- true 2>&1) || rc=$?
echo "$out"
[ $rc = 125 ] || fail "--cpus exited $rc"
echo "$out" | grep -q "the cpu limit as an ordinary user: not enabled in the parent's cgroup.subtree_control ($CG does not give cpu to $D)" || fail "no clear error"
restored

echo "== refused: the delegated group holds another process"
as_user "$D" sleep 30 &
other=$!
wait_group "$D"
rc=0
out=$(jail --pids 10 -- true 2>&1) || rc=$?
sleeper=$(cat "$D/cgroup.procs")
kill $sleeper
wait $other
echo "$out"
[ $rc = 125 ] || fail "--pids beside another process exited $rc"
echo "$out" | grep -q "holds other processes (pid $sleeper)" || fail "no clear error"
restored

echo "== refused: a group that is not delegated (root's)"
mkdir "$N"
rc=0
out=$(as_user "$N" "$C" run --rootfs "$R" --memory 64M -- true 2>&1) || rc=$?
echo "$out"
[ $rc = 125 ] || fail "--memory in a root-owned group exited $rc"
echo "$out" | grep -q "not delegated: the cgroup $N is owned by uid 0, not uid $U" || fail "no clear error"
[ -z "$(ls -d "$N"/*/ 2>/dev/null)" ] || fail "something was made in $N"
rmdir "$N"

echo "== cloison check, as the user"
out=$(as_user "$D" "$C" check 2>&1)
echo "$out" | sed -n '/^rootless:/,/^$/p'
echo "$out" | grep -qE '^  memory +ok +' || fail "check: memory not usable rootless"
echo "$out" | grep -qE "^  cpu +-- +not enabled in the parent's cgroup.subtree_control" || fail "check: cpu's reason"
restored
echo "all rootless cgroup checks passed"
