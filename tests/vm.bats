#!/usr/bin/env bats
# cloison's KVM monitor, tested directly on this host (PVM is enough) with the
# freestanding test guest (tests/guest/), which boots as a bzImage exactly as
# Linux does and reports over the UART and the exit port.

load helpers

VMRUN="$TOP/build/vmrun"
GUEST="$TOP/build/testguest.bzImage"

setup_file() {
	make -C "$TOP" -s vm-test-artifacts >/dev/null
}

setup() {
	[ -e /dev/kvm ] || skip "no /dev/kvm"
	TMP="$(mktemp -d "${BATS_TMPDIR:-/tmp}/cloison-vm.XXXXXX")"
}

teardown() {
	[ -n "${TMP:-}" ] && rm -rf "$TMP"
	return 0
}

stock_kernel() {
	ls /boot/vmlinuz-*-cloud-amd64 2>/dev/null | head -1
}

# boot [vmrun options] CMDLINE: boot the test guest, bounded by a timeout.
boot() {
	local args=("$@")
	local cmdline="${args[-1]}"
	unset 'args[-1]'
	run timeout 60 "$VMRUN" "${args[@]}" "$GUEST" "$cmdline"
}

# hostile VARIANT MESSAGE: the guest's misbehaviour stops the VM with exit
# 125 and MESSAGE on stderr.
hostile() {
	boot --vcpus 2 "cpus=2 hostile=$1"
	echo "$output"
	[ "$status" -eq 125 ]
	[[ "$output" == *"cloison: "*"$2"* ]]
}

@test "vm: test guest boots as a bzImage and its checks pass with 1 vCPU" {
	boot "cpus=1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"zero page ok"* ]]
	[[ "$output" == *"cpu ok"* ]]
	[[ "$output" == *"acpi ok"*"MADT with 1 CPUs"* ]]
	[[ "$output" == *"all checks passed"* ]]
}

@test "vm: test guest checks pass with 2 vCPUs (MADT lists both)" {
	boot --vcpus 2 "cpus=2"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"MADT with 2 CPUs"* ]]
	[[ "$output" == *"all checks passed"* ]]
}

@test "vm: the same guest boots through the PVH entry of its ELF (hvm_start_info)" {
	run timeout 60 "$VMRUN" --vcpus 2 "$TOP/build/testguest.pvh.elf" "cpus=2"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"started via PVH"*"PVH start info ok"*"MADT with 2 CPUs"* ]]
	[[ "$output" == *"all checks passed"* ]]
}

@test "vm: an ELF without a PVH note is refused" {
	run "$VMRUN" /bin/true
	[ "$status" -eq 125 ]
	[[ "$output" == *"no PVH entry note"* ]]
}

@test "vm: the MADT CPU count check fails when it should" {
	boot --vcpus 2 "cpus=3"
	[ "$status" -eq 47 ]
	[[ "$output" == *"FAIL: MADT CPU count"* ]]
}

@test "vm: virtio-mmio devices from the DSDT answer with the virtio magic" {
	boot --dummy-mmio 3 "cpus=1 virtio=3"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"virtio-mmio devices ok: 3"* ]]
}

@test "vm: console input reaches the guest through the UART" {
	run bash -c "printf 'hello world\n' | timeout 60 '$VMRUN' --stdin '$GUEST' echo=1"
	echo "$output"
	[ "$status" -eq 11 ]
	[[ "$output" == *"hello world"* ]]
}

@test "vm: guest status is passed through; timings on CLOISON_VM_TIMES=1" {
	CLOISON_VM_TIMES=1 boot "cpus=1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"vm times (ms from start): setup "*", init "*", exit "* ]]
}

@test "vm: hostile triple fault is contained" {
	hostile triplefault "triple-faulted"
}

@test "vm: hostile jump to a non-canonical address is contained" {
	hostile jumpwild "triple-faulted"
}

@test "vm: hostile jump into unbacked MMIO is contained" {
	hostile jumpmmio "KVM internal error"
}

@test "vm: hostile hlt with interrupts off on every vCPU is detected" {
	hostile hltcli "halted with interrupts disabled"
}

@test "vm: hostile kernel panic on the console stops the VM" {
	hostile panic "guest kernel panic: testguest hostile panic"
}

@test "vm: hostile i8042 reset stops the VM" {
	hostile reset "guest reset the machine"
}

@test "vm: hostile exit-port writes of the wrong size are refused" {
	hostile exitbyte "wrote 1 byte(s) to exit port"
	hostile exitword "wrote 2 byte(s) to exit port"
}

@test "vm: hostile exit status out of range is refused" {
	hostile exitbig "invalid exit status 74565"
}

@test "vm: hostile port I/O flood is ignored and counted; the VMM survives" {
	CLOISON_VM_TIMES=1 boot "hostile=pioflood"
	echo "$output"
	[ "$status" -eq 42 ]
	[[ "$output" =~ unclaimed\ pio\ [0-9]{4,} ]]
}

@test "vm: hostile MMIO flood is ignored and counted; the VMM survives" {
	CLOISON_VM_TIMES=1 boot "hostile=mmioflood"
	echo "$output"
	[ "$status" -eq 42 ]
	[[ "$output" =~ mmio\ [0-9]{4,} ]]
}

@test "vm: hostile garbage virtio queues do not crash the VMM" {
	boot --dummy-mmio 2 "hostile=virtio"
	echo "$output"
	[ "$status" -eq 42 ]
}

@test "vm: a file that is not a kernel is refused" {
	run "$VMRUN" /etc/passwd
	[ "$status" -eq 125 ]
	[[ "$output" == *"not a Linux kernel image"* ]]
}

@test "vm: a truncated bzImage is refused" {
	head -c 3000 "$GUEST" >"$TMP/short"
	run "$VMRUN" "$TMP/short"
	[ "$status" -eq 125 ]
	[[ "$output" == *"bzImage truncated"* ]]
	head -c 700 "$GUEST" >"$TMP/shorter"
	run "$VMRUN" "$TMP/shorter"
	[ "$status" -eq 125 ]
	[[ "$output" == *"too short"* ]]
}

@test "vm: the parser accepts Debian's bzImage and rejects corrupt copies" {
	k="$(stock_kernel)"
	[ -n "$k" ] || skip "linux-image-cloud-amd64 not installed"
	run "$VMRUN" --is-stock "$k"
	[ "$status" -eq 0 ]
	[ "$output" = stock ]
	run "$VMRUN" --is-stock "$GUEST"
	[ "$output" = testguest ]

	head -c 4000000 "$k" >"$TMP/trunc"
	run "$VMRUN" --is-stock "$TMP/trunc"
	[ "$status" -eq 125 ]
	[[ "$output" == *"bzImage truncated"* ]]

	cp "$k" "$TMP/nohdr"
	printf 'XXXX' | dd of="$TMP/nohdr" bs=1 seek=$((0x202)) conv=notrunc status=none
	run "$VMRUN" --is-stock "$TMP/nohdr"
	[ "$status" -eq 125 ]
	[[ "$output" == *"not a Linux kernel image"* ]]

	cp "$k" "$TMP/no64"
	printf '\0\0' | dd of="$TMP/no64" bs=1 seek=$((0x236)) conv=notrunc status=none
	run "$VMRUN" --is-stock "$TMP/no64"
	[ "$status" -eq 125 ]
	[[ "$output" == *"no 64-bit entry"* ]]

	cp "$k" "$TMP/bigsys"
	printf '\xff\xff\xff\x0f' | dd of="$TMP/bigsys" bs=1 seek=$((0x1f4)) conv=notrunc status=none
	run "$VMRUN" --is-stock "$TMP/bigsys"
	[ "$status" -eq 125 ]
	[[ "$output" == *"truncated"* ]]
}

@test "vm: on a PVM host a stock kernel is refused with an explanation" {
	k="$(stock_kernel)"
	[ -n "$k" ] || skip "linux-image-cloud-amd64 not installed"
	run "$VMRUN" --probe
	[[ "$output" == PVM* ]] || skip "/dev/kvm is $output"
	run timeout 60 "$VMRUN" "$k" "console=ttyS0"
	[ "$status" -eq 125 ]
	[[ "$output" == *"stock Linux kernel"*"PVM"*"--force"* ]]
}

@test "vm: iasl disassembles and recompiles the ACPI tables without errors" {
	command -v iasl >/dev/null || skip "iasl (acpica-tools) not installed"
	run "$VMRUN" --vcpus 4 --mmio-devs 3 --dump-acpi "$TMP"
	[ "$status" -eq 0 ]
	for t in XSDT FACP APIC DSDT; do
		[ -s "$TMP/$t.dat" ]
		(cd "$TMP" && iasl -d "$t.dat") >"$TMP/$t.log" 2>&1 || { cat "$TMP/$t.log"; false; }
		! grep -iE 'error|warning|incorrect|invalid' "$TMP/$t.dsl" "$TMP/$t.log" || false
		(cd "$TMP" && iasl -ve -p "$TMP/$t.re" "$t.dsl") >"$TMP/$t.log2" 2>&1 || { cat "$TMP/$t.log2"; false; }
	done
	grep -q 'Hardware Reduced (V5) : 1' "$TMP/FACP.dsl"
	[ "$(grep -c 'Processor Local APIC' "$TMP/APIC.dsl")" -eq 4 ]
	[ "$(grep -c '"LNRO0005"' "$TMP/DSDT.dsl")" -eq 3 ]
	grep -q 'Memory32Fixed (ReadWrite' "$TMP/DSDT.dsl"
	# RSDP: iasl cannot take it alone; check signature and both checksums.
	python3 - "$TMP/RSDP.dat" <<'PY'
import sys
b = open(sys.argv[1], 'rb').read()
assert b[:8] == b'RSD PTR ' and len(b) == 36 and b[15] == 2
assert sum(b[:20]) % 256 == 0 and sum(b) % 256 == 0
PY
}

@test "vm: tables are dumped by a real run too (CLOISON_VM_DUMP_ACPI)" {
	CLOISON_VM_DUMP_ACPI="$TMP" boot --vcpus 2 "cpus=2"
	[ "$status" -eq 0 ]
	mkdir "$TMP/ref"
	"$VMRUN" --vcpus 2 --dump-acpi "$TMP/ref"
	for t in RSDP XSDT FACP APIC DSDT; do cmp "$TMP/ref/$t.dat" "$TMP/$t.dat"; done
}

@test "vm: bad configurations are refused" {
	run "$VMRUN" --mem 4 "$GUEST"
	[ "$status" -eq 125 ]
	[[ "$output" == *"guest memory must be between"* ]]
	run "$VMRUN" --vcpus 999 "$GUEST"
	[ "$status" -eq 125 ]
	[[ "$output" == *"vCPUs requested"* ]]
	# a guest busy-waiting for console input that never comes
	run timeout 60 "$VMRUN" --timeout 1 "$GUEST" "echo=1"
	[ "$status" -eq 124 ]
	[[ "$output" == *"did not report an exit status within 1000 ms"* ]]
}

@test "vm: no VMM process or thread survives the suite" {
	left=0
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" = "$VMRUN" ] && left=$((left + 1))
	done
	[ "$left" -eq 0 ]
}
