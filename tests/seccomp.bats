#!/usr/bin/env bats
# Seccomp, tried from inside the jail with the static helper cltest:
#   cltest probe NAME...             each call with harmless arguments: "NAME RESULT"
#   cltest syscall [--thread|--sigsys] NAME [ARG...]   one raw call: "NAME: RESULT"
#   cltest int80|x32 NAME [ARG]      a call through the i386 or x32 entry point

load helpers
bats_require_minimum_version 1.5.0

setup() {
	TMP=$(mktemp -d /tmp/cloison-seccomp.XXXXXX)
}

teardown() {
	rm -rf "$TMP"
}

# The calls the default policy denies, each probed with arguments that are
# harmless when it goes through.  Last: clone and unshare (once in a new user
# namespace, later probes would fail for want of capabilities) and ptrace
# (once traced by cloison, a child's exit signal would stop the probe).
DENIED="mount umount2 pivot_root reboot kexec_load kexec_file_load bpf perf_event_open
userfaultfd keyctl add_key request_key process_vm_readv kcmp open_by_handle_at
init_module finit_module delete_module swapon swapoff setns iopl ioperm syslog acct
settimeofday clock_settime fsopen open_tree move_mount quotactl pidfd_getfd personality
io_uring_setup set_mempolicy clone unshare ptrace"

@test "default policy: busybox sh, fork and exec, pipes, subshells and redirections work" {
	jail -- sh -c 'echo a | cat; x=$(echo sub); echo $x; (cd / && ls -d /etc) | wc -l; echo f > /tmp/f 2>/dev/null || true; exec echo done'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = a ]
	[ "${lines[1]}" = sub ]
	[ "${lines[2]}" = 1 ]
	[ "${lines[3]}" = done ]
}

@test "default policy: the filter is loaded after no_new_privs, with the ENOSYS layer" {
	jail -- grep -E '^(NoNewPrivs|Seccomp|Seccomp_filters):' /proc/self/status
	[ "$status" -eq 0 ]
	grep -qx $'NoNewPrivs:\t1' <<<"$output"
	grep -qx $'Seccomp:\t2' <<<"$output"
	grep -qx $'Seccomp_filters:\t2' <<<"$output"
}

@test "default policy: each denied call fails with EPERM, even with every capability" {
	jail --cap-add ALL -- cltest probe $DENIED
	[ "$status" -eq 0 ]
	echo "$output"
	local n=0
	for c in $DENIED; do
		grep -qx "$c EPERM" <<<"$output" || { echo "$c: not EPERM"; return 1; }
		n=$((n + 1))
	done
	[ "$n" -ge 38 ]
}

@test "unconfined: the same calls get through (the probes can fail)" {
	jail --cap-add ALL --seccomp unconfined -- cltest probe $DENIED
	[ "$status" -eq 0 ]
	echo "$output"
	# these fail, if at all, on their arguments (EFAULT, EINVAL, ...) or succeed
	for c in mount umount2 pivot_root reboot bpf perf_event_open userfaultfd keyctl add_key \
		request_key ptrace process_vm_readv open_by_handle_at swapon setns settimeofday \
		clock_settime quotactl personality io_uring_setup syslog acct fsopen unshare clone; do
		grep -q "^$c " <<<"$output"
		! grep -qx "$c EPERM" <<<"$output" || { echo "$c: EPERM without a filter"; return 1; }
	done
	jail --seccomp unconfined -- grep -x $'Seccomp:\t0' /proc/self/status
	[ "$status" -eq 0 ]
}

@test "default policy: clone works, clone with a namespace flag is EPERM, clone3 is ENOSYS" {
	jail -- sh -c 'cltest syscall clone 17; cltest syscall clone 0x10000011; cltest syscall clone 0x40000011;
		cltest syscall clone3 0; cltest syscall unshare 0x20000'
	[ "${lines[0]}" = "clone: ok" ]
	[ "${lines[1]}" = "clone: EPERM" ]
	[ "${lines[2]}" = "clone: EPERM" ]
	[ "${lines[3]}" = "clone3: ENOSYS" ]
	[ "${lines[4]}" = "unshare: EPERM" ]
	jail --seccomp unconfined -- cltest syscall clone3 0
	[ "$output" = "clone3: ok" ]
}

@test "default policy: personality only for the safe values" {
	jail -- sh -c 'for p in 0 8 0x20000 0x20008 0xffffffff 0x400000 0x40000; do cltest syscall personality $p; done'
	[ "$(echo "$output" | tr '\n' ' ')" = "personality: ok personality: ok personality: ok personality: ok personality: ok personality: EPERM personality: EPERM " ]
}

@test "default policy: calls newer than the policy fail with ENOSYS, known denied ones with EPERM" {
	# 450 set_mempolicy_home_node is denied; 470 and 999 are beyond every call it names
	jail -- sh -c 'cltest syscall "#450"; cltest syscall "#470"; cltest syscall "#999"'
	[ "${lines[0]}" = "#450: EPERM" ]
	[ "${lines[1]}" = "#470: ENOSYS" ]
	[ "${lines[2]}" = "#999: ENOSYS" ]
}

@test "32-bit ABI: int 0x80 cannot step around the filter" {
	jail --seccomp unconfined -- cltest int80 getpid
	[ "$status" -eq 0 ]
	[ "$output" = "int80 getpid: ok 1" ] # the entry point works on this kernel
	jail -- cltest int80 getpid
	[ "$status" -eq 159 ] # killed by SIGSYS
	[ -z "$output" ]
	jail -- cltest int80 unshare 0x10000000
	[ "$status" -eq 159 ]
	# let through, it is filtered by the same rules
	jail --seccomp 'allow-abi i386' -- sh -c 'cltest int80 getpid; cltest int80 unshare 0x10000000'
	[[ "${lines[0]}" = "int80 getpid: ok "[0-9]* ]]
	[ "${lines[1]}" = "int80 unshare: EPERM" ]
}

@test "x32 ABI: a call with the x32 bit kills the process" {
	jail -- cltest x32 getpid
	[ "$status" -eq 159 ]
	jail --seccomp unconfined -- cltest x32 getpid
	[ "$status" -ne 159 ] # ENOSYS where the kernel has no x32, ok where it has
}

@test "argument conditions: == on socket's family, & on clone's flags, in deny-list mode" {
	jail --deny 'socket arg0 == AF_NETLINK' -- sh -c 'cltest syscall socket 16 3 0; cltest syscall socket 1 1 0; cltest syscall socket 2 2 0'
	[ "${lines[0]}" = "socket: EPERM" ]
	[ "${lines[1]}" = "socket: ok" ]
	[ "${lines[2]}" = "socket: ok" ]
	# (a deny-list with argument rules denies io_uring too, or is warned about)
	jail --seccomp 'default-action allow' --deny 'io_uring_setup' --deny 'clone arg0 & CLONE_NEWUSER' \
		--deny 'unshare arg0 & CLONE_NEWUSER|CLONE_NEWNET == CLONE_NEWNET' -- \
		sh -c 'cltest syscall clone 0x10000011; cltest syscall clone 17; cltest syscall unshare 0x40000000; cltest syscall unshare 0x10000000'
	[ "${lines[0]}" = "clone: EPERM" ]
	[ "${lines[1]}" = "clone: ok" ]
	[ "${lines[2]}" = "unshare: EPERM" ]
	[ "${lines[3]}" = "unshare: ok" ]
	# comparisons
	jail --seccomp 'default-action allow' --deny io_uring_setup --deny 'personality arg0 > 8' --syscall 'errno:EACCES getppid arg0 != 5' -- \
		sh -c 'cltest syscall personality 8; cltest syscall personality 9; cltest syscall getppid 5; cltest syscall getppid 4'
	[ "$(echo "$output" | tr '\n' ' ')" = "personality: ok personality: EPERM getppid: ok getppid: EACCES " ]
}

@test "32-bit arguments: junk in the upper half does not step around a rule on an int" {
	# socket's family is an int: the kernel reads the low 32 bits only, so
	# 0x100000028 is AF_VSOCK to it (EAFNOSUPPORT or ok when let through)
	jail -- sh -c 'cltest syscall socket 40 1 0; cltest syscall socket 0x100000028 1 0; cltest syscall socket 1 1 0
		cltest syscall socket 16 3 0; cltest syscall socket 41 1 0; cltest syscall socket 44 2 0; cltest syscall socket 46 1 0'
	[ "${lines[0]}" = "socket: EPERM" ]
	[ "${lines[1]}" = "socket: EPERM" ]
	[ "${lines[2]}" = "socket: ok" ]
	[ "${lines[3]}" = "socket: ok" ] # netlink
	# the families above AF_VSOCK reach the kernel (which may not have them)
	for l in 4 5 6; do [ "${lines[$l]}" != "socket: EPERM" ]; done
}

@test "a policy whose default kills has no seccomp(2) self-allow (no ENOSYS layer to load)" {
	cat >"$TMP/kill.profile" <<-'EOF'
	seccomp default-action kill-process
	allow execve exit exit_group brk arch_prctl set_tid_address set_robust_list rseq
	allow prlimit64 mprotect readlink getrandom write rt_sigprocmask getpid
	EOF
	jail --profile "$TMP/kill.profile" -- cltest syscall getpid
	[ "$status" -eq 0 ]
	jail --profile "$TMP/kill.profile" -- cltest syscall seccomp 1 1 0
	[ "$status" -eq 159 ] # not EFAULT: seccomp is not in the allow-list
}

@test "a conditional rule on seccomp itself: refused before the start when it would block the load" {
	# arg0 1 is SECCOMP_SET_MODE_FILTER, arg1 1 TSYNC: how the filters are loaded
	jail --deny 'seccomp arg0 == 1' -- true
	[ "$status" -eq 125 ]
	grep -q "deny seccomp without conditions" <<<"$output"
	jail --deny 'seccomp arg0 == 2' -- sh -c 'cltest syscall seccomp 2 0 0; cltest syscall getpid'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "seccomp: EPERM" ]
	[ "${lines[1]}" = "getpid: ok" ]
	jail --deny 'seccomp arg0 == 1 arg1 == 8' -- cltest syscall seccomp 1 8 0
	[ "$output" = "seccomp: EPERM" ]
	jail --deny seccomp -- cltest syscall seccomp 1 1 0
	[ "$output" = "seccomp: EPERM" ]
}

@test "actions: errno:N, kill, kill-process, trap, log, allow" {
	jail --syscall 'errno:EACCES getppid' -- cltest syscall getppid
	[ "$output" = "getppid: EACCES" ]
	jail --syscall 'errno:38 getppid' -- cltest syscall getppid
	[ "$output" = "getppid: ENOSYS" ]
	jail --syscall 'kill getppid' -- cltest syscall getppid
	[ "$status" -eq 159 ]
	jail --syscall 'kill-process getppid' -- cltest syscall --thread getppid
	[ "$status" -eq 159 ] # from a second thread, the whole process dies
	jail --syscall 'trap getppid' -- cltest syscall --sigsys getppid
	[ "$output" = "getppid: SIGSYS" ]
	jail --syscall 'log getppid' -- cltest syscall getppid
	[ "$output" = "getppid: ok" ]
	jail --deny getppid --allow getppid -- cltest syscall getppid
	[ "$output" = "getppid: ok" ] # a later rule without conditions replaces
}

@test "the strictest matching rule wins: a conditional deny on an allowed call" {
	jail --syscall 'errno:EACCES socket arg0 == AF_UNIX' --syscall 'kill-process socket arg0 == AF_INET' -- \
		sh -c 'cltest syscall socket 1 1 0; cltest syscall socket 16 3 0; cltest syscall socket 2 1 0; echo "status $?"'
	[ "${lines[0]}" = "socket: EACCES" ]
	[ "${lines[1]}" = "socket: ok" ]
	grep -qx "status 159" <<<"$output" # sh also says "Bad system call" 
}

@test "allow-list mode: what is not allowed fails with EPERM" {
	cat >"$TMP/list.profile" <<-'EOF'
	seccomp default-action errno EPERM
	allow execve exit exit_group brk arch_prctl set_tid_address set_robust_list rseq
	allow prlimit64 mprotect readlink getrandom write rt_sigprocmask getpid
	EOF
	jail --profile "$TMP/list.profile" -- cltest syscall getpid
	[ "$status" -eq 0 ]
	[ "$output" = "getpid: ok" ]
	jail --profile "$TMP/list.profile" -- cltest syscall getppid
	[ "$output" = "getppid: EPERM" ]
	jail --profile "$TMP/list.profile" -- cltest syscall '#470'
	[ "$output" = "#470: ENOSYS" ]
}

@test "the filter covers every thread" {
	jail -- cltest syscall --thread unshare 0x10000000
	[ "$output" = "unshare: EPERM" ]
}

@test "--init runs under the filter too, and still reaps and reports" {
	jail --init -- sh -c 'cltest syscall unshare 0x10000000; grep Seccomp: /proc/1/status; exit 3'
	[ "$status" -eq 3 ]
	[ "${lines[0]}" = "unshare: EPERM" ]
	[ "${lines[1]}" = $'Seccomp:\t2' ]
}

@test "learning mode: learn a command, run it under what was learned, anything else is EPERM" {
	run timeout 30 "$CLOISON" run --rootfs "$ROOTFS" --learn-seccomp "$TMP/getpid.profile" -- cltest syscall getpid
	[ "$status" -eq 0 ]
	[ "$output" = "getpid: ok" ]
	grep -qx 'seccomp default-action errno EPERM' "$TMP/getpid.profile"
	grep -qE '^allow .*\bgetpid\b' "$TMP/getpid.profile"
	! grep -E '\bgetppid\b' "$TMP/getpid.profile" || false
	run "$CLOISON" profile check "$TMP/getpid.profile"
	[ "$status" -eq 0 ]
	jail --profile "$TMP/getpid.profile" -- cltest syscall getpid
	[ "$status" -eq 0 ]
	[ "$output" = "getpid: ok" ]
	jail --profile "$TMP/getpid.profile" -- cltest syscall getppid
	[ "$output" = "getppid: EPERM" ]
	jail --profile "$TMP/getpid.profile" -- cltest syscall mkdirat -100 /x 0
	[ "$output" = "mkdirat: EPERM" ]
}

@test "learning mode: a shell pipeline with --init, and clone stays checked" {
	run timeout 30 "$CLOISON" run --rootfs "$ROOTFS" --init --learn-seccomp "$TMP/sh.profile" -- \
		sh -c 'echo hi | cat; ls / >/dev/null'
	[ "$status" -eq 0 ]
	[ "$output" = hi ]
	grep -qx 'allow clone arg0 & CLONE_NS_FLAGS == 0' "$TMP/sh.profile"
	jail --init --profile "$TMP/sh.profile" -- sh -c 'echo hi | cat; ls / >/dev/null'
	# seen failing once in CI (status, no output kept): say what it was
	echo "status $status: $output"
	grep -v '^allow clone' "$TMP/sh.profile" || true
	[ "$status" -eq 0 ]
	[ "$output" = hi ]
	jail --init --profile "$TMP/sh.profile" -- sh -c 'echo hi | cat; ls / >/dev/null; mkdir /x'
	[ "$status" -ne 0 ]
	grep -q "Operation not permitted" <<<"$output"
}

@test "learning mode is refused with a policy or a micro-VM, before anything starts" {
	jail --seccomp unconfined --learn-seccomp "$TMP/x.profile" -- true
	[ "$status" -eq 125 ]
	grep -q "cannot be combined" <<<"$output"
	jail --vm --learn-seccomp "$TMP/x.profile" -- true
	[ "$status" -eq 125 ]
	grep -q -- "--learn-seccomp is not supported with --vm" <<<"$output"
	[ ! -e "$TMP/x.profile" ]
}

@test "bad rules are refused with what was expected" {
	jail --deny ptrce -- true
	[ "$status" -eq 125 ]
	[ "$output" = "cloison: --deny: unknown system call 'ptrce' (did you mean ptrace?)" ]
	jail --deny 'socket arg0 == AF_NETLNK' -- true
	[ "$output" = "cloison: --deny: unknown constant 'AF_NETLNK' (did you mean AF_NETLINK?)" ]
	jail --deny 'socket arg9 == 1' -- true
	grep -q "expected argN (N from 0 to 5)" <<<"$output"
	jail --deny 'socket arg0 =~ 1' -- true
	grep -q "invalid operator '=~'" <<<"$output"
	jail --syscall 'explode getpid' -- true
	grep -q "invalid action 'explode'" <<<"$output"
	jail --syscall 'errno:ENOPE getpid' -- true
	grep -q "invalid errno 'ENOPE'" <<<"$output"
	jail --seccomp unconfined --deny getpid -- true
	grep -q "'seccomp unconfined' has no filter" <<<"$output"
	jail --seccomp 'allow-abi arm' -- true
	grep -q "invalid ABI 'arm'" <<<"$output"
	jail --deny 'personality arg0 > 1 arg0 < 5' -- true
	grep -q "arg0 is compared twice" <<<"$output"
}

@test "compiled filters are cached by policy text; a tampered or foreign cache entry is not used" {
	local dir=/run/cloison/seccomp
	rm -f "$dir"/*.bpf
	CLOISON_SECCOMP_NOCACHE=1 jail -- cltest probe ptrace
	[ "$output" = "ptrace EPERM" ]
	jail -- true
	[ "$status" -eq 0 ]
	[ -d "$dir" ] && [ "$(stat -c %a "$dir")" = 700 ]
	local f=$(grep -l "^seccomp\|^kernel" "$dir"/*.bpf | head -1)
	[ -n "$f" ]
	# the key names the build: the built-in policy and the compiler are code,
	# and another build (older, unfixed) must not hand us its BPF
	grep -aqE '^build [0-9a-f]{40}$' "$f"
	# a policy that differs by one rule gets its own entry
	local before=$(ls "$dir" | wc -l)
	jail --deny "getpid" -- true
	[ "$(ls "$dir" | wc -l)" -gt "$before" ]
	# garbage in every entry: each is rejected (its key no longer matches) and recompiled
	for e in "$dir"/*.bpf; do cp "$e" "$TMP/$(basename "$e")"; head -c 64 /dev/urandom >"$e"; done
	jail -- cltest probe ptrace mount
	[ "${lines[0]}" = "ptrace EPERM" ]
	[ "${lines[1]}" = "mount EPERM" ]
	# the cache is really used: an entry with the right key and an allow-all
	# program (planted as our own, 0600) lets ptrace through ...
	# (ours: this build's default policy; other builds may be writing theirs)
	local entry id
	id=$(readelf -n "$CLOISON" | awk '/Build ID:/ { print $3 }')
	[ -n "$id" ]
	entry=$(grep -la "^build $id\$" "$dir"/*.bpf | xargs grep -La '^deny getpid' | head -1)
	[ -n "$entry" ]
	python3 - "$entry" <<'PY'
import struct, sys
data = open(sys.argv[1], 'rb').read()
magic = b"cloison-seccomp-bpf 1\n"
assert data.startswith(magic)
klen = struct.unpack_from('<I', data, len(magic))[0]
key = data[len(magic) + 4:len(magic) + 4 + klen]
allow = struct.pack('<HBBI', 0x06, 0, 0, 0x7fff0000)  # BPF_RET|BPF_K, SECCOMP_RET_ALLOW
open(sys.argv[1], 'wb').write(magic + struct.pack('<I', klen) + key + struct.pack('<II', 1, 1) + allow)
PY
	jail -- cltest probe ptrace
	[ "$output" != "ptrace EPERM" ]
	# ... but not when others can write it: then it is compiled afresh
	chmod 0666 "$entry"
	jail -- cltest probe ptrace
	[ "$output" = "ptrace EPERM" ]
	rm -f "$dir"/*.bpf
}

@test "io_uring: denied by the default and every shipped profile; a policy that allows it beside argument rules is warned about" {
	mkdir -p "$TMP/data"
	cd "$TMP" # ci-sandbox binds it writable: private to root, wherever the clone is
	for p in default ci-sandbox service untrusted; do
		CLOISON_DATA="$TMP/data" run "$CLOISON" run --rootfs "$ROOTFS" --profile "$p" -- cltest syscall io_uring_setup 1 0
		[[ "$output" == *"io_uring_setup: EPERM"* || "$output" == *"io_uring_setup: ENOSYS"* ]] ||
			{ echo "$p: $output"; return 1; }
	done
	local w="warning: the seccomp policy allows io_uring: its operations bypass the argument conditions"
	# the built-in policy has argument rules (socket families, clone flags...)
	jail --allow io_uring_setup -- true
	[ "$status" -eq 0 ]
	[[ "$output" == *"$w"* ]]
	printf 'seccomp default-action errno EPERM\nallow execve exit_group write read\nallow socket arg0 == 1\nallow io_uring_setup io_uring_enter\n' >"$TMP/iou.profile"
	run "$CLOISON" profile check "$TMP/iou.profile"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$w"* ]]
	# no argument rule, nothing to bypass; io_uring denied: no warning
	printf 'seccomp default-action errno EPERM\nallow execve exit_group write read io_uring_setup\n' >"$TMP/iou2.profile"
	run "$CLOISON" profile check "$TMP/iou2.profile"
	[ "$output" = "$TMP/iou2.profile: ok" ]
	jail --deny 'socket arg0 != 1' -- true
	[ "$output" = "" ]
}

@test "OCI linux.seccomp: podman's default profile, hand-written sections, notify and errors (tests/unit/test_oci_seccomp.c)" {
	# built with the test artifacts (mk/seccomp.mk); podman's profile ships in
	# containers-common, a podman dependency
	[ -f /usr/share/containers/seccomp.json ] || skip "no /usr/share/containers/seccomp.json"
	run "$BATS_TEST_DIRNAME/../build/tests/test_oci_seccomp"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ 1\.\.[0-9]+ ]]
	if grep -q '^not ok' <<<"$output"; then false; fi
	grep -q 'config.json: linux.seccomp.syscalls\[3\].action: unknown action SCMP_ACT_FOO' <<<"$output"
}
