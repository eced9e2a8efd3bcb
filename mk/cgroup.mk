# Cgroups (src/ns/cgroup*.c): the host's cgroup v1 suite, and the cgroup v2
# one in the nested guest (tests/vm/inner/11-cgroup-v2.sh, also run by
# tests/vm-nested.bats in `make test`).
#
#   make test-cgroup      tests/cgroup.bats against $(BUILD)/cloison
#   make test-cgroup-v2   the v2 suite alone, in a QEMU guest that mounts cgroup2 only

# Fragments are read before the top-level "all:"; keep it the default goal.
.DEFAULT_GOAL := all

# losetup and nsenter (util-linux), pgrep (procps) are in DEPS_TEST already.

.PHONY: test-cgroup test-cgroup-v2
test-cgroup: all test-artifacts
	CLOISON=$(CURDIR)/$(BUILD)/cloison CL_TEST_ROOTFS=$(CURDIR)/$(BUILD)/test-rootfs \
		tests/run-tests tests/cgroup.bats

test-cgroup-v2: all test-artifacts
	CL_VM_BUILD=$(BUILD) tests/vm/run-in-guest -o $(BUILD)/vm-test-cgroup 11-cgroup-v2
