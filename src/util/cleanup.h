/* Scope-bound cleanup, as in systemd and crun: every early return is leak-free. */
#ifndef CL_CLEANUP_H
#define CL_CLEANUP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void cl_freep(void *p)
{
	free(*(void **)p);
}
static inline void cl_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
static inline void cl_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_free_ __attribute__((cleanup(cl_freep)))

/* Frees a NULL-terminated array of strings and the array. */
static inline void cl_strv_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}
#define _cleanup_close_	 __attribute__((cleanup(cl_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(cl_fclosep)))

/* Hand ownership out of a cleanup variable. */
static inline int cl_steal_fd(int *fd)
{
	int r = *fd;
	*fd = -1;
	return r;
}
#define cl_steal_ptr(pp)                                                                           \
	({                                                                                         \
		__typeof__(*(pp)) _p = *(pp);                                                      \
		*(pp) = NULL;                                                                      \
		_p;                                                                                \
	})

#endif
