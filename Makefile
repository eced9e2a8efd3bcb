# cloison — build, install, run, test, bench.
#
#   make run      install Debian deps, build, make the default rootfs, run a demo jail
#   make test     install deps, build, run the whole suite (ends "N passed, M failed")
#   make bench    side-by-side benchmarks against crun, runc, bwrap, qemu microvm, podman/conmon
#                 (and a CI build: host, ci-sandbox, podman with crun; and cloison bench:
#                 the same workloads on the host, in a container and in a micro-VM)
#   make bench-nested   cloison bench inside the QEMU TCG guest, where the micro-VM runs Linux

.DEFAULT_GOAL := all

PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR   ?= $(PREFIX)/bin
SHAREDIR ?= $(PREFIX)/share/cloison
MANDIR   ?= $(PREFIX)/share/man
STATEDIR ?= /var/lib/cloison

CC       ?= cc
PKGS     := libcap libseccomp libmnl libnftnl libcgroup json-c
# Linked statically: cloison starts once per jail, and each shared library
# costs the dynamic loader symbol look-ups and page faults on every start
# (-0.3 ms of ~5.7 for `cloison run -- /bin/true`: 400 alternating runs of
# each build).  pkg-config --static lists what the archives need in turn.
# libmnl ships no archive in Debian (libnftnl's -lmnl is left to the
# dynamic part); libcgroup is dlopen'd by `check` only.
STATIC_PKGS := libcap libseccomp json-c libnftnl
VERSION  := 0.1.0
CPPFLAGS += -Isrc -DCL_VERSION='"$(VERSION)"' -D_GNU_SOURCE -DCL_SHAREDIR='"$(SHAREDIR)"' -DCL_STATEDIR='"$(STATEDIR)"'
CFLAGS   ?= -O2 -g
LDFLAGS  += -Wl,--as-needed -Wl,-O1 -Wl,-z,relro -Wl,-z,now
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -fno-strict-aliasing
LDLIBS   += -Wl,-Bstatic $(filter-out -lmnl,$(shell pkg-config --static --libs-only-l $(STATIC_PKGS) 2>/dev/null)) \
            -Wl,-Bdynamic $(shell pkg-config --libs $(filter-out $(STATIC_PKGS),$(PKGS)) 2>/dev/null)
CPPFLAGS += $(shell pkg-config --cflags $(PKGS) 2>/dev/null)

BUILD    := build
ROOTFS   ?= $(BUILD)/rootfs

# Debian packages the build, the demo and the tests need.
DEPS_BUILD := build-essential pkg-config libcap-dev libseccomp-dev libmnl-dev libnftnl-dev libcgroup-dev \
              libjson-c-dev busybox-static
DEPS_TEST  := bats util-linux iproute2 uidmap tmux bsdextrautils procps kmod passwd systemd podman conmon containerd bubblewrap passt \
              groff-base mandoc python3 clang-format nftables
DEPS_BENCH := hyperfine crun runc bubblewrap jq qemu-system-x86 podman conmon nginx apache2-utils git
EXTRA_DEPS :=

# Per-concern source lists; fragments in mk/ add their own (VM, guest, tests).
CORE_SRCS := $(wildcard src/util/*.c src/spec/*.c src/ns/*.c src/svc/*.c src/cli/*.c)
CORE_ASM  := src/ns/tinyinit_blob.S
VM_SRCS   :=
TEST_ARTIFACTS :=   # built before the suite runs (fragments add theirs)
include $(wildcard mk/*.mk)
VM_SRCS   += src/vm/launch.c src/vm/agent_host.c

SRCS := $(CORE_SRCS) $(VM_SRCS)
OBJS := $(SRCS:%.c=$(BUILD)/%.o) $(CORE_ASM:%.S=$(BUILD)/%.o)

.PHONY: test-artifacts all deps deps-test deps-bench run test test-full bench bench-nested install uninstall clean \
        check-asan format rootfs fuzz

all: $(BUILD)/cloison

$(BUILD)/cloison: $(OBJS)
	$(CC) $(CFLAGS) $(SANITIZE) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SANITIZE) -MMD -MP -c -o $@ $<

# The --init binary: static, embedded in cloison, run from a sealed memfd.
$(BUILD)/cloison-tinyinit: src/ns/tinyinit/tinyinit.c src/util/error.h
	@mkdir -p $(dir $@)
	$(CC) -static -Os -Wall -Wextra -Werror -Isrc -o $@ $<
	strip $@
$(BUILD)/src/ns/tinyinit_blob.o: src/ns/tinyinit_blob.S $(BUILD)/cloison-tinyinit
	@mkdir -p $(dir $@)
	$(CC) -c -DTINYINIT_PATH='"$(BUILD)/cloison-tinyinit"' -o $@ $<

-include $(OBJS:.o=.d)

# apt-get only what is missing, so repeated runs cost nothing.
define apt_install
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

deps:
	$(call apt_install,$(DEPS_BUILD))
deps-test: deps
	$(call apt_install,$(DEPS_TEST) $(EXTRA_DEPS))
deps-bench: deps-test
	$(call apt_install,$(DEPS_BENCH))

rootfs: $(ROOTFS)/.cloison-rootfs
$(ROOTFS)/.cloison-rootfs: rootfs-tools/mkrootfs-busybox
	rootfs-tools/mkrootfs-busybox $(ROOTFS)

# The test rootfs: the busybox rootfs plus the static test helper.  The
# default rootfs too: run --vm (vm-cli.bats, vm-jail.bats), the README tour
# (readme.bats) and the nested suite use build/rootfs.
TEST_ROOTFS := $(BUILD)/test-rootfs
TEST_ARTIFACTS += $(BUILD)/cltest $(TEST_ROOTFS)/.cloison-rootfs $(ROOTFS)/.cloison-rootfs
$(BUILD)/cltest: tests/helpers/cltest.c
	@mkdir -p $(dir $@)
	$(CC) -static -O2 -Wall -Wextra -Werror -o $@ $<
$(TEST_ROOTFS)/.cloison-rootfs: rootfs-tools/mkrootfs-busybox $(BUILD)/cltest
	rootfs-tools/mkrootfs-busybox $(TEST_ROOTFS)
	install -m 0755 $(BUILD)/cltest $(TEST_ROOTFS)/usr/bin/cltest

run: deps
	$(MAKE) all rootfs
	$(BUILD)/cloison run --rootfs $(ROOTFS) --hostname demo -- /bin/sh /usr/share/cloison-demo.sh

test: deps-test
	$(MAKE) all rootfs test-artifacts
	tests/run-tests

test-artifacts: $(TEST_ARTIFACTS)

test-full: deps-test
	$(call apt_install,debootstrap)
	$(MAKE) all rootfs test-artifacts
	tests/run-tests --full

bench: deps-bench
	$(MAKE) all rootfs vm-test-artifacts net-bench-artifacts
	s=0; tests/bench/run-bench || s=1; tests/bench/run-bench-exec || s=1; \
		tests/bench/run-bench-vm || s=1; tests/bench/run-bench-net || s=1; \
		tests/bench/run-bench-http || s=1; \
		tests/bench/run-bench-svc || s=1; tests/bench/run-bench-oci || s=1; \
		tests/bench/run-bench-ci || s=1; tests/bench/run-bench-contrast || s=1; exit $$s

# cloison bench with its micro-VM column: inside the QEMU TCG test guest
# (emulated AMD-V), as this host's /dev/kvm cannot boot Linux.
bench-nested: deps-bench
	$(MAKE) all rootfs test-artifacts
	tests/bench/run-bench-nested

# cloison built with ASan+UBSan (the static helpers cannot be), then the
# container suite run against it.
SANITIZE ?=
check-asan:
	$(MAKE) BUILD=build-asan SANITIZE="-fsanitize=address,undefined -fno-omit-frame-pointer" build-asan/cloison
	$(MAKE) test-artifacts
	CLOISON=$(CURDIR)/build-asan/cloison ASAN_OPTIONS=detect_leaks=1 tests/run-tests tests/container.bats tests/check.bats

format:
	clang-format -i $$(find src tests -name '*.[ch]')

install: all
	install -D -m 0755 $(BUILD)/cloison $(DESTDIR)$(BINDIR)/cloison
	install -D -m 0755 $(BUILD)/cloison-bench-work $(DESTDIR)$(SHAREDIR)/cloison-bench-work
	install -m 0644 $(BUILD)/testguest.bzImage $(DESTDIR)$(SHAREDIR)/bench-guest.bzImage
	install -d $(DESTDIR)$(SHAREDIR)/profiles $(DESTDIR)$(SHAREDIR)/rootfs-tools
	for f in profiles/*.profile; do [ -e "$$f" ] && install -m 0644 $$f $(DESTDIR)$(SHAREDIR)/profiles/ || true; done
	install -m 0755 rootfs-tools/* $(DESTDIR)$(SHAREDIR)/rootfs-tools/
	for f in man/*.1; do install -D -m 0644 $$f $(DESTDIR)$(MANDIR)/man1/$$(basename $$f); done
	for f in man/*.5; do [ -e "$$f" ] && install -D -m 0644 $$f $(DESTDIR)$(MANDIR)/man5/$$(basename $$f) || true; done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/cloison
	rm -rf $(DESTDIR)$(SHAREDIR)

clean:
	rm -rf $(BUILD) build-asan
