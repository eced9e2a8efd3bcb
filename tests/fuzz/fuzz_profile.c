/* libFuzzer target for the profile parser: any bytes as a profile file,
 * through every setting's parser, the printers (profile show), a re-read
 * of what was printed, and the seccomp filter compiler (not loaded).
 * Includes are off: the fuzzer must not read the file system. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ns/seccomp.h"
#include "spec/profile.h"
#include "spec/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cl_spec s, again;
	struct cl_err err = {0};
	char *shown = NULL;
	size_t shown_len = 0;

	cl_spec_init(&s);
	if (cl_profile_apply_text(&s, "fuzz.profile", (const char *)data, size,
				  CL_PROFILE_NO_INCLUDE, &err) == 0) {
		FILE *f = open_memstream(&shown, &shown_len);
		if (f) {
			cl_profile_print(&s, f);
			fclose(f);
			/* what show prints must read back, to the same output */
			cl_spec_init(&again);
			if (cl_profile_apply_text(&again, "shown.profile", shown, shown_len,
						  CL_PROFILE_NO_INCLUDE, &err) != 0) {
				fprintf(stderr, "show output does not read back: %s\n---\n%s---\n",
					err.msg, shown);
				abort();
			}
			char *shown2 = NULL;
			size_t len2 = 0;
			FILE *g = open_memstream(&shown2, &len2);
			if (g) {
				cl_profile_print(&again, g);
				fclose(g);
				if (len2 != shown_len || memcmp(shown, shown2, len2) != 0) {
					fprintf(stderr, "show is not stable:\n%s---\n%s---\n",
						shown, shown2);
					abort();
				}
			}
			free(shown2);
			cl_spec_free(&again);
		}
		free(shown);
		struct cl_sc_filters filters;
		if (cl_seccomp_build(&s.seccomp, &filters, &err) == 0)
			cl_seccomp_filters_free(&filters);
	}
	cl_spec_free(&s);
	return 0;
}
