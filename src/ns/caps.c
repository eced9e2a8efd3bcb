#include "ns/caps.h"
#include "spec/caps.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

int cl_caps_drop_bounding(uint64_t caps, struct cl_err *err)
{
	for (int c = 0; c <= cl_cap_last(); c++) {
		if (caps & (1ULL << c))
			continue;
		if (cap_drop_bound((cap_value_t)c) < 0 && errno != EINVAL)
			return cl_fail(err, errno, "cannot drop %s from the bounding set",
				       cap_to_name(c));
	}
	return 0;
}

int cl_caps_apply(uint64_t caps, uint64_t added, uid_t uid, struct cl_err *err)
{
	cap_t c = cap_init();
	cap_value_t list[64];
	int n = 0;

	if (!c)
		return cl_fail(err, errno, "cannot allocate a capability set");
	/* A non-root user has no capabilities but those asked for by name,
	 * made ambient so that they survive its execve (Docker, podman). */
	if (uid != 0)
		caps &= added;
	for (int i = 0; i <= cl_cap_last(); i++)
		if (caps & (1ULL << i))
			list[n++] = i;
	if (n && (cap_set_flag(c, CAP_PERMITTED, n, list, CAP_SET) < 0 ||
		  cap_set_flag(c, CAP_EFFECTIVE, n, list, CAP_SET) < 0 ||
		  cap_set_flag(c, CAP_INHERITABLE, n, list, CAP_SET) < 0)) {
		cap_free(c);
		return cl_fail(err, errno, "cannot build the capability set");
	}
	if (cap_set_proc(c) < 0) {
		int e = errno;
		cap_free(c);
		return cl_fail(err, e, "cannot set the process capabilities");
	}
	cap_free(c);
	if (cap_reset_ambient() < 0 && errno != EINVAL)
		return cl_fail(err, errno, "cannot clear the ambient capabilities");
	if (uid != 0) {
		for (int i = 0; i < n; i++)
			if (cap_set_ambient(list[i], CAP_SET) < 0)
				return cl_fail(err, errno, "cannot raise ambient %s",
					       cap_to_name(list[i]));
	}
	return 0;
}

static int set_flag(cap_t c, cap_flag_t flag, uint64_t mask)
{
	cap_value_t list[64];
	int n = 0;

	for (int i = 0; i <= cl_cap_last(); i++)
		if (mask & (1ULL << i))
			list[n++] = i;
	return n ? cap_set_flag(c, flag, n, list, CAP_SET) : 0;
}

int cl_caps_apply_sets(const struct cl_spec *s, struct cl_err *err)
{
	cap_t c = cap_init();
	int r = 0;

	if (!c)
		return cl_fail(err, errno, "cannot allocate a capability set");
	/* what is effective or ambient must be permitted, and ambient also
	 * inheritable: the kernel says EPERM otherwise, we say which */
	if ((s->cap_effective | s->cap_ambient) & ~s->cap_permitted)
		r = cl_fail(err, 0,
			    "process.capabilities: an effective or ambient capability is not in "
			    "the permitted set");
	else if (s->cap_ambient & ~s->cap_inheritable)
		r = cl_fail(err, 0,
			    "process.capabilities: an ambient capability is not in the "
			    "inheritable set");
	else if (set_flag(c, CAP_PERMITTED, s->cap_permitted) < 0 ||
		 set_flag(c, CAP_EFFECTIVE, s->cap_effective) < 0 ||
		 set_flag(c, CAP_INHERITABLE, s->cap_inheritable) < 0)
		r = cl_fail(err, errno, "cannot build the capability set");
	else if (cap_set_proc(c) < 0)
		r = cl_fail(err, errno,
			    "cannot set the process capabilities (process.capabilities)");
	cap_free(c);
	if (r < 0)
		return r;
	if (cap_reset_ambient() < 0 && errno != EINVAL)
		return cl_fail(err, errno, "cannot clear the ambient capabilities");
	for (int i = 0; i <= cl_cap_last(); i++)
		if ((s->cap_ambient & (1ULL << i)) && cap_set_ambient(i, CAP_SET) < 0)
			return cl_fail(err, errno, "cannot raise ambient %s", cap_to_name(i));
	return 0;
}
