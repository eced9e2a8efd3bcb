# The config.json parser's libFuzzer target (spec/oci*.c, with the seccomp
# section's compiler behind it).  Not part of make test; tests/oci.bats runs
# it briefly.  DEPS_FUZZ, FUZZ_CC, FUZZ_TIME and FUZZ_ARGS: mk/seccomp.mk.
#
#   make fuzz-oci                     fuzz for FUZZ_TIME seconds (default 60)
#   make fuzz-oci FUZZ_TIME=600

.DEFAULT_GOAL := all

OCI_FUZZ := $(BUILD)/fuzz/fuzz_oci
OCI_FUZZ_SRCS := tests/fuzz/fuzz_oci.c $(wildcard src/spec/*.c) src/util/error.c \
                 src/util/file.c src/util/path.c \
                 src/ns/seccomp_build.c src/ns/seccomp_default.c

.PHONY: fuzz-oci

$(OCI_FUZZ): $(OCI_FUZZ_SRCS) $(wildcard src/spec/*.h src/ns/seccomp.h src/util/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -g -O1 \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o $@ $(OCI_FUZZ_SRCS) $(LDLIBS)

fuzz-oci: deps-fuzz
	$(MAKE) $(OCI_FUZZ)
	@mkdir -p $(BUILD)/fuzz/corpus-oci
	$(OCI_FUZZ) -max_total_time=$(FUZZ_TIME) -max_len=16384 -print_final_stats=1 \
		-dict=tests/fuzz/oci.dict -artifact_prefix=$(BUILD)/fuzz/ $(FUZZ_ARGS) \
		$(BUILD)/fuzz/corpus-oci tests/fuzz/corpus-oci

fuzz: fuzz-oci
