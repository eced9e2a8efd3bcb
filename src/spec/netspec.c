/* The spec's network (issue 5) part: settings, defaults, validation. */
#include "spec/netspec.h"

#include <string.h>

#include "spec/settings.h"

void cl_netspec_init(struct cl_spec *s)
{
	(void)s;
}

void cl_netspec_free(struct cl_spec *s)
{
	(void)s;
}

int cl_netspec_validate(struct cl_spec *s, struct cl_err *err)
{
	(void)s;
	(void)err;
	return 0;
}

static int set_net(struct cl_spec *s, const char *v, struct cl_err *err)
{
	if (strcmp(v, "none") == 0)
		s->net = CL_NET_NONE;
	else if (strcmp(v, "host") == 0)
		s->net = CL_NET_HOST;
	else
		return cl_fail(err, 0, "invalid network mode '%s': expected none or host", v);
	return 0;
}

static void show_net(const struct cl_spec *s, FILE *out)
{
	if (s->net == CL_NET_HOST)
		fputs("net host\n", out);
}

const struct cl_setting cl_settings_net[] = {
	{ "net", 0, 0, "none|host", set_net, show_net },
	{ NULL, 0, 0, NULL, NULL, NULL },
};
