# SPDX-License-Identifier: GPL-2.0
# tcptrack build: kern/*.bpf.c -> BPF object -> skeleton -> user/*.c -> build/tcptrack.
# Everything lands in build/ (ignored).  `make help` lists the targets and variables.

OUT		:= build
CLANG		?= clang
BPFTOOL		?= bpftool
CC		?= gcc
PKGS		:= libbpf libxdp libnl-3.0 libnl-route-3.0 libnl-idiag-3.0 libmicrohttpd
ARCH		:= $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/;s/ppc64le/powerpc/;s/s390x/s390/')
VERSION		:= $(shell git describe --always --dirty 2>/dev/null || echo unknown)

# override: what the build needs is added to CFLAGS, CPPFLAGS, LDLIBS given on the command line too
CFLAGS		?= -O2 -g
override CFLAGS	+= -Wall -Wextra -Wno-unused-parameter -std=gnu11 -MMD -MP
override CPPFLAGS	+= -Iinclude -Iuser -I$(OUT) -DTT_VERSION='"$(VERSION)"' \
		   $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
override LDLIBS	+= $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lelf -lz
BPF_CFLAGS	:= -g -O2 -Wall -target bpf -D__TARGET_ARCH_$(ARCH) -Iinclude -I$(OUT)
# A pinned vmlinux.h (for instance a target kernel's) instead of one dumped from this kernel's BTF
VMLINUX_H	?=

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# Userspace logic with no libbpf dependency: linked into the tool and the unit tests.
CORE_SRCS	:= user/classify.c user/holdq.c user/join.c user/flowtab.c user/output.c user/opts.c user/usage.c user/conntab.c user/log.c user/vocab.c user/format.c user/escape.c user/fields.c \
		   user/buf.c user/by.c user/expo.c user/mlabels.c user/metrics.c user/utf8.c user/netaddr.c
TOOL_SRCS	:= $(CORE_SRCS) user/main.c user/loader.c user/kfeat.c user/seed.c user/wire.c user/http.c
CORE_OBJS	:= $(patsubst user/%.c,$(OUT)/%.o,$(CORE_SRCS))
TOOL_OBJS	:= $(patsubst user/%.c,$(OUT)/%.o,$(TOOL_SRCS))
UNIT_TESTS	:= $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(wildcard tests/unit/test_*.c))
BPF_TESTS	:= $(OUT)/tests/test_wire

.PHONY: all clean run check unit setup fuzz help
# a recipe that fails leaves no target behind for the next run to take as built
.DELETE_ON_ERROR:

# Sanitizer builds of the userspace logic: unit tests (ASan+UBSan) and fuzzers, each from
# its own objects. The fuzzers' objects are instrumented without libFuzzer's main.
SAN_FLAGS	:= -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
		   -fno-sanitize-recover=undefined
FUZZ_FLAGS	:= -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined
ASAN_OBJS	:= $(patsubst user/%.c,$(OUT)/asan/%.o,$(CORE_SRCS))
FUZZ_OBJS	:= $(patsubst user/%.c,$(OUT)/fuzz/obj/%.o,$(CORE_SRCS))
ASAN_TESTS	:= $(patsubst tests/unit/%.c,$(OUT)/asan/%,$(wildcard tests/unit/test_*.c))
FUZZERS		:= $(patsubst tests/fuzz/%.c,$(OUT)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS	?= 60

# Everything compiled depends on a file holding the flags it was built with, rewritten only
# when they change, so `make CFLAGS=-O1` rebuilds what it must.  The version string changes
# with every commit: only the objects whose source prints it depend on it.
BPF_STAMP	:= $(OUT)/.flags-bpf
USER_STAMP	:= $(OUT)/.flags
VERSION_STAMP	:= $(OUT)/.version
VERSION_FLAG	:= -DTT_VERSION='"$(VERSION)"'
BPF_FLAGS_NOW	:= $(CLANG) $(BPFTOOL) $(BPF_CFLAGS) vmlinux.h=$(or $(VMLINUX_H),btf)
USER_FLAGS_NOW	:= $(CC) $(CLANG) $(filter-out $(VERSION_FLAG),$(CPPFLAGS)) $(CFLAGS) $(LDLIBS) \
		   $(SAN_FLAGS) $(FUZZ_FLAGS)
VERSION_USERS	:= $(patsubst user/%.c,%.o,$(shell grep -l TT_VERSION $(sort $(TOOL_SRCS))))

# restamp FILE,TEXT: rewrites FILE, as the Makefile is read, if it holds other than TEXT (no
# rule runs, so `make -n` tells the truth); a missing FILE is left to its rule below
same		= $(and $(findstring $(1),$(2)),$(findstring $(2),$(1)))
restamp		= $(if $(wildcard $(1)),$(if $(call same,$(file <$(1)),$(2)),,$(file >$(1),$(2))))
$(call restamp,$(BPF_STAMP),$(BPF_FLAGS_NOW))
$(call restamp,$(USER_STAMP),$(USER_FLAGS_NOW))
$(call restamp,$(VERSION_STAMP),$(VERSION))

all: $(OUT)/tcptrack $(OUT)/tt-peer $(OUT)/tt-storm $(OUT)/tt-synflood $(OUT)/foreign.bpf.o

setup:
	$(Q)scripts/setup

help:
	@echo 'Targets:'
	@echo '  all (default)         build/tcptrack, the test peers, the test BPF object'
	@echo '  run                   setup, all, then build/tcptrack $$(ARGS); as root'
	@echo '  check                 setup, all, then every test tier (scripts/check); as root'
	@echo '  unit                  build and run the cmocka unit tests'
	@echo '  fuzz                  run each libFuzzer target for FUZZ_SECONDS'
	@echo '  setup                 install the missing Debian packages (scripts/setup)'
	@echo '  clean                 remove build/'
	@echo 'Variables:'
	@echo '  V=1                   show the commands'
	@echo '  ARGS="..."            options for `make run`, e.g. ARGS="-f -o wide"'
	@echo '  VMLINUX_H=path        this vmlinux.h, not one dumped from /sys/kernel/btf/vmlinux'
	@echo '  FUZZ_SECONDS=n        `make fuzz`: seconds per fuzzer (default 60)'
	@echo '  TIERS="..."           `make check`: tiers to run, of unit fuzz cli netns vm (all)'
	@echo '  FUZZ_CHECK_SECONDS=n  `make check`: seconds per fuzzer in its fuzz tier (15)'
	@echo '  VM_TESTS="..."        `make check`: vm tier scenarios (all but floods, valgrind)'
	@echo '  CC CLANG BPFTOOL CFLAGS CPPFLAGS LDLIBS: as usual; a change rebuilds'

$(OUT) $(OUT)/tests:
	$(Q)mkdir -p $@

$(BPF_STAMP): | $(OUT)
	$(file >$@,$(BPF_FLAGS_NOW))
$(USER_STAMP): | $(OUT)
	$(file >$@,$(USER_FLAGS_NOW))
$(VERSION_STAMP): | $(OUT)
	$(file >$@,$(VERSION))

$(OUT)/vmlinux.h: $(VMLINUX_H) $(BPF_STAMP) | $(OUT)
	$(call msg,GEN,$@)
ifeq ($(VMLINUX_H),)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@
else
	$(Q)cp $(VMLINUX_H) $@
endif

$(OUT)/%.bpf.o: kern/%.bpf.c $(OUT)/vmlinux.h $(BPF_STAMP) | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -MF $(OUT)/$*.bpf.d -c $< -o $@

# the wire programs again, for kernels without BPF atomic compare-and-exchange (before 5.12)
$(OUT)/wire_noxchg.bpf.o: kern/wire.bpf.c $(OUT)/vmlinux.h $(BPF_STAMP) | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -DTT_NO_CMPXCHG -MMD -MP -MF $(OUT)/wire_noxchg.bpf.d -c $< -o $@

$(OUT)/foreign.bpf.o: tests/bpf/foreign.bpf.c $(OUT)/vmlinux.h $(BPF_STAMP) | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -MF $(OUT)/foreign.bpf.d -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

$(OUT)/loader.o: $(OUT)/tcptrack.skel.h
$(OUT)/wire.o: $(OUT)/wire.skel.h $(OUT)/wire_noxchg.skel.h
$(addprefix $(OUT)/,$(VERSION_USERS) $(addprefix asan/,$(VERSION_USERS)) \
	$(addprefix fuzz/obj/,$(VERSION_USERS))): $(VERSION_STAMP)

$(OUT)/%.o: user/%.c $(USER_STAMP) | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(OUT)/tcptrack: $(TOOL_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(OUT)/tt-peer: netns-tests/tt-peer.c $(USER_STAMP) | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

$(OUT)/tt-storm: scripts/tt-storm.c $(USER_STAMP) | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -lpthread -o $@

$(OUT)/tt-synflood: scripts/tt-synflood.c $(USER_STAMP) | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

# A test program's dependencies go to a hidden .NAME.d, out of the way of a test_* glob
TEST_DEPS	= -MF $(@D)/.$(@F).d

# the HTTP server's test also links the server and libmicrohttpd; nothing else in CORE needs it
HTTP_LIBS	:= $(shell pkg-config --libs libmicrohttpd 2>/dev/null)
$(OUT)/tests/test_http: tests/unit/test_http.c $(CORE_OBJS) $(OUT)/http.o $(USER_STAMP) \
		| $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(TEST_DEPS) $< $(CORE_OBJS) $(OUT)/http.o $(HTTP_LIBS) \
		-lcmocka -o $@

$(OUT)/tests/%: tests/unit/%.c $(CORE_OBJS) $(USER_STAMP) | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(TEST_DEPS) $< $(CORE_OBJS) -lcmocka -o $@

$(OUT)/tests/test_wire: tests/bpf/test_wire.c $(OUT)/wire.skel.h $(USER_STAMP) | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(TEST_DEPS) $< $(LDLIBS) -lcmocka -o $@

$(OUT)/asan/%.o: user/%.c $(USER_STAMP)
	@mkdir -p $(@D)
	$(call msg,CC-ASAN,$@)
	$(Q)$(CC) $(CPPFLAGS) -std=gnu11 $(SAN_FLAGS) -MMD -MP -c $< -o $@

$(OUT)/asan/test_%: tests/unit/test_%.c $(ASAN_OBJS) $(USER_STAMP)
	$(call msg,CC-ASAN,$@)
	$(Q)$(CC) $(CPPFLAGS) -std=gnu11 $(SAN_FLAGS) -MMD -MP $(TEST_DEPS) $< $(ASAN_OBJS) \
		-lcmocka -o $@

$(OUT)/asan/test_http: tests/unit/test_http.c $(ASAN_OBJS) $(OUT)/asan/http.o $(USER_STAMP)
	$(call msg,CC-ASAN,$@)
	$(Q)$(CC) $(CPPFLAGS) -std=gnu11 $(SAN_FLAGS) -MMD -MP $(TEST_DEPS) $< $(ASAN_OBJS) \
		$(OUT)/asan/http.o $(HTTP_LIBS) -lcmocka -o $@

$(OUT)/fuzz/obj/%.o: user/%.c $(USER_STAMP)
	@mkdir -p $(@D)
	$(call msg,CC-FUZZ,$@)
	$(Q)$(CLANG) $(CPPFLAGS) -std=gnu11 $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP \
		-c $< -o $@

$(OUT)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS) $(USER_STAMP)
	$(call msg,FUZZER,$@)
	$(Q)$(CLANG) $(CPPFLAGS) -std=gnu11 $(FUZZ_FLAGS) -fsanitize=fuzzer -MMD -MP $(TEST_DEPS) \
		$< $(FUZZ_OBJS) -o $@

fuzz: $(FUZZERS)
	$(Q)for f in $(FUZZERS); do \
		mkdir -p $(OUT)/corpus/$$(basename $$f); \
		$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			$(OUT)/corpus/$$(basename $$f) || exit 1; \
	done

run: setup all
	$(OUT)/tcptrack $(ARGS)

unit: $(UNIT_TESTS)
	$(Q)for t in $(UNIT_TESTS); do $$t || exit 1; done

check: setup all $(UNIT_TESTS) $(BPF_TESTS) $(ASAN_TESTS) $(FUZZERS)
	$(Q)FUZZERS="$(FUZZERS)" scripts/check $(UNIT_TESTS) $(ASAN_TESTS) $(BPF_TESTS)

clean:
	$(Q)rm -rf $(OUT)

-include $(wildcard $(addsuffix /*.d,$(OUT) $(OUT)/asan $(OUT)/fuzz/obj) \
	$(addsuffix /.*.d,$(OUT)/tests $(OUT)/asan $(OUT)/fuzz))
.SECONDARY:
