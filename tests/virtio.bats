#!/usr/bin/env bats
# Virtio devices of the micro-VM (virtio-mmio transport, split virtqueues,
# virtio-blk, virtio-console), tested in-process: tests/unit/test_virtio.c
# plays the guest driver on a buffer standing in for guest RAM, including
# hostile guests.  Also a short run of the libFuzzer target.

setup_file() {
	ROOT="$BATS_TEST_DIRNAME/.."
	export ROOT
	make -C "$ROOT" -s virtio-unit >"$BATS_FILE_TMPDIR/build.log" 2>&1 ||
		{ cat "$BATS_FILE_TMPDIR/build.log" >&3; return 1; }
}

@test "virtio: unit tests pass" {
	run "$ROOT/build/tests/test_virtio"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ 1\.\.[0-9]+ ]]
	! grep -q '^not ok' <<<"$output"
}

@test "virtio: unit tests pass under ASan and UBSan" {
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1 \
		run "$ROOT/build/tests/test_virtio-asan"
	echo "$output"
	[ "$status" -eq 0 ]
	! grep -E 'AddressSanitizer|LeakSanitizer|runtime error' <<<"$output" || false
	! grep -q '^not ok' <<<"$output"
}

@test "virtio: hostile rings are contained with a clear message" {
	run "$ROOT/build/tests/test_virtio"
	[ "$status" -eq 0 ]
	grep -q 'contained: virtio-blk: queue 0: descriptor chain loops at index 3' <<<"$output"
	grep -q 'contained: virtio-blk: queue 0: avail index jumped from 0 to 200 (queue size 8)' <<<"$output"
	grep -q 'contained: virtio-blk: queue 0: size 6 is not a power of two' <<<"$output"
	grep -q 'cloison: warning: virtio-blk: queue 0: .* (device at 0xd0000000 stopped until the guest resets it)' <<<"$output"
}

@test "virtio: fuzz target survives its seed corpus and 20000 mutations" {
	command -v clang >/dev/null || skip "clang not installed"
	make -C "$ROOT" -s build/fuzz/fuzz_virtqueue >"$BATS_TEST_TMPDIR/fuzz-build.log" 2>&1 ||
		{ cat "$BATS_TEST_TMPDIR/fuzz-build.log"; return 1; }
	mkdir -p "$BATS_TEST_TMPDIR/corpus"
	run "$ROOT/build/fuzz/fuzz_virtqueue" -runs=20000 -seed=1 -timeout=10 -close_fd_mask=2 \
		-artifact_prefix="$BATS_TEST_TMPDIR/" "$BATS_TEST_TMPDIR/corpus" \
		"$ROOT/tests/fuzz/corpus-virtqueue"
	echo "$output" | tail -5
	[ "$status" -eq 0 ]
	grep -q 'Done 20000 runs' <<<"$output"
}
