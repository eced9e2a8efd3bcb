#!/usr/bin/env bats
# The micro-VM monitor confines itself after set-up (src/vm/jail.c):
# namespaces, an empty read-only root, no capabilities, no_new_privs, seccomp.
# Uses the freestanding test guest; its "testguest-spin" command (found in
# the initramfs spec) keeps the guest busy so the running monitor can be
# inspected, then killed.  Debian's kernel with the jail: tests/vm-nested.bats.

load helpers

TESTGUEST="$TOP/build/testguest.bzImage"
CACHE=/var/cache/cloison/initramfs

setup() {
	[ -c /dev/kvm ] || skip "no /dev/kvm"
	TMP=$(mktemp -d)
	CL_PID=
}

teardown() {
	[ -n "$CL_PID" ] && kill -9 "$CL_PID" 2>/dev/null
	[ -n "${VMM_PID:-}" ] && kill -9 "$VMM_PID" 2>/dev/null
	rm -rf "$TMP"
}

# spin [env...]: start cloison with a spinning guest in the background; sets
# CL_PID (cloison) and VMM_PID (its monitor child; empty when there is none)
# once the guest runs, i.e. once the monitor and its threads are confined.
spin() {
	# with -i: console input from a fifo held open, so the input thread runs
	mkfifo "$TMP/in"
	exec 5<>"$TMP/in"
	env "$@" "$CLOISON" run --vm -i --kernel "$TESTGUEST" -- testguest-spin <"$TMP/in" >"$TMP/out" 2>&1 &
	CL_PID=$!
	exec 5>&-
	for _ in $(seq 100); do
		grep -q "testguest: spinning" "$TMP/out" && break
		sleep 0.1
	done
	grep -q "testguest: spinning" "$TMP/out" || { cat "$TMP/out"; return 1; }
	# the monitor names itself; cloison's other child is its cgroup guardian
	VMM_PID=$(pgrep -P "$CL_PID" -x cloison-vmm || true)
}

# gone PID...: wait up to 10 s for every PID to disappear.
gone() {
	for _ in $(seq 100); do
		local alive=0
		for p in "$@"; do [ -e "/proc/$p" ] && alive=1; done
		[ $alive -eq 0 ] && return 0
		sleep 0.1
	done
	return 1
}

@test "vm jail: runs succeed with the jail on (default): one vCPU, console input, a virtio disk" {
	run timeout 60 "$CLOISON" run --vm --kernel "$TESTGUEST" -- /bin/true
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"testguest: all checks passed"* ]]
	run timeout 60 "$CLOISON" run --vm -i --kernel "$TESTGUEST" -- /bin/true </dev/null
	[ "$status" -eq 0 ]
	truncate -s 8M "$TMP/disk.img"
	run timeout 60 "$CLOISON" run --vm --disk "$TMP/disk.img" --kernel "$TESTGUEST" -- /bin/true
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"virtio-mmio devices ok: 1"* ]]
}

@test "vm jail: the running monitor has seccomp, no_new_privs, no capabilities, its own namespaces and an empty root" {
	spin
	[ -n "$VMM_PID" ]
	st=/proc/$VMM_PID/status
	cat "$st"
	grep -qx 'Seccomp:[[:space:]]*2' "$st"
	grep -qx 'NoNewPrivs:[[:space:]]*1' "$st"
	for set in CapInh CapPrm CapEff CapBnd CapAmb; do
		grep -qx "$set:[[:space:]]*0000000000000000" "$st"
	done
	for ns in mnt net ipc uts; do
		[ "$(readlink /proc/$VMM_PID/ns/$ns)" != "$(readlink /proc/self/ns/$ns)" ]
	done
	# one mount in its namespace: the empty read-only tmpfs it runs in
	cat /proc/$VMM_PID/mountinfo
	[ "$(wc -l </proc/$VMM_PID/mountinfo)" -eq 1 ]
	grep -q ' / / ro,.* - tmpfs ' /proc/$VMM_PID/mountinfo
	[ -z "$(ls -A /proc/$VMM_PID/root/)" ]
	# cloison itself, the parent, is not confined
	grep -qx 'Seccomp:[[:space:]]*0' /proc/$CL_PID/status
}

@test "vm jail: the monitor runs as an unprivileged uid, PID 1 of its own PID namespace, in a cgroup below cloison's, with rlimits and per-thread filters" {
	spin
	[ -n "$VMM_PID" ]
	st=/proc/$VMM_PID/status
	cat "$st" /proc/$VMM_PID/cgroup /proc/$VMM_PID/limits
	# its own uid and gid, none of them 0 (real, effective, saved, fs)
	uids=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "$st")
	gids=$(awk '/^Gid:/ {print $2, $3, $4, $5}' "$st")
	for id in $uids $gids; do [ "$id" -ne 0 ]; done
	[ "$(awk '/^Groups:/ {print NF}' "$st")" -eq 1 ]
	# two PID namespace levels: the host's pid, and 1 in its own
	[ "$(awk '/^NSpid:/ {print NF - 1}' "$st")" -eq 2 ]
	[ "$(awk '/^NSpid:/ {print $3}' "$st")" -eq 1 ]
	[ "$(readlink /proc/$VMM_PID/ns/pid)" != "$(readlink /proc/self/ns/pid)" ]
	# in a cgroup of its own below cloison's (the unified tree's line)
	own=$(sed -n 's/^0:://p' /proc/$CL_PID/cgroup)
	vmm=$(sed -n 's/^0:://p' /proc/$VMM_PID/cgroup)
	[[ "$vmm" == "${own%/}/cloison/"* ]]
	# rlimits lowered: a few files, a few threads, no core, no locked memory
	lim() { awk -v k="$1" 'index($0, k) == 1 {print $(NF-2), $(NF-1)}' /proc/$VMM_PID/limits; }
	read -r soft hard <<<"$(lim 'Max open files')"
	[ "$hard" -le 64 ] && [ "$soft" -le "$hard" ]
	read -r soft hard <<<"$(lim 'Max processes')"
	[ "$hard" -le 16 ]
	[ "$(lim 'Max core file size')" = "0 0" ]
	[ "$(lim 'Max locked memory')" = "0 0" ]
	# every thread filtered; the vCPU and console-input threads stack a
	# filter of their own on the process one (tests below: what each allows)
	grep -qx 'Seccomp:[[:space:]]*2' "$st"
	main_n= vcpu_n= io_n=
	for t in /proc/$VMM_PID/task/*; do
		n=$(awk '/^Seccomp_filters:/ {print $2}' "$t/status")
		grep -qx 'Seccomp:[[:space:]]*2' "$t/status"
		case "$(cat "$t/comm")" in
		cloison-vmm) main_n=$n ;;
		vcpu0) vcpu_n=$n ;;
		console-in) io_n=$n ;;
		esac
	done
	echo "filters: main $main_n, vcpu0 $vcpu_n, console-in $io_n"
	[ "$main_n" -eq 1 ] && [ "$vcpu_n" -eq 2 ] && [ "$io_n" -eq 2 ]
	# and the guest's VMM leaves no cgroup behind
	kill -9 "$CL_PID"
	gone "$CL_PID" "$VMM_PID"
	CL_PID= VMM_PID=
	for _ in $(seq 50); do
		[ -e "/sys/fs/cgroup/unified$vmm" ] || break
		sleep 0.1
	done
	[ ! -e "/sys/fs/cgroup/unified$vmm" ]
}

@test "vm jail: a vCPU thread cannot do what the I/O thread can, and the other way round (the real filters)" {
	# tests/unit/test_vm_jail.c: the real cl_vm_jail_enter in the VMM child,
	# then one thread takes a role's filter and makes one call; 0 = allowed,
	# 99 = the VMM was killed by SIGSYS
	t="$TOP/build/tests/test_vm_jail-plain"
	expect() { run timeout 60 "$t" "confine-$1-$2"; echo "$1 $2: $status $output"; [ "$status" -eq "$3" ]; }
	expect vcpu kvm-run 0
	expect io kvm-run 99
	expect io read 0
	expect vcpu read 99
	expect vcpu pwrite 0
	expect io pwrite 99
	# a disk thread writes its interrupt's eventfd (KVM_IRQFD) and no other fd
	expect blk write 0
	expect blk write2 99
	expect blk kvm-run 99
}

@test "vm jail: kill -9 of cloison during a run leaves no process and no temporary file" {
	spin
	[ -n "$VMM_PID" ]
	kill -9 "$CL_PID"
	gone "$CL_PID" "$VMM_PID"
	! ls -A "$CACHE" | grep '^\.tmp' || false
	CL_PID= VMM_PID=
}

@test "vm jail: a monitor killed by seccomp (SIGSYS) is reported by cloison with exit status 125" {
	# The monitor is PID 1 of its PID namespace: a SIGSYS sent from the host
	# would be ignored, so a real violation: the fake VMM of
	# tests/unit/test_vm_jail.c confines itself for real, then calls socket()
	run timeout 60 "$TOP/build/tests/test_vm_jail-plain" sigsys
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"made a system call outside its seccomp allow-list"*"CLOISON_VM_NOJAIL=1"* ]]
	# through cloison: the exit status, and no monitor left
	spin
	[ -n "$VMM_PID" ]
	kill -9 "$VMM_PID"
	wait "$CL_PID" && status=0 || status=$?
	cat "$TMP/out"
	[ "$status" -eq 125 ]
	grep -q "cloison: .*the VMM (pid $VMM_PID) was killed by signal 9" "$TMP/out"
	gone "$VMM_PID"
	CL_PID= VMM_PID=
}

@test "vm jail: CLOISON_VM_NOJAIL=1 runs the monitor unconfined, in cloison's own process" {
	spin CLOISON_VM_NOJAIL=1
	[ -z "$VMM_PID" ]
	grep -qx 'Seccomp:[[:space:]]*0' /proc/$CL_PID/status
	[ "$(readlink /proc/$CL_PID/ns/mnt)" = "$(readlink /proc/self/ns/mnt)" ]
	kill -9 "$CL_PID"
	gone "$CL_PID"
	CL_PID=
	run timeout 60 env CLOISON_VM_NOJAIL=1 "$CLOISON" run --vm --kernel "$TESTGUEST" -- /bin/true
	[ "$status" -eq 0 ]
}

@test "vm jail: cloison checks and terminates what a hostile VMM sends back (unit test, ASan)" {
	# tests/unit/test_vm_jail.c: a fake VMM sends an unterminated 512-byte
	# message, terminal escapes, a status of 4242, an error with exit code 0,
	# too many and too few bytes
	for c in unterminated escapes status exit-code flood short ok; do
		run timeout 60 "$TOP/build/tests/test_vm_jail" "$c"
		echo "$output"
		[ "$status" -eq 0 ]
	done
}
