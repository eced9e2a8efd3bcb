#include "vm/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/error.h"
#include "vm/layout.h"
#include "vm/vm.h"

int cl_kvm_open(struct cl_err *err)
{
	_cleanup_close_ int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int v;

	if (fd < 0) {
		int e = errno;
		char why[256];

		if (e == EACCES || e == EPERM) {
			cl_kvm_denied_hint(why, sizeof(why));
			return cl_fail(err, 0, "cannot open /dev/kvm: %s", why);
		}
		return cl_fail(err, e, "cannot open /dev/kvm");
	}
	v = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (v != KVM_API_VERSION)
		return cl_fail(err, 0, "/dev/kvm speaks KVM API %d, need %d", v, KVM_API_VERSION);
	static const struct {
		int cap;
		const char *name;
	} need[] = {
	    {KVM_CAP_IRQCHIP, "IRQCHIP"},	    {KVM_CAP_PIT2, "PIT2"},
	    {KVM_CAP_SET_TSS_ADDR, "SET_TSS_ADDR"}, {KVM_CAP_USER_MEMORY, "USER_MEMORY"},
	    {KVM_CAP_EXT_CPUID, "EXT_CPUID"},	    {KVM_CAP_IMMEDIATE_EXIT, "IMMEDIATE_EXIT"},
	    {KVM_CAP_IRQ_ROUTING, "IRQ_ROUTING"},   {KVM_CAP_MP_STATE, "MP_STATE"},
	};
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (ioctl(fd, KVM_CHECK_EXTENSION, need[i].cap) <= 0)
			return cl_fail(err, 0, "/dev/kvm lacks KVM_CAP_%s", need[i].name);
	return cl_steal_fd(&fd);
}

/* As on a PC: the PIT's ISA IRQ 0 reaches IOAPIC pin 2 (the MADT says so with
 * an interrupt source override), every other GSI the pin of the same number. */
static int set_routing(int vm, struct cl_err *err)
{
	struct {
		struct kvm_irq_routing r;
		struct kvm_irq_routing_entry e[64];
	} rt;
	unsigned n = 0;

	memset(&rt, 0, sizeof(rt));
	for (unsigned i = 0; i < 16; i++) {
		if (i == 2)
			continue;
		rt.e[n].gsi = i;
		rt.e[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		rt.e[n].u.irqchip.irqchip = i < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
		rt.e[n].u.irqchip.pin = i % 8;
		n++;
	}
	for (unsigned i = 0; i < 24; i++) {
		if (i == 2)
			continue;
		rt.e[n].gsi = i;
		rt.e[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		rt.e[n].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		rt.e[n].u.irqchip.pin = i == 0 ? 2 : i;
		n++;
	}
	rt.r.nr = n;
	if (ioctl(vm, KVM_SET_GSI_ROUTING, &rt) < 0)
		return cl_fail(err, errno, "cannot set the VM's interrupt routing");
	return 0;
}

int cl_kvm_create_vm(int kvm_fd, struct cl_err *err)
{
	_cleanup_close_ int vm = -1;
	uint64_t idmap = CL_IDENTITY_MAP_ADDR;
	struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};

	do
		vm = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	while (vm < 0 && errno == EINTR);
	if (vm < 0)
		return cl_fail(err, errno, "cannot create a KVM virtual machine");
	if (ioctl(vm, KVM_SET_TSS_ADDR, (unsigned long)CL_TSS_ADDR) < 0)
		return cl_fail(err, errno, "KVM_SET_TSS_ADDR");
	if (ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
		return cl_fail(err, errno, "KVM_SET_IDENTITY_MAP_ADDR");
	if (ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0)
		return cl_fail(err, errno, "cannot create the in-kernel interrupt controllers");
	if (set_routing(vm, err) < 0)
		return -1;
	if (ioctl(vm, KVM_CREATE_PIT2, &pit) < 0)
		return cl_fail(err, errno, "cannot create the in-kernel PIT");
	return cl_steal_fd(&vm);
}

uint8_t *cl_kvm_add_ram(int vm_fd, uint64_t size, struct cl_err *err)
{
	struct kvm_userspace_memory_region r;
	void *m;

	/* NORESERVE: pages are only allocated when the guest touches them.
	 * 2 MiB-aligned, as QEMU's: where transparent huge pages are on, the
	 * guest's 2 MiB ranges can then be huge pages of ours (and of the
	 * nested page tables); the slack around it is given back. */
	const uintptr_t huge = 2u << 20;
	uint8_t *raw = mmap(NULL, size + huge, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uintptr_t start;

	if (raw == MAP_FAILED) {
		cl_fail(err, errno, "cannot map %llu MiB of guest memory",
			(unsigned long long)(size >> 20));
		return NULL;
	}
	start = ((uintptr_t)raw + huge - 1) & ~(huge - 1);
	if (start > (uintptr_t)raw)
		munmap(raw, start - (uintptr_t)raw);
	if ((uintptr_t)raw + huge > start)
		munmap((uint8_t *)start + size, (uintptr_t)raw + huge - start);
	m = (void *)start;
	madvise(m, size, MADV_MERGEABLE);
	r = (struct kvm_userspace_memory_region){
	    .slot = 0, .guest_phys_addr = 0, .memory_size = size, .userspace_addr = (uintptr_t)m};
	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
		cl_fail(err, errno, "cannot register guest memory with KVM");
		munmap(m, size);
		return NULL;
	}
	return m;
}

void cl_kvm_irq_line(int vm_fd, int gsi, int level)
{
	struct kvm_irq_level l = {.irq = (uint32_t)gsi, .level = (uint32_t)level};

	ioctl(vm_fd, KVM_IRQ_LINE, &l);
}

/* /dev/kvm exists but this user may not open it: say so, and how to fix it
 * (the device is normally root:kvm 0660). */
void cl_kvm_denied_hint(char *buf, size_t len)
{
	struct stat st;
	const struct group *gr = NULL;
	const struct passwd *pw = getpwuid(geteuid());
	char user[64], group[64];

	if (pw)
		snprintf(user, sizeof(user), "%s", pw->pw_name);
	else
		snprintf(user, sizeof(user), "%u", (unsigned)geteuid());
	if (stat("/dev/kvm", &st) == 0)
		gr = getgrgid(st.st_gid);
	if (gr)
		snprintf(group, sizeof(group), "%s", gr->gr_name);
	else
		snprintf(group, sizeof(group), "kvm");
	snprintf(buf, len,
		 "permission denied for user %s (uid %u, not in group %s): add the user to the "
		 "%s group (adduser %s %s) and log in again",
		 user, (unsigned)geteuid(), group, group, user, group);
}

int cl_kvm_probe(char *desc, size_t len)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0 && (errno == EACCES || errno == EPERM)) {
		cl_kvm_denied_hint(desc, len);
		return -1;
	}
	if (fd < 0) {
		snprintf(desc, len, "absent");
		return -1;
	}
	close(fd);
	/* PVM ("Pagetable-based VM") gives the KVM API without VT-x/AMD-V: the
	 * guest runs in a paravirtual mode a stock kernel cannot boot in. */
	if (access("/sys/module/kvm_pvm", F_OK) == 0) {
		snprintf(desc, len, "PVM — stock guest kernels cannot run");
		return 0;
	}
	if (access("/sys/module/kvm_amd", F_OK) == 0) {
		snprintf(desc, len, "hardware (AMD-V)");
		return 1;
	}
	if (access("/sys/module/kvm_intel", F_OK) == 0) {
		snprintf(desc, len, "hardware (VT-x)");
		return 1;
	}
	snprintf(desc, len, "hardware");
	return 1;
}
