/* Device access: only the devices the spec allows (by default the /dev set
 * of container mode, spec/resources.c) can be opened or created (mknod),
 * whatever the mount's nodev flag says.
 *
 * v1: the devices controller, "a" denied then each rule allowed.
 * v2: a BPF_CGROUP_DEVICE program attached to the context's directory.  It
 * is assembled here, a handful of instructions per rule, and loaded with
 * bpf(2), as crun does, rather than with libbpf: the program is generated at
 * run time from the rules (a compiled object would have to interpret a
 * table, i.e. carry a map, for no gain), there is no BPF toolchain
 * (clang -target bpf) to add to the build, no library to load on the
 * start-up path, and the kernel's verifier checks every program before it
 * runs.  (The project's "libseccomp, never hand-written BPF" rule is about
 * seccomp filters: classic BPF whose libseccomp builder exists for them.) */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ns/cgroup_internal.h"

/* --- v1 -------------------------------------------------------------------- */

static void rule_text(const struct cl_dev_rule *r, char *buf, size_t size)
{
	char maj[24] = "*", min[24] = "*";

	if (r->type == 'a') {
		snprintf(buf, size, "a");
		return;
	}
	if (r->major >= 0)
		snprintf(maj, sizeof(maj), "%lld", (long long)r->major);
	if (r->minor >= 0)
		snprintf(min, sizeof(min), "%lld", (long long)r->minor);
	snprintf(buf, size, "%c %s:%s %s%s%s", r->type, maj, min,
		 r->access & CL_DEV_READ ? "r" : "", r->access & CL_DEV_WRITE ? "w" : "",
		 r->access & CL_DEV_MKNOD ? "m" : "");
}

int cl_cg_devices_v1(const char *dir, const struct cl_spec *s, struct cl_err *err)
{
	size_t n = cl_n_dev_defaults + s->res.n_devices;
	char(*text)[48] = calloc(n, sizeof(*text));
	const char **rules = calloc(n, sizeof(*rules));
	int r = -1;

	if (!text || !rules) {
		cl_fail(err, ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		rule_text(i < cl_n_dev_defaults ? &cl_dev_defaults[i]
						: &s->res.devices[i - cl_n_dev_defaults],
			  text[i], sizeof(text[i]));
		rules[i] = text[i];
	}
	if (cl_cg_write(dir, "devices.deny", "a", err) < 0 ||
	    cl_cg_write_each(dir, "devices.allow", rules, n, err) < 0) {
		cl_wrap(err, "cannot set the jail's device rules");
		goto out;
	}
	r = 0;
out:
	free(text);
	free(rules);
	return r;
}

/* --- v2: the program --------------------------------------------------------- */

#define INSN(c, d, s, o, i)                                                                        \
	((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LDX_W(dst, src, off)	INSN(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define ALU32_IMM(op, dst, imm) INSN(BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define MOV32_REG(dst, src)	INSN(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV64_IMM(dst, imm)	INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define JNE_IMM(dst, imm, off)	INSN(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm)
#define EXIT()			INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

#define MAX_INSNS 4096

/* One rule: fall through to "allow" when it matches, else jump past it.
 * r1 holds the context (struct bpf_cgroup_dev_ctx: access_type = access <<
 * 16 | type, major, minor) throughout; each rule reads what it compares into
 * its own registers, so that at every rule's start nothing but r1 is live
 * and the verifier prunes the paths that reach it as one (loading the
 * fields once for all rules made it walk every combination: 0.28 ms a
 * load instead of 0.06). */
static size_t emit_rule(struct bpf_insn *p, const struct cl_dev_rule *r)
{
	const unsigned all = CL_DEV_MKNOD | CL_DEV_READ | CL_DEV_WRITE;
	size_t n = 0, jumps[4], nj = 0;

	if (r->type != 'a') {
		p[n++] = LDX_W(2, 1, 0);
		p[n++] = ALU32_IMM(BPF_AND, 2, 0xffff);
		jumps[nj++] = n;
		p[n++] = JNE_IMM(2, r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0);
	}
	if ((r->access & all) != all) {
		p[n++] = LDX_W(3, 1, 0);
		p[n++] = ALU32_IMM(BPF_RSH, 3, 16);
		p[n++] = ALU32_IMM(BPF_AND, 3, (int32_t)(~r->access & all));
		jumps[nj++] = n;
		p[n++] = JNE_IMM(3, 0, 0);
	}
	if (r->type != 'a' && r->major >= 0) {
		p[n++] = LDX_W(4, 1, 4);
		jumps[nj++] = n;
		p[n++] = JNE_IMM(4, (int32_t)r->major, 0);
	}
	if (r->type != 'a' && r->minor >= 0) {
		p[n++] = LDX_W(5, 1, 8);
		jumps[nj++] = n;
		p[n++] = JNE_IMM(5, (int32_t)r->minor, 0);
	}
	p[n++] = MOV64_IMM(0, 1);
	p[n++] = EXIT();
	for (size_t j = 0; j < nj; j++)
		p[jumps[j]].off = (int16_t)(n - jumps[j] - 1);
	return n;
}

static size_t assemble(const struct cl_spec *s, struct bpf_insn *p)
{
	size_t n = 0;

	for (size_t i = 0; i < cl_n_dev_defaults; i++)
		n += emit_rule(p + n, &cl_dev_defaults[i]);
	for (size_t i = 0; s && i < s->res.n_devices && n + 20 < MAX_INSNS; i++)
		n += emit_rule(p + n, &s->res.devices[i]);
	p[n++] = MOV64_IMM(0, 0);
	p[n++] = EXIT();
	return n;
}

static int load(const struct cl_spec *s, char *log, size_t log_size)
{
	static struct bpf_insn insns[MAX_INSNS];
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	a.insn_cnt = (uint32_t)assemble(s, insns);
	a.insns = (uint64_t)(uintptr_t)insns;
	a.license = (uint64_t)(uintptr_t) "GPL";
	if (log) {
		a.log_buf = (uint64_t)(uintptr_t)log;
		a.log_size = (uint32_t)log_size;
		a.log_level = 1;
		log[0] = '\0';
	}
	return (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
}

int cl_cg_devices_v2(int dirfd, const struct cl_spec *s, struct cl_err *err)
{
	union bpf_attr a;
	int prog = load(s, NULL, 0), e;

	if (prog < 0 && errno == EINVAL) {
		/* only to explain the failure: the verifier's log */
		static char log[4096];
		prog = load(s, log, sizeof(log));
		if (prog < 0)
			return cl_fail(err, errno,
				       "cannot load the device-control program (%.200s)", log);
	}
	if (prog < 0)
		return cl_fail(
		    err, errno,
		    "cannot load the device-control program (BPF_PROG_TYPE_CGROUP_DEVICE)");
	memset(&a, 0, sizeof(a));
	a.target_fd = (uint32_t)dirfd;
	a.attach_bpf_fd = (uint32_t)prog;
	a.attach_type = BPF_CGROUP_DEVICE;
	/* MULTI: added to, never replacing, what a service manager attached above */
	a.attach_flags = BPF_F_ALLOW_MULTI;
	if (syscall(SYS_bpf, BPF_PROG_ATTACH, &a, sizeof(a)) < 0) {
		e = errno;
		close(prog);
		return cl_fail(err, e,
			       "cannot attach the device-control program to the jail's cgroup");
	}
	close(prog); /* the attachment holds it until the cgroup goes */
	return 0;
}

int cl_cg_devices_bpf_probe(void)
{
	int prog = load(NULL, NULL, 0);

	if (prog < 0)
		return errno;
	close(prog);
	return 0;
}
