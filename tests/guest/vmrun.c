/* Test driver: boots a kernel with cloison's VMM until the CLI has
 * "cloison run --vm" (see cl_vm_main_debug() in src/vm/debug_main.c). */
#include "vm/vm.h"

int main(int argc, char **argv)
{
	return cl_vm_main_debug(argc, argv);
}
