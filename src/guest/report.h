/* How cloison-init tells its host the command's fate.
 *
 * In a micro-VM (the default) it writes markers to CL_PORT_MARKER and the exit
 * status to CL_PORT_EXIT (src/vm/ports.h), which stops the VM.  As PID 1 of a
 * container-mode jail, where there are no such ports, it writes the status as
 * "N\n" to a file or an inherited fd instead and markers are no-ops.  All port
 * I/O in the init is in report.c. */
#ifndef CL_GUEST_REPORT_H
#define CL_GUEST_REPORT_H

#include "util/error.h"

enum cl_report_mode { CL_REPORT_PORT = 0, CL_REPORT_FILE, CL_REPORT_FD };

/* Choose where reports go: mode, and the path (FILE) or fd number (FD).
 * PORT mode asks the kernel for the two ports (needs CAP_SYS_RAWIO). */
int cl_guest_report_open(enum cl_report_mode mode, const char *target, struct cl_err *err);
/* True when reporting through ports, i.e. running as a micro-VM's init. */
int cl_guest_report_is_vm(void);
/* A boot-time marker (enum cl_marker); no-op outside a VM. */
void cl_guest_marker(int marker);
/* Report the final status (0..255).  In a VM the VMM stops the guest here. */
void cl_guest_report(int status);
/* Give the ports back: called in the command's process before execve so the
 * command does not inherit the right to fake a status. */
void cl_guest_report_drop(void);

#endif
