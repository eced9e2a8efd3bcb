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

# listing DIR: every entry (type, mode, owner, size, mtime, link) and hash
listing() {
	(cd "$1" && find . -xdev -printf '%p %y %m %U:%G %s %T@ %l\n' | LC_ALL=C sort &&
		find . -xdev -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
}

@test "the README's CI job: a package installed in the job's throw-away root, a C build, the base unchanged" {
	local ci="$TOP/build/debian-ci" src
	# once: the base with its toolchain (from the mirror apt uses, on the host's network)
	if [ ! -e "$ci/.cloison-toolchain" ]; then
		rm -rf "$ci" "$(dirname "$ci")/.cloison-private/debian-ci"
		"$TOP/rootfs-tools/mkrootfs-debian" "$ci"
		"$CLOISON" run --rootfs "$ci" --net host -- sh -c 'apt-get update && apt-get install -y gcc make libc6-dev'
		touch "$ci/.cloison-toolchain"
	fi
	src=$(mktemp -d /tmp/cloison-ci.XXXXXX)
	cat >"$src/hello.c" <<-'C'
		#include <stdio.h>
		#include <sys/capability.h>
		int main(void)
		{
			cap_t c = cap_get_proc();
			char *t = cap_to_text(c, NULL);
			printf("hello from a job with %s\n", t);
			return 0;
		}
	C
	printf 'hello: hello.c\n\t$(CC) -o $@ $< -lcap\n' >"$src/Makefile"
	(cd "$src" && apt-get download libcap2 libcap-dev >/dev/null)
	listing "$ci/" >"$src/before"
	cd "$src"
	run "$CLOISON" run --rootfs "$ci" --profile ci-sandbox -- sh -c 'dpkg -i ./*.deb >/dev/null && make && ./hello'
	echo "$output"
	listing "$ci/" >"$src/after"
	local d
	d=$(diff "$src/before" "$src/after" || true)
	cd /
	rm -rf "$src"
	[ "$status" -eq 0 ]
	[[ "$output" == *"hello from a job with "* ]]
	[ -z "$d" ] || { echo "the base changed: $d"; false; }
}
