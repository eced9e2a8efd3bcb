/* The jail's network. */
#include "ns/net.h"

#include <sched.h>

#include "ns/netlink.h"

int cl_net_prepare(const struct cl_spec *s, struct cl_net *n, struct cl_err *err)
{
	(void)s;
	(void)n;
	(void)err;
	return 0;
}

int cl_net_attach(const struct cl_spec *s, struct cl_net *n, pid_t pid, struct cl_err *err)
{
	(void)s;
	(void)n;
	(void)pid;
	(void)err;
	return 0;
}

int cl_net_child(const struct cl_spec *s, struct cl_err *err)
{
	if ((s->ns_flags & CLONE_NEWNET) && cl_nl_link_up("lo", err) < 0)
		return -1;
	return 0;
}

void cl_net_release(struct cl_net *n)
{
	(void)n;
}
