/* Capability names and sets, as the front ends and validation need them. */
#include "spec/caps.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>

#include "spec/settings.h"

int cl_cap_last(void)
{
	static int last = -1;

	if (last < 0) {
		last = (int)cap_max_bits() - 1;
		if (last < 0 || last > 63)
			last = CAP_LAST_CAP;
	}
	return last;
}

int cl_cap_from_name(const char *name)
{
	char buf[64];
	cap_value_t v;

	if (strncasecmp(name, "CAP_", 4) == 0)
		name += 4;
	if (strlen(name) + 5 > sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "cap_%s", name);
	for (char *p = buf; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (cap_from_name(buf, &v) < 0 || v < 0 || v > 63)
		return -1;
	return (int)v;
}

uint64_t cl_caps_bounding(void)
{
	uint64_t set = 0;

	for (int c = 0; c <= cl_cap_last(); c++)
		if (cap_get_bound((cap_value_t)c) == 1)
			set |= 1ULL << c;
	return set;
}

/* For "did you mean": the nearest capability name, upper case with CAP_. */
const char *cl_cap_nearest(const char *word)
{
	static char names[64][40];
	const char *list[65];
	char want[64];
	size_t n = 0;

	for (int c = 0; c <= cl_cap_last() && n < 64; c++) {
		char *name = cap_to_name((cap_value_t)c);
		if (!name)
			continue;
		snprintf(names[n], sizeof(names[n]), "%s", name);
		cap_free(name);
		for (char *p = names[n]; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		list[n] = names[n];
		n++;
	}
	list[n] = NULL;
	snprintf(want, sizeof(want), "%s%s", strncasecmp(word, "CAP_", 4) ? "CAP_" : "", word);
	return cl_nearest(want, list);
}
