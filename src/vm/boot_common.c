/* What both boot protocols share: the e820 map and the initrd. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/error.h"
#include "vm/layout.h"
#include "vm/vm_internal.h"

unsigned cl_e820_build(uint64_t mem_size, struct cl_e820 *out, unsigned max)
{
	const struct cl_e820 map[] = {
	    {0, CL_EBDA_START, 1},
	    {CL_EBDA_START, 0xa0000 - CL_EBDA_START, 2},
	    {CL_ACPI_ADDR, CL_ACPI_SIZE, 2},
	    {CL_KERNEL_ADDR, mem_size - CL_KERNEL_ADDR, 1},
	};
	unsigned n = 0;

	for (unsigned i = 0; i < sizeof(map) / sizeof(map[0]) && n < max; i++)
		out[n++] = map[i];
	return n;
}

int cl_boot_load_initrd(struct cl_vm *vm, uint64_t min_addr, uint64_t max_end, uint64_t *addr,
			uint64_t *size, struct cl_err *err)
{
	const char *path = vm->cfg->initrd;
	_cleanup_close_ int fd = -1;
	struct stat st;
	uint64_t at, done = 0;

	*addr = *size = 0;
	if (!path)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cl_fail(err, errno, "cannot open initrd %s", path);
	if (fstat(fd, &st) < 0)
		return cl_fail(err, errno, "cannot stat initrd %s", path);
	if (!S_ISREG(st.st_mode))
		return cl_fail(err, 0, "initrd %s is not a regular file", path);
	if (max_end > vm->mem.size)
		max_end = vm->mem.size;
	if ((uint64_t)st.st_size > max_end || max_end - (uint64_t)st.st_size < min_addr)
		return cl_fail(err, 0, "initrd %s (%lld MiB) does not fit in guest memory", path,
			       (long long)st.st_size >> 20);
	at = (max_end - (uint64_t)st.st_size) & ~0xfffULL;
	if (at < min_addr)
		return cl_fail(err, 0, "initrd %s does not fit in guest memory", path);
	while (done < (uint64_t)st.st_size) {
		ssize_t r = read(fd, vm->mem.host + at + done, (size_t)st.st_size - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return cl_fail(err, errno, "cannot read initrd %s", path);
		if (r == 0)
			return cl_fail(err, 0, "initrd %s shrank while being read", path);
		done += (uint64_t)r;
	}
	*addr = at;
	*size = done;
	return 0;
}
