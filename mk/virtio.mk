# Virtio devices for the micro-VM: virtio-mmio transport, split virtqueues,
# virtio-blk, virtio-console (src/vm/virtqueue.c, src/vm/dev/virtio_*.c),
# their in-process unit tests and the libFuzzer target.
#
#   make virtio-unit      build the unit tests (plain and ASan+UBSan)
#   make test-virtio      run both (TAP)
#   make fuzz-virtqueue   fuzz the virtqueue/transport/devices for FUZZ_TIME s

# Fragments are read before the top-level "all:"; keep it the default goal.
.DEFAULT_GOAL := all

VIRTIO_SRCS := src/vm/virtqueue.c src/vm/dev/virtio_mmio.c src/vm/dev/virtio_blk.c \
               src/vm/dev/virtio_console.c src/vm/dev/virtio_net.c src/vm/dev/virtio_io.c \
               src/vm/dev/virtio_vsock.c
# filter-out: harmless if another fragment already added src/vm/dev/*.c
VM_SRCS += $(filter-out $(VM_SRCS),$(VIRTIO_SRCS))

VIRTIO_TEST_SRCS := tests/unit/test_virtio.c tests/unit/test_virtio_hostile.c \
                    tests/unit/test_virtio_console.c tests/unit/test_virtio_net.c \
                    tests/unit/test_virtio_vsock.c \
                    tests/unit/virtio_guest.c $(VIRTIO_SRCS) src/util/error.c
VIRTIO_HDRS := src/vm/mem.h src/vm/vm.h src/vm/virtio.h src/vm/virtqueue.h src/vm/dev/virtio_mmio.h \
               src/util/error.h src/util/cleanup.h tests/unit/virtio_guest.h
VIRTIO_SAN := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

.PHONY: virtio-unit test-virtio fuzz-virtqueue

virtio-unit: $(BUILD)/tests/test_virtio $(BUILD)/tests/test_virtio-asan

$(BUILD)/tests/test_virtio: $(VIRTIO_TEST_SRCS) $(VIRTIO_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $(VIRTIO_TEST_SRCS) -pthread

$(BUILD)/tests/test_virtio-asan: $(VIRTIO_TEST_SRCS) $(VIRTIO_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(VIRTIO_SAN) -o $@ $(VIRTIO_TEST_SRCS) -pthread

test-virtio: virtio-unit
	$(BUILD)/tests/test_virtio
	$(BUILD)/tests/test_virtio-asan

# libFuzzer (clang).  One worker: the machines are shared.
EXTRA_DEPS += clang libclang-rt-14-dev
FUZZ_CC   ?= clang
FUZZ_TIME ?= 60
FUZZ_ARGS ?=
VIRTIO_FUZZ := $(BUILD)/fuzz/fuzz_virtqueue

$(VIRTIO_FUZZ): tests/fuzz/fuzz_virtqueue.c $(VIRTIO_SRCS) src/util/error.c $(VIRTIO_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -g -O1 \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o $@ tests/fuzz/fuzz_virtqueue.c $(VIRTIO_SRCS) src/util/error.c -pthread

fuzz-virtqueue: $(VIRTIO_FUZZ)
	@mkdir -p $(BUILD)/fuzz/corpus-virtqueue
	$(VIRTIO_FUZZ) -max_total_time=$(FUZZ_TIME) -close_fd_mask=2 -print_final_stats=1 \
		-artifact_prefix=$(BUILD)/fuzz/ $(FUZZ_ARGS) \
		$(BUILD)/fuzz/corpus-virtqueue tests/fuzz/corpus-virtqueue

fuzz: fuzz-virtqueue
