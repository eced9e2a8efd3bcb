/* SHA-256 (FIPS 180-4), for cache keys: a few kilobytes per run, where
 * loading libcrypto would cost 2 ms (dlopen and provider set-up) for a
 * 50-microsecond job. */
#ifndef CL_UTIL_SHA256_H
#define CL_UTIL_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define CL_SHA256_LEN 32

struct cl_sha256 {
	uint32_t h[8];
	uint64_t bytes;
	uint8_t buf[64];
	size_t n;
};

void cl_sha256_init(struct cl_sha256 *c);
void cl_sha256_update(struct cl_sha256 *c, const void *data, size_t len);
void cl_sha256_final(struct cl_sha256 *c, uint8_t out[CL_SHA256_LEN]);

#endif
