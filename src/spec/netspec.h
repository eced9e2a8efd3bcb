/* The spec's network (issue 5) part: its fields, defaults and validation. */
#ifndef CL_SPEC_NETSPEC_H
#define CL_SPEC_NETSPEC_H

enum cl_net_mode { CL_NET_NONE = 0, CL_NET_HOST };

struct cl_spec;
struct cl_err;

struct cl_netspec {
	int unused; /* filled by the network (issue 5) work */
};

void cl_netspec_init(struct cl_spec *s);
void cl_netspec_free(struct cl_spec *s);
int cl_netspec_validate(struct cl_spec *s, struct cl_err *err);

#endif
