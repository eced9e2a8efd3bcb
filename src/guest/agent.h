/* The guest agent of a micro-VM (agent.c, protocol in agent_proto.h). */
#ifndef CL_GUEST_AGENT_H
#define CL_GUEST_AGENT_H

#include <sys/types.h>

/* Fork the agent (the parent returns its pid, or -1): it serves vsock port
 * CL_AGENT_PORT until the VM ends; @cmd is the VM's own command, which a
 * signal request ('K' before any exec) goes to.  Without a vsock device
 * the agent ends at once. */
pid_t cl_guest_agent_start(pid_t cmd);

#endif
