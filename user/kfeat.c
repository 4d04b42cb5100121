// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's BTF decides, at load, which helper each BPF program calls
 * (kern/compat.bpf.h tests enum bpf_func_id through CO-RE).  The same
 * lookup here tells the user, with -v, which way each went, and refuses a
 * kernel without the helpers the programs cannot do without.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "kfeat.h"
#include "tt.h"

#define BTF_PATH "/sys/kernel/btf/vmlinux"

/* the helpers kern/compat.bpf.h does without, and what it does instead */
static const struct {
	const char *name;	/* in enum bpf_func_id */
	const char *since;
	const char *without;
} helpers[] = {
	{ "BPF_FUNC_get_func_ret", "5.17", "fexit programs read the return value's ctx slot" },
	{ "BPF_FUNC_get_func_arg", "5.17", "fexit programs read the arguments' ctx slots" },
	{ "BPF_FUNC_get_current_task_btf", "5.11",
	  "the descriptor table is found with probe reads from bpf_get_current_task()" },
	{ "BPF_FUNC_task_pt_regs", "5.15",
	  "connect()'s registers are found at the top of the task's stack (x86-64 only)" },
};

/* the helpers the programs cannot do without, and the release that brought them */
static const struct {
	const char *name;
	const char *since;
} required[] = {
	{ "BPF_FUNC_ringbuf_reserve", "5.8" },
	{ "BPF_FUNC_skc_to_tcp_sock", "5.9" },
};

static bool enum_has(const struct btf *btf, const char *type, const char *value)
{
	__s32 id = btf__find_by_name_kind(btf, type, BTF_KIND_ENUM);
	const struct btf_type *t;
	const struct btf_enum *e;

	if (id < 0)
		return false;
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, e[i].name_off), value))
			return true;
	return false;
}

int tt_kfeat_check(char *err, size_t len)
{
	struct btf *btf;

	if (access(BTF_PATH, R_OK))
		return tt_errf(err, len, -ENOENT,
			    "no kernel BTF: tcptrack needs a kernel built with CONFIG_DEBUG_INFO_BTF=y (check: ls " BTF_PATH "; grep DEBUG_INFO_BTF /boot/config-$(uname -r))");
	btf = btf__load_vmlinux_btf();
	if (!btf)
		return 0;	/* libbpf says why when it loads the programs */
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (enum_has(btf, "bpf_func_id", required[i].name))
			continue;
		btf__free(btf);
		return tt_errf(err, len, -ENOTSUP,
			    "the kernel has no BPF helper bpf_%s: tcptrack needs Linux %s or newer",
			    required[i].name + strlen("BPF_FUNC_"), required[i].since);
	}
	for (size_t i = 0; tt_verbosity >= 1 && i < sizeof(helpers) / sizeof(helpers[0]); i++) {
		const char *h = helpers[i].name + strlen("BPF_FUNC_");

		if (enum_has(btf, "bpf_func_id", helpers[i].name))
			tt_info("helper bpf_%s: present", h);
		else
			tt_info("helper bpf_%s: absent (Linux %s): %s", h, helpers[i].since,
				helpers[i].without);
	}
	btf__free(btf);
	return 0;
}
