/* libFuzzer target: the kernel-image parser must never read out of bounds
 * and must leave its output consistent with the buffer when it accepts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "vm/boot_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cl_boot_image bi;
	struct cl_err err;

	if (cl_boot_image_parse(data, size, &bi, &err) < 0)
		return 0;
	if (bi.kind == CL_BOOT_BZIMAGE) {
		if (bi.kernel_off + bi.kernel_size > size || bi.hdr_end > 1024 ||
		    bi.init_size < bi.kernel_size || !memchr(bi.version, 0, sizeof(bi.version)))
			abort();
	} else {
		for (unsigned i = 0; i < bi.nseg; i++)
			if (bi.seg[i].offset + bi.seg[i].filesz > size ||
			    bi.seg[i].filesz > bi.seg[i].memsz)
				abort();
	}
	return 0;
}
