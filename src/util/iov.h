/* iovec helpers. */
#ifndef CL_IOV_H
#define CL_IOV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* After a short readv/writev of @done bytes, skip what was transferred:
 * *@iov and *@n then describe what is left. */
static inline void cl_iov_advance(struct iovec **iov, int *n, size_t done)
{
	while (*n > 0 && done >= (*iov)->iov_len) {
		done -= (*iov)->iov_len;
		(*iov)++;
		(*n)--;
	}
	if (*n > 0) {
		(*iov)->iov_base = (uint8_t *)(*iov)->iov_base + done;
		(*iov)->iov_len -= done;
	}
}

#endif
