# The micro-VM guest side: cloison-init (static PID 1), the initramfs writer,
# and the nested-KVM test harness (tests/vm/).

# Fragments are read before the top-level "all:"; keep it the default goal.
.DEFAULT_GOAL := all

GUEST_INIT_SRCS := src/guest/init.c src/guest/spec.c src/guest/report.c src/guest/kmod.c \
                   src/guest/mounts.c src/guest/net.c src/guest/agent.c src/guest/agent_proto.c \
                   src/util/error.c src/util/file.c
GUEST_INIT_OBJS := $(GUEST_INIT_SRCS:%.c=$(BUILD)/guest-init/%.o)
# no sanitizers (check-asan): they do not link -static, and init is not the host
GUEST_CFLAGS = $(filter-out -fsanitize=%,$(CFLAGS))

all: $(BUILD)/cloison-init

# Static, with no library beyond libc: it is the whole userland of a VM
# whose rootfs may have no libc at all.
$(BUILD)/cloison-init: $(GUEST_INIT_OBJS)
	$(CC) $(GUEST_CFLAGS) -static -o $@ $^

$(BUILD)/guest-init/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) -Isrc -D_GNU_SOURCE $(GUEST_CFLAGS) -MMD -MP -c -o $@ $<

-include $(GUEST_INIT_OBJS:.o=.d)

# The host side: spec encoder and initramfs writer, linked into cloison.
# liblzma and libzstd are dlopen'ed on first use (util/lazylib.h),
# not linked, so that a container run never loads them: only their headers
# are build dependencies, their runtime packages come with the -dev ones.
VM_SRCS += src/guest/spec.c src/guest/agent_proto.c src/vm/initramfs.c src/vm/cpio.c src/vm/kmod.c src/vm/guest_files.c
CPPFLAGS += $(shell pkg-config --cflags liblzma libzstd 2>/dev/null)
DEPS_BUILD += liblzma-dev libzstd-dev

# The nested-KVM harness: QEMU TCG emulating AMD-V, Debian's cloud kernel.
EXTRA_DEPS += qemu-system-x86 linux-image-cloud-amd64 cpio busybox-static xz-utils zstd

.PHONY: test-vm-nested test-guest install-guest
test-vm-nested: all test-artifacts
	tests/run-tests tests/vm-nested.bats

test-guest: all test-artifacts
	tests/run-tests tests/guest-init.bats tests/initramfs.bats

# cloison looks for the guest init next to itself, then in SHAREDIR.
install: install-guest
install-guest: $(BUILD)/cloison-init
	install -D -m 0755 $(BUILD)/cloison-init $(DESTDIR)$(SHAREDIR)/cloison-init

# Test driver for the initramfs writer (tests/initramfs.bats, tests/guest-init.bats).
INITRAMFS_SRCS := src/vm/initramfs.c src/vm/cpio.c src/vm/kmod.c src/guest/spec.c src/util/error.c src/util/file.c \
                  src/util/lazylib.c src/util/sha256.c
$(BUILD)/tests/cl-mkinitramfs: tests/vm/mkinitramfs.c $(INITRAMFS_SRCS) $(wildcard src/vm/*.h src/guest/*.h src/util/*.h)
	@mkdir -p $(dir $@)
	$(CC) -Isrc -D_GNU_SOURCE $(CFLAGS) $(shell pkg-config --cflags liblzma libzstd) \
		-o $@ $(filter %.c,$^)
TEST_ARTIFACTS += $(BUILD)/tests/cl-mkinitramfs

# KVM smoke test run inside the nested test guest (tests/vm/inner/).
$(BUILD)/tests/cl-kvm-smoke: tests/vm/kvm-smoke.c
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -static -o $@ $<
TEST_ARTIFACTS += $(BUILD)/tests/cl-kvm-smoke

# Both ends of a vsock stream, for 16-vm-vsock (host and nested guest).
$(BUILD)/tests/cl-vsock: tests/vm/vsock-test.c
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -static -o $@ $<
TEST_ARTIFACTS += $(BUILD)/tests/cl-vsock

# The host's side of the guest agent against a hostile fake agent, with ASan
# and UBSan (tests/svc-exec.bats).
$(BUILD)/tests/test_agent: tests/unit/test_agent.c src/vm/agent_host.c src/guest/agent_proto.c \
		src/guest/spec.c src/util/error.c src/util/file.c src/vm/agent_host.h \
		src/guest/agent_proto.h
	@mkdir -p $(dir $@)
	$(CC) -Isrc -D_GNU_SOURCE -O1 -g -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
		-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
		-o $@ $(filter %.c,$^) -pthread
TEST_ARTIFACTS += $(BUILD)/tests/test_agent

# Unit tests of the guest spec codec, with ASan and UBSan.
$(BUILD)/tests/test_guest_spec: tests/unit/test_guest_spec.c src/guest/spec.c src/util/error.c src/util/file.c src/guest/spec.h
	@mkdir -p $(dir $@)
	$(CC) -Isrc -D_GNU_SOURCE -O1 -g -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
		-fsanitize=address,undefined -fno-omit-frame-pointer -o $@ $(filter %.c,$^)
TEST_ARTIFACTS += $(BUILD)/tests/test_guest_spec
