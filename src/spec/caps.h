/* Capability names and sets. */
#ifndef CL_SPEC_CAPS_H
#define CL_SPEC_CAPS_H

#include <stdint.h>

/* "CAP_SYS_ADMIN", "sys_admin", "SYS_ADMIN" -> number; -1 when unknown. */
int cl_cap_from_name(const char *name);
/* The capabilities cloison itself may still hold (its bounding set). */
uint64_t cl_caps_bounding(void);
/* The highest capability this kernel knows. */
int cl_cap_last(void);
/* The known capability nearest to @word ("CAP_SYS_ADMN" -> "CAP_SYS_ADMIN"), or NULL. */
const char *cl_cap_nearest(const char *word);

#endif
