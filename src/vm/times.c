/* One line of boot timings for CLOISON_VM_TIMES=1 and the benchmark. */
#include <stdio.h>
#include <unistd.h>

#include "vm/ports.h"
#include "vm/vm.h"

static double ms(uint64_t start, uint64_t t)
{
	return t ? (double)(t - start) / 1e6 : -1.0;
}

void cl_vm_times_print(const struct cl_vm_times *t)
{
	dprintf(STDERR_FILENO,
		"cloison: vm times (ms from start): setup %.3f, init %.3f, exec %.3f, done %.3f, "
		"exit %.3f; exits %llu, unclaimed pio %llu, mmio %llu\n",
		ms(t->start, t->setup), ms(t->start, t->mark[CL_MARK_INIT]),
		ms(t->start, t->mark[CL_MARK_EXEC]), ms(t->start, t->mark[CL_MARK_DONE]),
		ms(t->start, t->exit), (unsigned long long)t->exits,
		(unsigned long long)t->pio_unknown, (unsigned long long)t->mmio_unknown);
}
