#include "util/lazylib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* dlerror() is per thread, but two threads loading the same table must not
 * fill it at once. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int fail(struct cl_lazylib *lib, struct cl_err *err, const char *why, const char *detail)
{
	return cl_fail(err, 0, "cannot load %s to %s: %s; apt-get install %s", lib->soname, why,
		       detail ? detail : "unknown error", lib->package);
}

int cl_lazylib_load(struct cl_lazylib *lib, struct cl_err *err, const char *why_fmt, ...)
{
	char why[256];
	va_list ap;
	void *h;
	int r = 0;

	if (__atomic_load_n(&lib->loaded, __ATOMIC_ACQUIRE))
		return 0;
	va_start(ap, why_fmt);
	vsnprintf(why, sizeof(why), why_fmt, ap);
	va_end(ap);

	pthread_mutex_lock(&lock);
	if (lib->loaded)
		goto out;
	/* RTLD_NOW: it fails here, not at some later call; RTLD_LOCAL: its
	 * symbols stay out of everybody else's lookups.  Never closed: the
	 * pointers live as long as the process. */
	if (!(h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL))) {
		r = fail(lib, err, why, dlerror());
		goto out;
	}
	for (size_t i = 0; lib->names[i]; i++) {
		void *sym;

		dlerror();
		if (!(sym = dlsym(h, lib->names[i]))) {
			r = fail(lib, err, why, dlerror());
			dlclose(h);
			goto out;
		}
		memcpy((char *)lib->table + i * sizeof(sym), &sym, sizeof(sym));
	}
	__atomic_store_n(&lib->loaded, 1, __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&lock);
	return r;
}
