/* A KVM smoke test for the nested test guest: run four real-mode instructions
 * in a VM (out 42 to port 0x501, hlt) and check the exits.  Proves that the
 * /dev/kvm given by kvm-amd under QEMU TCG really runs guest code. */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

static int fail(const char *what)
{
	perror(what);
	return 1;
}

int main(void)
{
	static const uint8_t code[] = {0xb0, 42, 0xba, 0x01, 0x05, 0xee, 0xf4};
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	int kvm, vm, vcpu, size;
	uint8_t *mem;

	if ((kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC)) < 0)
		return fail("/dev/kvm");
	if (ioctl(kvm, KVM_GET_API_VERSION, 0) != 12)
		return fail("KVM_GET_API_VERSION");
	if ((vm = ioctl(kvm, KVM_CREATE_VM, 0)) < 0)
		return fail("KVM_CREATE_VM");
	mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return fail("mmap");
	memcpy(mem, code, sizeof(code));
	region = (struct kvm_userspace_memory_region){.slot = 0,
						      .guest_phys_addr = 0x1000,
						      .memory_size = 0x1000,
						      .userspace_addr = (uintptr_t)mem};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return fail("KVM_SET_USER_MEMORY_REGION");
	if ((vcpu = ioctl(vm, KVM_CREATE_VCPU, 0)) < 0)
		return fail("KVM_CREATE_VCPU");
	if ((size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0)) < 0)
		return fail("KVM_GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return fail("mmap vcpu");
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return fail("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		return fail("KVM_SET_SREGS");
	regs = (struct kvm_regs){.rip = 0x1000, .rflags = 2};
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		return fail("KVM_SET_REGS");
	if (ioctl(vcpu, KVM_RUN, 0) < 0)
		return fail("KVM_RUN");
	if (run->exit_reason != KVM_EXIT_IO || run->io.port != 0x501 || run->io.size != 1 ||
	    run->io.direction != KVM_EXIT_IO_OUT) {
		fprintf(stderr, "unexpected exit %u\n", run->exit_reason);
		return 1;
	}
	printf("guest wrote %u to port %#x\n", *((uint8_t *)run + run->io.data_offset),
	       run->io.port);
	if (ioctl(vcpu, KVM_RUN, 0) < 0)
		return fail("KVM_RUN");
	if (run->exit_reason != KVM_EXIT_HLT) {
		fprintf(stderr, "unexpected exit %u, wanted HLT\n", run->exit_reason);
		return 1;
	}
	printf("guest halted\n");
	return 0;
}
