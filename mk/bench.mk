# cloison bench (src/cli/bench*.c) and its workload binary: static, so that
# the very same program runs on the host, in a container and in a micro-VM
# whatever their root filesystem holds.  Included by the top-level Makefile.

$(BUILD)/cloison-bench-work: src/bench/work.c src/util/sha256.c src/util/sha256.h
	@mkdir -p $(dir $@)
	$(CC) -static -O2 -std=gnu11 -Wall -Wextra -Werror -Isrc -D_GNU_SOURCE -o $@ src/bench/work.c src/util/sha256.c

all: $(BUILD)/cloison-bench-work

# cloison's freestanding test guest (mk/vm.mk) measures VM exits for
# `cloison bench` where no Linux guest can boot; installed as bench-guest.
all: $(BUILD)/testguest.bzImage
