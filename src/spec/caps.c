/* Capability names and sets, as the front ends and validation need them. */
#include "spec/caps.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>

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
