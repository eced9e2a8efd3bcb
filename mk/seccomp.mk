# Profiles and seccomp: the libFuzzer target for the profile parser (and the
# seccomp filter compiler behind it).  Not part of make test.  And the unit
# test of the OCI seccomp section (tests/unit/test_oci_seccomp.c, run by
# tests/seccomp.bats).
#
#   make fuzz-profile                 fuzz for FUZZ_TIME seconds (default 60)
#   make fuzz-profile FUZZ_TIME=600

# Fragments are read before the top-level "all:"; keep it the default goal.
.DEFAULT_GOAL := all

# clang and its libFuzzer runtime: only the fuzz targets need them.
DEPS_FUZZ := clang libclang-rt-14-dev
FUZZ_CC   ?= clang
FUZZ_TIME ?= 60
FUZZ_ARGS ?=

PROFILE_FUZZ := $(BUILD)/fuzz/fuzz_profile
PROFILE_FUZZ_SRCS := tests/fuzz/fuzz_profile.c $(wildcard src/spec/*.c) src/util/error.c \
                     src/util/file.c src/util/path.c \
                     src/ns/seccomp_build.c src/ns/seccomp_default.c

.PHONY: deps-fuzz fuzz-profile

deps-fuzz: deps
	$(call apt_install,$(DEPS_FUZZ))

$(PROFILE_FUZZ): $(PROFILE_FUZZ_SRCS) $(wildcard src/spec/*.h src/ns/seccomp.h src/util/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -g -O1 \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o $@ $(PROFILE_FUZZ_SRCS) $(LDLIBS)

fuzz-profile: deps-fuzz
	$(MAKE) $(PROFILE_FUZZ)
	@mkdir -p $(BUILD)/fuzz/corpus-profile
	$(PROFILE_FUZZ) -max_total_time=$(FUZZ_TIME) -max_len=8192 -print_final_stats=1 \
		-dict=tests/fuzz/profile.dict -artifact_prefix=$(BUILD)/fuzz/ $(FUZZ_ARGS) \
		$(BUILD)/fuzz/corpus-profile tests/fuzz/corpus-profile

fuzz: fuzz-profile

# linux.seccomp of config.json against podman's default profile, loaded for
# real (no sanitizers: their runtime makes calls the filters refuse); linked
# with the archive of cloison's objects that mk/vm.mk makes.
$(BUILD)/tests/test_oci_seccomp: tests/unit/test_oci_seccomp.c $(BUILD)/tests/libcloison-novm.a
	$(CC) $(CPPFLAGS) -O1 -g -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
		-o $@ $< $(BUILD)/tests/libcloison-novm.a $(LDLIBS) -lpthread
TEST_ARTIFACTS += $(BUILD)/tests/test_oci_seccomp
