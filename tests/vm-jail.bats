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
# once the guest runs, i.e. once the monitor is confined.
spin() {
	env "$@" "$CLOISON" run --vm --kernel "$TESTGUEST" -- testguest-spin >"$TMP/out" 2>&1 &
	CL_PID=$!
	for _ in $(seq 100); do
		grep -q "testguest: spinning" "$TMP/out" && break
		sleep 0.1
	done
	grep -q "testguest: spinning" "$TMP/out" || { cat "$TMP/out"; return 1; }
	VMM_PID=$(pgrep -P "$CL_PID" || true)
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

@test "vm jail: kill -9 of cloison during a run leaves no process and no temporary file" {
	spin
	[ -n "$VMM_PID" ]
	kill -9 "$CL_PID"
	gone "$CL_PID" "$VMM_PID"
	! ls -A "$CACHE" | grep -q '^\.tmp'
	CL_PID= VMM_PID=
}

@test "vm jail: a monitor killed by seccomp (SIGSYS) is reported by cloison with exit status 125" {
	spin
	[ -n "$VMM_PID" ]
	# what the filter's SCMP_ACT_KILL_PROCESS does, from outside
	kill -SYS "$VMM_PID"
	wait "$CL_PID" && status=0 || status=$?
	cat "$TMP/out"
	[ "$status" -eq 125 ]
	grep -q "cloison: .*the VMM (pid $VMM_PID) made a system call outside its seccomp allow-list" "$TMP/out"
	grep -q "CLOISON_VM_NOJAIL=1" "$TMP/out"
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
