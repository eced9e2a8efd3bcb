/* The guest agent's protocol (cloison-init in a micro-VM, on vsock port
 * CL_AGENT_PORT; the host reaches it through the VM's --vsock socket with
 * "CONNECT <port>").  Version 1.
 *
 * A stream of frames: a 32-bit little-endian length N (1 to
 * CL_AGENT_FRAME_MAX, the type byte included), a type byte, N-1 bytes of
 * payload.  Both sides check every length before they use it; a frame that
 * breaks a rule ends the connection.
 *
 *   host -> guest                      guest -> host
 *   'H' hello: u32 version             'H' hello: u32 version (first)
 *   'E' exec: a guest spec (spec.h:    'O' stdout bytes (with -t: the
 *       arg=, env=, cwd=, uid=, gid=,      terminal's output)
 *       tty=, rows=, cols=)            'R' stderr bytes
 *   'I' stdin bytes                    'X' exit: i32 status (0-255, 128+N
 *   'C' stdin closed                       for signal N, 125-127), last
 *   'W' window size: u16 rows, u16 cols
 *       (exec -t: the pty's; before
 *       'E': the console's, run -t,
 *       then 'X' 0)
 *   'K' signal: u32 signo (the exec'd  'F' failure: text, last
 *       command; before 'E': the VM's
 *       own command, then 'X' 0)
 *
 *   'T' stats (nothing)                'T' stats: "KEY VALUE\n" lines:
 *                                          mem_total, mem_available (KiB),
 *                                          load1, load5, load15, procs
 *
 * One connection carries one request: 'H' both ways, then 'E', 'K', 'W'
 * or 'T'. */
#ifndef CL_GUEST_AGENT_PROTO_H
#define CL_GUEST_AGENT_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define CL_AGENT_PORT	   1024
#define CL_AGENT_VERSION   1
#define CL_AGENT_FRAME_MAX (1u << 20)

/* Write one frame (all of it, retrying short writes); -1 + errno. */
int cl_agent_send(int fd, char type, const void *payload, size_t len);
/* Read one frame into @buf (at most @cap bytes of payload): its type in
 * *@type, its payload length in *@len.  0 on success, -1 + @err on EOF
 * (err->errnum 0), an I/O error or a frame that breaks the rules. */
int cl_agent_recv(int fd, char *type, void *buf, size_t cap, size_t *len, struct cl_err *err);

#endif
