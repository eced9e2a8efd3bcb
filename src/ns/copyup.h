/* tmpcopyup: what a directory held, copied into the tmpfs mounted on it. */
#ifndef CL_NS_COPYUP_H
#define CL_NS_COPYUP_H

#include "util/error.h"

/* Copies the tree below @src into @dst (directories, regular files,
 * symbolic links, with owners and modes; no device nodes, no sockets). */
int cl_copy_tree(int src, int dst, int depth, struct cl_err *err);

#endif
