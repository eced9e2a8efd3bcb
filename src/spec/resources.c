/* The spec's cgroup limits (issue 4) part: settings, defaults, validation. */
#include "spec/resources.h"

#include "spec/settings.h"

void cl_resources_init(struct cl_spec *s)
{
	(void)s;
}

void cl_resources_free(struct cl_spec *s)
{
	(void)s;
}

int cl_resources_validate(struct cl_spec *s, struct cl_err *err)
{
	(void)s;
	(void)err;
	return 0;
}

/* micro-VM: guest RAM */
static int set_memory(struct cl_spec *s, const char *v, struct cl_err *err)
{
	return cl_parse_size(v, &s->memory, err);
}

static void show_memory(const struct cl_spec *s, FILE *out)
{
	if (s->memory)
		fprintf(out, "memory %llu\n", (unsigned long long)s->memory);
}

const struct cl_setting cl_settings_resources[] = {
	{ "memory", 0, 0, "SIZE", set_memory, show_memory },
	{ NULL, 0, 0, NULL, NULL, NULL },
};
