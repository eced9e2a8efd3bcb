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
