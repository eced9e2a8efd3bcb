#!/usr/bin/env bats
# --nested: sandboxes inside a jail (cloison in cloison, bubblewrap), and
# cloison inside a confined place (a jail whose /sys/fs/cgroup is read-only,
# one where user namespaces are refused).
#
# Every level runs on the same tree: a copy of the test rootfs ($NR) with the
# mount points the levels need made in it beforehand (/lib and /lib64 for
# the host's C library, which cloison and bwrap link to; /mnt/rootfs for the
# tree itself; /mnt/cloison and /mnt/bwrap for the binaries), so that every
# level can run it --read-only and bind it, read-only, for the next.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	TMP=$(mktemp -d /tmp/cloison-nest.XXXXXX)
	NR=$TMP/rootfs
	cp -a "$ROOTFS/." "$NR"
	mkdir -p "$NR/lib" "$NR/lib64" "$NR/mnt/rootfs" "$NR/share"
	touch "$NR/mnt/cloison" "$NR/mnt/bwrap"
	# one level's options: the tree read-only, the libraries, itself and
	# cloison bound for the next level
	LEVEL="--read-only --bind /lib:/lib:ro --bind /lib64:/lib64:ro"
	HOSTLEVEL="$LEVEL --rootfs $NR --bind $NR:/mnt/rootfs:ro --bind $CLOISON:/mnt/cloison:ro"
	INLEVEL="$LEVEL --rootfs /mnt/rootfs --bind /mnt/rootfs:/mnt/rootfs:ro --bind /mnt/cloison:/mnt/cloison:ro"
}

teardown() {
	rm -rf "$TMP"
}

# what a level prints: its name, its pid namespace, its uid map (first
# line), the start of its pid 1's command line as its own /proc shows it
SAY='echo "$0 $(readlink /proc/self/ns/pid) $(head -1 /proc/self/uid_map | xargs) | $(head -c 5 /proc/1/cmdline | tr "\0" " ")"'

@test "--nested: cloison in cloison three levels deep, each level its own pid namespace and its own /proc" {
	# $SAY stays unexpanded until each level's sh runs it ($0: the level)
	run "$CLOISON" run --nested $HOSTLEVEL -- sh -c "$SAY
		/mnt/cloison run --nested $INLEVEL -- sh -c '$SAY
			/mnt/cloison run --userns --read-only --rootfs /mnt/rootfs -- sh -c '\\''$SAY'\\'' L3' L2" L1
	echo "$output"
	[ "$status" -eq 0 ]
	local l1 l2 l3
	l1=$(grep '^L1 ' <<<"$output")
	l2=$(grep '^L2 ' <<<"$output")
	l3=$(grep '^L3 ' <<<"$output")
	# each level's pid 1 is that level's own command, in its own /proc
	[[ "$l1" == "L1 pid:["*"] 0 "*" 65536 | sh -c" ]]
	[[ "$l2" == "L2 pid:["*"] 0 0 65536 | sh -c" ]]
	[[ "$l3" == "L3 pid:["*"] 0 0 65536 | sh -c" ]]
	# four different pid namespaces: the host's and the three levels'
	local h n1 n2 n3
	h=$(readlink /proc/self/ns/pid)
	n1=$(awk '{print $2}' <<<"$l1") n2=$(awk '{print $2}' <<<"$l2") n3=$(awk '{print $2}' <<<"$l3")
	[ "$(printf '%s\n' "$h" "$n1" "$n2" "$n3" | sort -u | wc -l)" -eq 4 ]
	# level 1's root is an unprivileged host id, not 0; inner levels use
	# their own namespace's ids, and say so
	[ "$(awk '{print $4}' <<<"$l1")" -ge 65536 ]
	[[ "$output" == *"warning: in a user namespace of 65536 ids (not the host's): the jail's ids are this namespace's own 0-65535, not a range of its own"* ]]
	# no cgroup in the levels: said, not silent
	[[ "$output" == *"warning: no cgroup hierarchy is mounted here: no cgroup limits, no accounting"* ]]
}

@test "--nested: bubblewrap runs inside, with its own user, mount, pid and network namespaces and its own proc" {
	run "$CLOISON" run --nested $HOSTLEVEL --bind /usr/bin/bwrap:/mnt/bwrap:ro -- sh -c '
		readlink /proc/self/ns/pid
		/mnt/bwrap --ro-bind / / --proc /proc --dev /dev --tmpfs /tmp --unshare-all \
			--hostname inner --die-with-parent -- sh -c "
			echo in-bwrap \$(hostname)
			readlink /proc/self/ns/pid
			ls /sys/class/net
			ps -o pid,comm | tail -n +2 | tr -s \" \"
			touch /tmp/w && echo tmp-writable"'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "in-bwrap inner" ]
	# a pid namespace of bwrap's own, below the jail's
	[ "${lines[0]}" != "${lines[2]}" ]
	[ "${lines[3]}" = lo ]
	# bwrap's /proc is its own: its pid 1 is bwrap's init
	[[ "${lines[4]}" == " 1 "* ]]
	[[ "$output" == *tmp-writable* ]]
}

@test "without --nested the same attempts fail: no user namespace can be made" {
	run "$CLOISON" run --userns $HOSTLEVEL --bind /usr/bin/bwrap:/mnt/bwrap:ro -- sh -c '
		cltest syscall unshare 0x10000000; cltest syscall clone 0x10000000
		unshare -U true 2>/dev/null || echo unshare-refused
		/mnt/bwrap --ro-bind / / --unshare-user -- true 2>/dev/null || echo bwrap-refused
		/mnt/cloison run --userns --read-only --rootfs /mnt/rootfs -- echo ran-inner'
	echo "$output"
	[ "$status" -eq 125 ]
	[ "${lines[0]}" = "unshare: EPERM" ]
	[ "${lines[1]}" = "clone: EPERM" ]
	[ "${lines[2]}" = unshare-refused ]
	[ "${lines[3]}" = bwrap-refused ]
	[[ "$output" == *"cloison: cannot create the jail's user namespace: user namespaces are restricted here"*"a cloison jail run without --nested"* ]]
	[[ "$output" != *ran-inner* ]]
}

@test "--nested opens only the namespace and mount calls: the rest of the default policy stands" {
	run "$CLOISON" run --nested $HOSTLEVEL -- sh -c '
		unshare -Urm sh -c "
			for c in unshare setns mount umount2 pivot_root fsopen open_tree move_mount; do
				cltest syscall \$c 0
			done" | grep -vc EPERM
		for c in ptrace keyctl add_key bpf kexec_load init_module perf_event_open \
			open_by_handle_at process_vm_readv userfaultfd io_uring_setup syslog; do
			cltest syscall $c 0
		done; true'
	echo "$output"
	[ "$status" -eq 0 ]
	# none of the first set is EPERM, in a user namespace made inside (in
	# the jail's own ones the kernel refuses them: no CAP_SYS_ADMIN there)
	[ "${lines[0]}" = 8 ]
	local l
	for l in "${lines[@]:1}"; do
		[[ "$l" == *": EPERM" ]] || { echo "let through: $l"; return 1; }
	done
	# and the capabilities are the default set: no CAP_SYS_ADMIN
	run "$CLOISON" run --nested $HOSTLEVEL -- sh -c 'grep CapEff /proc/self/status'
	[ "$output" = $'CapEff:\t00000000a80425fb' ]
}

@test "--nested: the jail's own processes have no host privilege, in the namespaces they make neither" {
	mkdir "$TMP/share"
	echo host >"$TMP/share/rootfile"
	chmod 0644 "$TMP/share/rootfile"
	chmod 0755 "$TMP/share"
	run "$CLOISON" run --nested $HOSTLEVEL --bind "$TMP/share:/share" -- sh -c '
		{ echo jail >>/share/rootfile; } 2>/dev/null || echo refused-in-jail
		touch /share/new 2>/dev/null || echo refused-new
		unshare -Ur sh -c "echo inner >>/share/rootfile" 2>/dev/null || echo refused-in-inner-userns
		unshare -Urm sh -c "umount /dev" 2>/dev/null || echo dev-cover-locked
		unshare -Urm sh -c "umount /proc/interrupts" 2>/dev/null || echo mask-locked'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = refused-in-jail ]
	[ "${lines[1]}" = refused-new ]
	[ "${lines[2]}" = refused-in-inner-userns ]
	# the masks and the cover over the unmasked proc are locked in any
	# namespace made inside: neither can be lifted
	[ "${lines[3]}" = dev-cover-locked ]
	[ "${lines[4]}" = mask-locked ]
	[ "$(cat "$TMP/share/rootfile")" = host ]
	[ ! -e "$TMP/share/new" ]
}

@test "--nested: the jail sees the masked /proc; a proc a nested sandbox mounts is unmasked (the trade-off)" {
	run "$CLOISON" run --nested $HOSTLEVEL -- sh -c '
		wc -c </proc/interrupts
		unshare -Urmpf --mount-proc sh -c "[ \$(wc -c </proc/interrupts) -gt 0 ] && echo inner-unmasked"
		grep -c cloison-nested /proc/self/mountinfo; ls /dev/cloison-nested 2>&1 | grep -c "No such"'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = inner-unmasked ]
	# the unmasked proc and sysfs are there, beneath the jail's /dev
	[ "${lines[2]}" = 2 ]
	[ "${lines[3]}" = 1 ]
	# without --nested, no such mounts
	run "$CLOISON" run --userns $HOSTLEVEL -- grep -c cloison-nested /proc/self/mountinfo
	[ "$output" = 0 ]
}

@test "cloison in a jail whose /sys/fs/cgroup is read-only: says what it drops, refuses --memory" {
	local inner="/mnt/cloison run --userns --read-only --rootfs /mnt/rootfs"
	run "$CLOISON" run --nested $HOSTLEVEL --bind /sys/fs/cgroup:/sys/fs/cgroup:ro -- sh -c "
		$inner -- echo ran-without; echo status \$?
		$inner --memory 64M -- echo ran-limited; echo status \$?
		$inner --pids 20 -- echo ran-limited; echo status \$?"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"cloison: warning: the cgroup tree is read-only here (cannot create the cgroup /sys/fs/cgroup/"*"Read-only file system): no cgroup limits, no accounting (the jail runs without a cgroup of its own)"* ]]
	grep -qx ran-without <<<"$output"
	[ "$(grep -c '^status ' <<<"$output")" -eq 3 ]
	[ "$(grep '^status ' <<<"$output" | tr '\n' ' ')" = "status 0 status 125 status 125 " ]
	[[ "$output" == *"cloison: --memory needs a cgroup of the jail's own, and cloison cannot make one here: cannot create the cgroup "*"Read-only file system"* ]]
	[[ "$output" == *"cloison: --pids needs a cgroup of the jail's own, and cloison cannot make one here"* ]]
	[[ "$output" != *ran-limited* ]]
}

@test "a root without CAP_SYS_ADMIN (inside a container) is told to use --userns; no cgroup: a limit is refused" {
	run "$CLOISON" run --nested $HOSTLEVEL -- sh -c '
		/mnt/cloison run --read-only --device-cgroup none --rootfs /mnt/rootfs -- echo ran; echo status $?
		/mnt/cloison run --userns --memory 64M --read-only --rootfs /mnt/rootfs -- echo ran; echo status $?'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"cloison: cannot create the jail's namespaces: root here has no CAP_SYS_ADMIN (inside a container?); --userns makes them in a user namespace of the jail's own"* ]]
	[[ "$output" == *"cloison: --memory needs a cgroup of the jail's own, and no cgroup hierarchy is mounted here"* ]]
	[ "$(grep '^status ' <<<"$output" | tr '\n' ' ')" = "status 125 status 125 " ]
	[[ "$output" != *$'\n'ran* ]]
}

@test "--nested: a profile line; implies --userns; refused with --userns=false and with --vm" {
	printf 'nested\n' >"$TMP/n.profile"
	run "$CLOISON" run --profile "$TMP/n.profile" $HOSTLEVEL -- sh -c 'head -1 /proc/self/uid_map | awk "{print \$2}"; unshare -Ur true && echo nested-ok'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" -ge 65536 ]
	[ "${lines[1]}" = nested-ok ]
	run "$CLOISON" profile show "$TMP/n.profile"
	[[ "$output" == *$'\nnested\n'* || "$output" == nested$'\n'* || "$output" == *$'\nnested' ]]
	run "$CLOISON" run --nested --userns=false $HOSTLEVEL -- true
	[ "$status" -eq 125 ]
	[ "$output" = "cloison: --nested needs a user namespace (nested namespaces are made by the jail's root, which must not be host root): it cannot go with --userns=false" ]
	run "$CLOISON" run --profile "$TMP/n.profile" --userns=false $HOSTLEVEL -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"cannot go with --userns=false"* ]]
	run "$CLOISON" run --vm --nested --rootfs "$NR" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--nested is not supported with --vm"* ]]
}

@test "--nested with -d: cloison exec into the jail may nest as well (the setting is the jail's)" {
	local n=nest-d-$$
	run "$CLOISON" run -d --name $n --nested $HOSTLEVEL -- sleep 60
	[ "$status" -eq 0 ]
	run "$CLOISON" exec $n -- unshare -Urmpf --mount-proc ps -o pid,comm
	"$CLOISON" stop $n >/dev/null 2>&1 || true
	"$CLOISON" rm $n >/dev/null 2>&1 || true
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == *"1 ps" ]]
	wait_until 10 test ! -e /run/cloison/jails/$n
}

@test "clone3 answered with ENOSYS (Docker's policy): cloison falls back to clone(2), without a time namespace, and says so" {
	run "$CLOISON" run --nested --syscall 'errno:ENOSYS clone3' $HOSTLEVEL -- sh -c '
		cltest syscall clone3 0
		readlink /proc/self/ns/time
		/mnt/cloison run --userns --read-only --rootfs /mnt/rootfs -- sh -c "readlink /proc/self/ns/pid; readlink /proc/self/ns/time; exit 3"
		echo status $?
		readlink /proc/self/ns/pid'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "clone3: ENOSYS" ]
	[[ "$output" == *"cloison: warning: clone3 is refused here (ENOSYS): the jail has no time namespace of its own"* ]]
	local inner_pid inner_time
	inner_pid=$(grep '^pid:' <<<"$output" | head -1)
	inner_time=$(grep '^time:' <<<"$output" | sed -n 2p)
	# its own pid namespace, the outer jail's time namespace; its status
	[ "$inner_pid" != "$(grep '^pid:' <<<"$output" | tail -1)" ]
	[ "$inner_time" = "${lines[1]}" ]
	grep -qx 'status 3' <<<"$output"
}
