/* Micro-VM mode: realise a spec as a KVM virtual machine. */
#ifndef CL_VM_LAUNCH_H
#define CL_VM_LAUNCH_H

#include "spec/spec.h"

/* Builds (or reuses) the initramfs for the spec, boots the guest kernel with
 * cloison's VMM and waits for the command.  Returns 0 with @exit_status set to
 * what the guest reported (the command's status, 128+N for a signal,
 * 125/126/127 from the guest init), or -1 with @err filled. */
int cl_vm_launch(const struct cl_spec *s, int *exit_status, struct cl_err *err);
/* The same, calling @ready(@ctx, ADDR) once the VM's set-up is done and it is
 * about to boot: ADDR its IPv4 address on the bridge, "" without one (a
 * service's monitor records it; an error before that is cl_vm_launch's). */
int cl_vm_launch_ready(const struct cl_spec *s, int *exit_status,
		       void (*ready)(void *ctx, const char *addr), void *ctx, struct cl_err *err);
/* The guest's vsock CID with --vsock (the host is 2). */
#define CL_VM_VSOCK_CID 3
/* What cl_vm_launch checks first: /dev/kvm usable, and a guest kernel it
 * can boot (a stock one needs VT-x/AMD-V, not PVM); @kernel: the one. */
int cl_vm_preflight(const struct cl_spec *s, char *kernel, size_t len, struct cl_err *err);

/* The newest /boot/vmlinuz-*-cloud-amd64 (Debian's linux-image-cloud-amd64),
 * else the newest /boot/vmlinuz-*. */
int cl_vm_default_kernel(char *buf, size_t len, struct cl_err *err);

#endif
