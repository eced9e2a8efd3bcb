/* The guest spec: what the micro-VM's PID 1 (cloison-init) runs and how.
 *
 * The host serializes it into the initramfs as /.cloison/spec; the guest init
 * parses it.  The format is a sequence of NUL-terminated "key=value" records
 * after the magic record "cloison-guest-spec=1":
 *   arg=...  (repeated, in order)   env=KEY=VALUE (repeated)
 *   cwd=/path  uid=N  gid=N  hostname=name
 *   root=/dev/vda  rootfstype=ext4  rootro=0|1  console=/dev/hvc0
 *   robind=/path (repeated: made read-only; rootro=1 without root= makes
 *   the initramfs root itself read-only)
 *   ip=A.B.C.D/P gw=A.B.C.D ip6=ADDR/P gw6=ADDR hosts=TEXT resolv=TEXT
 *   (--net bridge: eth0's addresses and default routes, and the contents
 *   of /etc/hosts and /etc/resolv.conf)
 *   tty=1 rows=N cols=N (the guest agent's exec -t)
 * NUL separators mean argv and env strings need no escaping (they cannot
 * hold a NUL anyway).  Both ends are built from this file, so an unknown key
 * is an error rather than something to skip. */
#ifndef CL_GUEST_SPEC_H
#define CL_GUEST_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

#define CL_GUEST_SPEC_PATH   "/.cloison/spec"
#define CL_GUEST_MODULES_DIR "/.cloison/modules" /* NAME.ko files + "order" */
#define CL_GUEST_SPEC_MAGIC  "cloison-guest-spec=1"

struct cl_guest_spec {
	char **argv; /* NULL-terminated, argv[0] required */
	char **env;  /* NULL-terminated KEY=VALUE, may be NULL */
	char *cwd;   /* NULL: "/" */
	uid_t uid;
	gid_t gid;
	char *hostname;	   /* NULL: leave the kernel's */
	char *root_dev;	   /* NULL: run from the initramfs itself */
	char *root_fstype; /* NULL: "ext4" */
	bool root_ro;
	char *console; /* NULL: the kernel's /dev/console */
	/* NULL-terminated "robind=" paths (may be NULL): trees the initramfs
	 * carries from --bind SRC:DST:ro, which init makes read-only */
	char **ro_binds;
	/* the guest agent's exec -t: a pseudo-terminal of @rows x @cols */
	bool tty;
	unsigned rows, cols;
	/* --net bridge (NULL: no network but lo) */
	char *net_ip, *net_gw, *net_ip6, *net_gw6, *net_hosts, *net_resolv;
};

/* Serialize @s into a malloc'ed buffer (*buf, *len). */
int cl_guest_spec_encode(const struct cl_guest_spec *s, char **buf, size_t *len,
			 struct cl_err *err);
/* Parse @len bytes at @buf into @s (every string copied); free with
 * cl_guest_spec_free(). */
int cl_guest_spec_decode(const char *buf, size_t len, struct cl_guest_spec *s, struct cl_err *err);
/* Read and parse the file at @path. */
int cl_guest_spec_read(const char *path, struct cl_guest_spec *s, struct cl_err *err);
/* Free what cl_guest_spec_decode() allocated and zero @s. */
void cl_guest_spec_free(struct cl_guest_spec *s);

#endif
