#!/usr/bin/env bats
# cloison check, --help and the CLI's own errors.

load helpers

@test "cloison check lists namespaces, cgroups, seccomp and kvm" {
	run "$CLOISON" check
	[ "$status" -eq 0 ]
	for word in namespaces pid mount net uts ipc cgroup time user cgroups layout seccomp kvm; do
		[[ "$output" == *"$word"* ]] || { echo "missing $word"; false; }
	done
}

@test "cloison check --json is valid JSON with the same facts" {
	run "$CLOISON" check --json
	[ "$status" -eq 0 ]
	python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["namespaces"]["pid"]["ok"] is True; assert "layout" in d["cgroups"]; assert "seccomp" in d["security"]' <<<"$output"
}

@test "cloison check reports the cgroup layout it finds in mountinfo" {
	run "$CLOISON" check --json
	v2=$(awk '$9 == "cgroup2"' /proc/self/mountinfo | wc -l)
	v1=$(awk '$9 == "cgroup"' /proc/self/mountinfo | wc -l)
	layout=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["cgroups"]["layout"]["detail"])' <<<"$output")
	if [ "$v1" -gt 0 ] && [ "$v2" -gt 0 ]; then [ "$layout" = hybrid ]; fi
	if [ "$v1" -eq 0 ] && [ "$v2" -gt 0 ]; then [ "$layout" = "v2 (unified)" ]; fi
	if [ "$v1" -gt 0 ] && [ "$v2" -eq 0 ]; then [ "$layout" = v1 ]; fi
}

@test "--help for cloison, run and check; unknown commands are refused" {
	run "$CLOISON" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"run [OPTIONS] -- CMD"* ]]
	run "$CLOISON" run --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--preserve-fds"* ]]
	run "$CLOISON" check --help
	[ "$status" -eq 0 ]
	run "$CLOISON" frobnicate
	[ "$status" -eq 125 ]
	[[ "$output" == *"unknown command 'frobnicate'"* ]]
}

@test "make install honours PREFIX and DESTDIR" {
	dest=$(mktemp -d /tmp/cloison-install.XXXXXX)
	run make -C "$TOP" install DESTDIR="$dest" PREFIX=/opt/cl
	ls -R "$dest" >&2
	[ -x "$dest/opt/cl/bin/cloison" ]
	[ -f "$dest/opt/cl/share/man/man1/cloison-run.1" ]
	[ -x "$dest/opt/cl/share/cloison/rootfs-tools/mkrootfs-busybox" ]
	"$dest/opt/cl/bin/cloison" --version
	rm -rf "$dest"
}

@test "check and run --vm: /dev/kvm that this user may not open is 'permission denied' with the fix, not 'absent'" {
	[ -c /dev/kvm ] || skip "no /dev/kvm"
	id nobody >/dev/null 2>&1 || skip "no user nobody"
	as_nobody() { HOME=/ timeout 60 setpriv --reuid nobody --regid nogroup --clear-groups "$@"; }
	as_nobody test -r /dev/kvm && skip "nobody can open /dev/kvm here"
	# what nobody runs, where nobody can reach it (the checkout may be
	# under a 0700 directory such as /root; the test rootfs is private)
	local d
	d=$(mktemp -d /tmp/cloison-kvmperm.XXXXXX)
	chmod 755 "$d"
	cp "$CLOISON" "$TOP/build/testguest.bzImage" "$d/"
	cp -a "$ROOTFS/." "$d/rootfs"
	local CLOISON=$d/cloison ROOTFS=$d/rootfs
	run as_nobody "$CLOISON" check
	echo "$output"
	[ "$status" -eq 0 ]
	line=$(grep '/dev/kvm' <<<"$output")
	[[ "$line" == *"permission denied for user nobody"* ]]
	[[ "$line" == *"add the user to the kvm group"* ]]
	[[ "$line" != *absent* ]]
	run as_nobody "$CLOISON" run --vm --rootfs "$ROOTFS" --kernel "$d/testguest.bzImage" -- /bin/true
	echo "$output"
	[ "$status" -eq 125 ]
	[[ "$output" == *"cannot use /dev/kvm: permission denied for user nobody"*"kvm group"* ]]
	[[ "$output" != *absent* ]]
	# and a stock kernel is not said to be refused because /dev/kvm is "absent"
	kernel=$(ls -t /boot/vmlinuz-* 2>/dev/null | head -1)
	if [ -n "$kernel" ]; then
		run as_nobody "$CLOISON" run --vm --rootfs "$ROOTFS" --kernel "$kernel" -- /bin/true
		echo "$output"
		[ "$status" -eq 125 ]
		[[ "$output" == *"permission denied"* ]]
		[[ "$output" != *absent* ]]
	fi
	rm -rf "$d"
}

@test "rootless limits on this hybrid host: check says why, run refuses them, a jail without limits runs" {
	local user=cltest-rlcg dir
	id "$user" >/dev/null 2>&1 || useradd -M -s /bin/sh "$user"
	dir=$(mktemp -d /tmp/cloison-rlcg.XXXXXX)
	chmod 755 "$dir"
	cp "$CLOISON" "$dir/cloison"
	cp -a "$ROOTFS/." "$dir/rootfs"
	run "$CLOISON" check --user "$user"
	local asroot=$output
	run su "$user" -c "'$dir/cloison' check"
	local asuser=$output
	run su "$user" -c "'$dir/cloison' run --rootfs '$dir/rootfs' --memory 64M -- true"
	local st=$status out=$output
	run su "$user" -c "'$dir/cloison' run --rootfs '$dir/rootfs' -- echo no-limit"
	rm -rf "$dir"
	userdel "$user" 2>/dev/null || true
	echo "$asuser"
	[ "$status" -eq 0 ] && [ "$output" = no-limit ]
	[ "$st" -eq 125 ]
	[ "$out" = "cloison: --memory as an ordinary user needs a cgroup2 subtree delegated to it; the memory controller is on cgroup v1 here, which is never delegated to users (see cloison check)" ]
	for o in "$asroot" "$asuser"; do
		grep -qE '^  memory +-- +on cgroup v1 here: rootless limits need a delegated cgroup2 subtree$' <<<"$o"
		grep -qE '^  pids +-- +on cgroup v1 here' <<<"$o"
	done
	# root without --user: no rootless section
	run "$CLOISON" check
	[[ "$output" != *rootless:* ]]
	run "$CLOISON" check --user no-such-user-here
	[[ "$output" == *"user             --   no user no-such-user-here"* ]]
}
