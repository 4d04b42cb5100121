# SPDX-License-Identifier: GPL-2.0
# tcptrack build: kern/*.bpf.c -> BPF object -> skeleton -> user/*.c -> build/tcptrack.
# Everything lands in build/ (ignored).  V=1 shows the commands.

OUT		:= build
CLANG		?= clang
BPFTOOL		?= bpftool
CC		?= gcc
PKGS		:= libbpf libxdp libnl-3.0 libnl-route-3.0 libnl-idiag-3.0
ARCH		:= $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/;s/ppc64le/powerpc/;s/s390x/s390/')
VERSION		:= $(shell git describe --always --dirty 2>/dev/null || echo unknown)

CFLAGS		?= -O2 -g
CFLAGS		+= -Wall -Wextra -Wno-unused-parameter -std=gnu11 -MMD -MP
CPPFLAGS	+= -Iinclude -Iuser -I$(OUT) -DTT_VERSION='"$(VERSION)"' \
		   $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS		+= $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lelf -lz
BPF_CFLAGS	:= -g -O2 -Wall -target bpf -D__TARGET_ARCH_$(ARCH) -Iinclude -I$(OUT)

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# Userspace logic with no libbpf dependency: linked into the tool and the unit tests.
CORE_SRCS	:= user/classify.c user/holdq.c user/join.c user/flowtab.c user/output.c user/opts.c user/conntab.c user/log.c
TOOL_SRCS	:= $(CORE_SRCS) user/main.c user/loader.c user/seed.c user/wire.c
CORE_OBJS	:= $(patsubst user/%.c,$(OUT)/%.o,$(CORE_SRCS))
TOOL_OBJS	:= $(patsubst user/%.c,$(OUT)/%.o,$(TOOL_SRCS))
UNIT_TESTS	:= $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(wildcard tests/unit/test_*.c))
BPF_TESTS	:= $(OUT)/tests/test_wire

.PHONY: all clean run check unit setup fuzz
# a recipe that fails leaves no target behind for the next run to take as built
.DELETE_ON_ERROR:

# Sanitizer builds of the userspace logic: unit tests (ASan+UBSan) and fuzzers.
SAN_FLAGS	:= -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
		   -fno-sanitize-recover=undefined
ASAN_TESTS	:= $(patsubst tests/unit/%.c,$(OUT)/asan/%,$(wildcard tests/unit/test_*.c))
FUZZERS		:= $(patsubst tests/fuzz/%.c,$(OUT)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS	?= 60
all: $(OUT)/tcptrack $(OUT)/tt-peer $(OUT)/tt-storm $(OUT)/tt-synflood $(OUT)/foreign.bpf.o

setup:
	$(Q)scripts/setup

$(OUT) $(OUT)/tests:
	$(Q)mkdir -p $@

$(OUT)/vmlinux.h: | $(OUT)
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(OUT)/%.bpf.o: kern/%.bpf.c $(OUT)/vmlinux.h | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -MF $(OUT)/$*.bpf.d -c $< -o $@

$(OUT)/foreign.bpf.o: tests/bpf/foreign.bpf.c $(OUT)/vmlinux.h | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -Wall -target bpf -I$(OUT) -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

$(OUT)/loader.o: $(OUT)/tcptrack.skel.h
$(OUT)/wire.o: $(OUT)/wire.skel.h

$(OUT)/%.o: user/%.c | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(OUT)/tcptrack: $(TOOL_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(OUT)/tt-peer: netns-tests/tt-peer.c | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

$(OUT)/tt-storm: scripts/tt-storm.c | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -lpthread -o $@

$(OUT)/tt-synflood: scripts/tt-synflood.c | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

$(OUT)/tests/%: tests/unit/%.c $(CORE_OBJS) | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $< $(CORE_OBJS) -lcmocka -o $@

$(OUT)/tests/test_wire: tests/bpf/test_wire.c $(OUT)/wire.skel.h | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $< $(LDLIBS) -lcmocka -o $@

$(OUT)/asan/%: tests/unit/%.c $(CORE_SRCS) user/*.h include/tcptrack.h
	@mkdir -p $(@D)
	$(call msg,CC-ASAN,$@)
	$(Q)$(CC) $(CPPFLAGS) -std=gnu11 $(SAN_FLAGS) $< $(CORE_SRCS) -lcmocka -o $@

$(OUT)/fuzz/%: tests/fuzz/%.c $(CORE_SRCS) user/*.h include/tcptrack.h
	@mkdir -p $(@D)
	$(call msg,FUZZER,$@)
	$(Q)$(CLANG) $(CPPFLAGS) -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined $< $(CORE_SRCS) -o $@

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

-include $(wildcard $(OUT)/*.d $(OUT)/tests/*.d)
.SECONDARY:
