# Micro-VM monitor (src/vm/), its freestanding test guest (tests/guest/) and
# the boot-image fuzzer.  Included by the top-level Makefile.

# The VMM core, listed by name: other fragments add their own files (virtio,
# initramfs) to VM_SRCS.
VMCORE_SRCS := $(addprefix src/vm/,acpi.c aml.c boot_bzimage.c boot_common.c boot_cpu.c \
               boot_image.c boot_pvh.c bus.c cpu.c debug_main.c kvm.c times.c vm.c \
               dev/exitport.c dev/i8042.c dev/uart8250.c)
VM_SRCS += $(VMCORE_SRCS) src/vm/jail.c
EXTRA_DEPS += acpica-tools linux-image-cloud-amd64

# --- test guest: freestanding x86-64, packed as a bzImage ---
TESTGUEST_CC     ?= gcc
TESTGUEST_CFLAGS := -O2 -g0 -std=gnu11 -Wall -Wextra -Werror -ffreestanding -nostdlib -fno-pic \
                -fno-pie -mno-red-zone -mgeneral-regs-only -fno-stack-protector \
                -fno-asynchronous-unwind-tables -fno-tree-loop-distribute-patterns \
                -fcf-protection=none
TESTGUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-T,tests/guest/guest.ld
TESTGUEST_SRCS   := tests/guest/entry.S tests/guest/main.c tests/guest/lib.c \
                tests/guest/checks.c tests/guest/acpi.c tests/guest/hostile.c tests/guest/pvh.c \
                tests/guest/net.c

$(BUILD)/guest/testguest.elf: $(TESTGUEST_SRCS) tests/guest/guest.h tests/guest/guest.ld
	@mkdir -p $(dir $@)
	$(TESTGUEST_CC) $(TESTGUEST_CFLAGS) $(TESTGUEST_LDFLAGS) -o $@ $(TESTGUEST_SRCS)

$(BUILD)/guest/testguest.bin: $(BUILD)/guest/testguest.elf
	objcopy -O binary $< $@

$(BUILD)/guest/mkbzimage: tests/guest/mkbzimage.c src/vm/boot_image.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $<

$(BUILD)/testguest.bzImage: $(BUILD)/guest/testguest.bin $(BUILD)/guest/mkbzimage
	$(BUILD)/guest/mkbzimage $< $@

# --- test driver: boots a kernel with the VMM (until "cloison run --vm") ---
VMCORE_OBJS := $(VMCORE_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/src/util/error.o $(BUILD)/src/util/file.o
$(BUILD)/vmrun: $(BUILD)/tests/guest/vmrun.o $(VMCORE_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lpthread

-include $(BUILD)/tests/guest/vmrun.d

# the same guest as an ELF with a PVH entry note
$(BUILD)/testguest.pvh.elf: $(BUILD)/guest/testguest.elf
	cp $< $@

VM_TEST_ARTIFACTS := $(BUILD)/testguest.bzImage $(BUILD)/testguest.pvh.elf $(BUILD)/vmrun
TEST_ARTIFACTS += $(VM_TEST_ARTIFACTS)
.PHONY: vm-test-artifacts fuzz-bootimage test-vm
vm-test-artifacts: $(VM_TEST_ARTIFACTS)
test: vm-test-artifacts

# The micro-VM suites on this host (the nested one: make test-vm-nested).
# test-artifacts makes build/rootfs, the default rootfs of run --vm.
test-vm: all test-artifacts
	tests/run-tests tests/vm.bats tests/vm-cli.bats tests/vm-jail.bats tests/virtio.bats

# --- libFuzzer target for the boot-image parser ---
FUZZ_CC ?= clang
FUZZ_TIME ?= 60
$(BUILD)/fuzz/fuzz_bootimage: tests/fuzz/fuzz_bootimage.c src/vm/boot_image.c src/util/error.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		$(CPPFLAGS) -o $@ $^

fuzz: fuzz-bootimage
fuzz-bootimage: $(BUILD)/fuzz/fuzz_bootimage $(BUILD)/testguest.bzImage $(BUILD)/testguest.pvh.elf
	@mkdir -p $(BUILD)/fuzz/corpus
	cp $(BUILD)/testguest.bzImage $(BUILD)/testguest.pvh.elf $(BUILD)/fuzz/corpus/
	$< -max_total_time=$(FUZZ_TIME) -max_len=65536 $(BUILD)/fuzz/corpus

# cl_vm_run_jailed() against a fake, hostile VMM (tests/unit/test_vm_jail.c):
# the test defines cl_vm_run(); everything else comes from cloison's objects,
# through an archive so that only what jail.c needs is linked.
VMJAIL_TEST_OBJS := $(filter-out $(BUILD)/src/vm/vm.o $(BUILD)/src/cli/main.o,\
                    $(patsubst %.c,$(BUILD)/%.o,$(CORE_SRCS) $(VM_SRCS))) \
                    $(BUILD)/src/ns/tinyinit_blob.o
$(BUILD)/tests/libcloison-novm.a: $(VMJAIL_TEST_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
$(BUILD)/tests/test_vm_jail: tests/unit/test_vm_jail.c $(BUILD)/tests/libcloison-novm.a
	$(CC) $(CPPFLAGS) -O1 -g -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
		-fsanitize=address,undefined -fno-omit-frame-pointer -o $@ $< \
		$(BUILD)/tests/libcloison-novm.a $(LDLIBS) -lpthread
# the same without sanitizers, for the cases that load the real filters
$(BUILD)/tests/test_vm_jail-plain: tests/unit/test_vm_jail.c $(BUILD)/tests/libcloison-novm.a
	$(CC) $(CPPFLAGS) -O1 -g -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
		-o $@ $< $(BUILD)/tests/libcloison-novm.a $(LDLIBS) -lpthread
TEST_ARTIFACTS += $(BUILD)/tests/test_vm_jail $(BUILD)/tests/test_vm_jail-plain
