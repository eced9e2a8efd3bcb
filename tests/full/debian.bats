#!/usr/bin/env bats
# Slow: a debootstrap'd Debian rootfs (make test-full).

load ../helpers

setup_file() {
	export DEBROOT="$TOP/build/debian-rootfs"
	[ -e "$DEBROOT/.cloison-rootfs" ] || "$TOP/rootfs-tools/mkrootfs-debian" "$DEBROOT"
}

@test "mkrootfs-debian builds a rootfs cloison runs" {
	run "$CLOISON" run --rootfs "$DEBROOT" -- sh -c '. /etc/os-release; echo $ID; dpkg -l | grep -c ^ii; id -un'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = debian ]
	[ "${lines[1]}" -gt 50 ]
	[ "${lines[2]}" = root ]
}

@test "absolute symlinks of a real distribution (/var/run -> /run) are refused as mount targets" {
	run "$CLOISON" run --rootfs "$DEBROOT" --tmpfs /var/run/x -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"leaves the rootfs"* ]]
}

@test "the Debian rootfs under --userns and --read-only" {
	run "$CLOISON" run --rootfs "$DEBROOT" --userns --read-only -- sh -c 'id -u; touch /x 2>&1 || true'
	[ "${lines[0]}" = 0 ]
	[[ "$output" == *"Read-only file system"* ]]
}
