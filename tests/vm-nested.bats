#!/usr/bin/env bats
# Tests that need a real Linux guest under hardware-assisted KVM.  This host's
# /dev/kvm is PVM, so tests/vm/run-in-guest boots ONE QEMU TCG guest emulating
# AMD-V (kvm-amd loaded, cgroup2 only) and runs every tests/vm/inner/*.sh in
# it; each @test below checks the outcome line of one inner test.
#
# Adding an inner test: write tests/vm/inner/NN-name.sh (exit 0 pass, 77 skip,
# anything else fail; its output is shown on failure) and add a line
#   @test "vm: NN-name" { inner NN-name; }
# below (the last test fails if a script has no @test here).

setup_file() {
	export CL_VM_OUT="${BATS_TEST_DIRNAME}/../build/vm-test"
	"${BATS_TEST_DIRNAME}/vm/run-in-guest" -t 600 -o "$CL_VM_OUT" >"${BATS_FILE_TMPDIR}/harness.log" 2>&1 || true
	cp "${BATS_FILE_TMPDIR}/harness.log" "$CL_VM_OUT/harness.log" 2>/dev/null || true
	# a boot the harness restarted after an emulator stall is said in the
	# TAP stream, passed or not
	if [ -s "$CL_VM_OUT/stalls" ]; then
		sed 's/^/# run-in-guest: /' "$CL_VM_OUT/stalls" >&3
	fi
}

# inner NAME: pass if the guest reported "ok N NAME", skip on "# skip".
inner() {
	local name=$1 line
	line=$(grep -E "^(ok|not ok) [0-9]+ $name( |\$)" "$CL_VM_OUT/results" 2>/dev/null | head -1)
	if [ -z "$line" ]; then
		echo "no result for $name; harness said:"
		cat "$CL_VM_OUT/harness.log" 2>/dev/null
		return 1
	fi
	if [[ $line == ok* ]]; then
		[[ $line == *"# skip"* ]] && skip "${line#*# skip }"
		return 0
	fi
	echo "$line"
	cat "$CL_VM_OUT/out/$name.log" 2>/dev/null
	return 1
}

@test "vm: 01-kvm-amd" { inner 01-kvm-amd; }
@test "vm: 02-cgroup2-only" { inner 02-cgroup2-only; }
@test "vm: 03-pivot-root" { inner 03-pivot-root; }
@test "vm: 04-cloison-runs" { inner 04-cloison-runs; }
@test "vm: 05-guest-init-jail" { inner 05-guest-init-jail; }
@test "vm: 06-initramfs-guest-kernel" { inner 06-initramfs-guest-kernel; }
@test "vm: 07-kvm-runs-guest-code" { inner 07-kvm-runs-guest-code; }
@test "vm: 08-cloison-check" { inner 08-cloison-check; }
@test "vm: 09-vm-run-linux" { inner 09-vm-run-linux; }
@test "vm: 10-vm-run-disk" { inner 10-vm-run-disk; }
@test "vm: 11-cgroup-v2" { inner 11-cgroup-v2; }
@test "vm: 12-vm-run-options" { inner 12-vm-run-options; }
@test "vm: 13-services" { inner 13-services; }
@test "vm: 14-rootless-cgroup" { inner 14-rootless-cgroup; }
@test "vm: 15-vm-net" { inner 15-vm-net; }
@test "vm: 16-vm-vsock" { inner 16-vm-vsock; }
@test "vm: 17-vm-agent" { inner 17-vm-agent; }

@test "vm: every inner test has a @test in vm-nested.bats" {
	local f n missing=
	for f in "${BATS_TEST_DIRNAME}"/vm/inner/*.sh; do
		n=$(basename "$f" .sh)
		grep -q "{ inner $n; }" "$BATS_TEST_FILENAME" || missing+=" $n"
	done
	[ -z "$missing" ] || { echo "add @test lines for:$missing"; return 1; }
}
