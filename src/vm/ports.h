/* The I/O ports the guest init (src/guest/) and the test guest use to talk to
 * the VMM.  The exit port is where QEMU's isa-debug-exit sits by default, so the
 * same guest can report under QEMU microvm in the benchmark. */
#ifndef CL_VM_PORTS_H
#define CL_VM_PORTS_H

#define CL_PORT_EXIT   0x501 /* outl: the command's exit status (0..255), VM stops */
#define CL_PORT_MARKER 0x504 /* outb: boot-time marker, see enum below */

enum cl_marker {
	CL_MARK_INIT = 1, /* guest init reached (kernel boot done) */
	CL_MARK_EXEC = 2, /* about to exec the command */
	CL_MARK_DONE = 3, /* command exited */
};

#endif
