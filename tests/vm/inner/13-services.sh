# cltest-timeout: 180
# Detached jails on a cgroup2-only host, and as micro-VMs: run -d, ps (its
# memory and limit from the v2 files), logs, stop, rm; run -d --vm with the
# guest's console in the log, ps saying vm, stop ending it (its stop signal
# to the VMM's launcher, then SIGKILL), nothing left after rm.
set -u
fails=0
B=$CLOISON
check() { # NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then echo "ok: $1"; else echo "FAIL: $1: expected '$2', got '$3'"; fails=$((fails + 1)); fi
}
field() { "$B" inspect "$1" | sed -n "s/^ *\"$2\":\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" | head -1; }
until_status() { # NAME STATUS SECONDS
	for _ in $(seq $(($3 * 10))); do
		[ "$(field "$1" status)" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# the test plays the service manager that delegates controllers to the
# cgroup cloison runs in (here the root), as 11-cgroup-v2 does
CG=/sys/fs/cgroup
enabled=
for c in memory pids; do
	grep -qw $c $CG/cgroup.controllers || continue
	grep -qw $c $CG/cgroup.subtree_control && continue
	echo "+$c" >$CG/cgroup.subtree_control && enabled="$enabled $c"
done
cleanup() {
	"$B" rm -f v2svc vmsvc >/dev/null 2>&1
	rmdir $CG/cloison 2>/dev/null
	for c in $enabled; do echo "-$c" >$CG/cgroup.subtree_control; done
}
trap cleanup EXIT

name=$("$B" run -d --rootfs "$CL_ROOTFS" --name v2svc --memory 48M -- /bin/sh -c 'echo svc-up; exec sleep 1000')
check "run -d prints the name" v2svc "$name"
check "running" running "$(field v2svc status)"
ps_line=$("$B" ps | grep '^v2svc ')
case "$ps_line" in *"/ 48.0MiB"*) echo "ok: ps memory limit from memory.max" ;; *) echo "FAIL: ps: $ps_line"; fails=$((fails + 1)) ;; esac
cg=$("$B" inspect v2svc | sed -n 's/.*"path":"\([^"]*\)".*/\1/p' | head -1)
check "v2 group recorded" 48 "$(($(cat "$cg/memory.max") >> 20))"
for _ in $(seq 50); do "$B" logs v2svc | grep -q svc-up && break; sleep 0.1; done
check "logs" svc-up "$("$B" logs v2svc)"
"$B" stop -t 1 v2svc >/dev/null
check "stopped" stopped "$(field v2svc status)"
[ ! -e "$cg" ]
check "its group removed" 0 $?
"$B" rm v2svc >/dev/null
[ ! -e /run/cloison/jails/v2svc ]
check "rm removes the state" 0 $?

name=$("$B" run -d --vm --kernel "$CL_KERNEL" --rootfs "$CL_ROOTFS" --name vmsvc -- /bin/sh -c 'echo vm-up; exec sleep 1000')
check "run -d --vm prints the name" vmsvc "$name"
check "vm mode" vm "$(field vmsvc mode)"
for _ in $(seq 300); do "$B" logs vmsvc 2>/dev/null | grep -q vm-up && break; sleep 0.1; done
case "$("$B" logs vmsvc 2>&1)" in *vm-up*) echo "ok: the guest's console is in the log" ;; *) echo "FAIL: no vm-up in the log"; "$B" logs vmsvc; fails=$((fails + 1)) ;; esac
case "$("$B" ps | grep '^vmsvc ')" in *" vm "*up*) echo "ok: ps lists it as vm" ;; *) echo "FAIL: ps: $("$B" ps)"; fails=$((fails + 1)) ;; esac
# the VMM's cgroup recorded: its memory in ps (the guest's RAM it touched)
for _ in $(seq 50); do "$B" inspect vmsvc | grep -q '"cgroups"' && break; sleep 0.1; done
case "$("$B" ps | grep '^vmsvc ')" in *MiB*) echo "ok: ps shows the VMM's memory" ;; *) echo "FAIL: no memory for the VM: $("$B" ps)"; "$B" inspect vmsvc; fails=$((fails + 1)) ;; esac
timeout 60 "$B" stop -t 2 vmsvc >/dev/null
check "stop ends the VM" stopped "$(field vmsvc status)"
"$B" rm vmsvc >/dev/null
[ ! -e /run/cloison/jails/vmsvc ]
check "rm removes it" 0 $?
# shellcheck disable=SC2009
for _ in $(seq 50); do
	left=$(ps -o pid,stat,args | grep -v grep | grep 'cloison-monitor\|vmsvc')
	[ -z "$left" ] && break
	sleep 0.1
done
check "no process left" "" "$left"

[ $fails -eq 0 ]
