# Networking (issue 5): the static helper the network tests and benchmark run
# inside and outside jails, and the Debian packages they need.  Included by
# the top-level Makefile.

# Fragments are read before the top-level "all:"; keep it the default goal.
.DEFAULT_GOAL := all

# tests: ip (iproute2, already a test dependency) sets up the outer namespaces;
# bench: iperf3 for throughput, nft for the DNAT side of the comparison.
DEPS_BENCH += iperf3 nftables

$(BUILD)/clnet: tests/helpers/clnet.c
	@mkdir -p $(dir $@)
	$(CC) -static -O2 -Wall -Wextra -Werror -o $@ $<

# in the test rootfs too, after it is (re)built
$(BUILD)/test-rootfs/usr/bin/clnet: $(BUILD)/clnet $(BUILD)/test-rootfs/.cloison-rootfs
	install -m 0755 $< $@

TEST_ARTIFACTS += $(BUILD)/clnet $(BUILD)/test-rootfs/usr/bin/clnet

.PHONY: net-bench-artifacts
net-bench-artifacts: $(BUILD)/clnet
