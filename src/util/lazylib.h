/* Libraries loaded on first use, with dlopen(3), instead of linked.
 *
 * Linking liblzma and libzstd would make every cloison start map
 * and relocate them, container runs included, though only the micro-VM's
 * initramfs writer needs them.  A user declares the functions it needs once,
 * typed from the library's own header, and loads the table before the first
 * call:
 *
 *	#define XZ_FNS(X) X(lzma_code) X(lzma_end)
 *	CL_LAZYLIB_DEFINE(xz, "liblzma.so.5", "liblzma5", XZ_FNS);
 *	...
 *	if (cl_lazylib_load(&xz.lib, err, "decompress %s", name) < 0)
 *		return -1;
 *	xz.fn.lzma_code(&s, LZMA_FINISH);
 *
 * The library stays loaded for the life of the process. */
#ifndef CL_LAZYLIB_H
#define CL_LAZYLIB_H

#include <stddef.h>

#include "util/error.h"

struct cl_lazylib {
	const char *soname;	  /* "liblzma.so.5" */
	const char *package;	  /* the Debian package that ships it */
	const char *const *names; /* the functions, NULL-terminated */
	void *table;		  /* as many function pointers, in that order */
	int loaded;		  /* set once @table is complete */
};

/* Load @lib unless it is: 0, or -1 with "cannot load <soname> to <why...>:
 * <dlerror>; apt-get install <package>".  Thread-safe; a failure is not
 * remembered, so a later call tries again. */
int cl_lazylib_load(struct cl_lazylib *lib, struct cl_err *err, const char *why, ...)
    __attribute__((format(printf, 3, 4)));

/* Declares `static struct { struct { typeof(f) *f; ... } fn; struct cl_lazylib lib; } @var`,
 * @FNS(X) calling X(f) once per function f; the pointers are typed by the
 * library's header, so a call through them is checked as a direct one. */
#define CL_LAZYLIB_FIELD_(f) __typeof__(f) *f;
#define CL_LAZYLIB_NAME_(f)  #f,
#define CL_LAZYLIB_DEFINE(var, soname_, package_, FNS)                                             \
	static const char *const var##_names[] = {FNS(CL_LAZYLIB_NAME_) NULL};                     \
	static struct {                                                                            \
		struct {                                                                           \
			FNS(CL_LAZYLIB_FIELD_)                                                     \
		} fn;                                                                              \
		struct cl_lazylib lib;                                                             \
	} var = {.lib = {soname_, package_, var##_names, &var.fn, 0}};                             \
	_Static_assert(sizeof(var.fn) ==                                                           \
			   (sizeof(var##_names) / sizeof(var##_names[0]) - 1) * sizeof(void *),    \
		       "function pointer slots")

#endif
