#!/usr/bin/env python3
"""cloison's built-in seccomp policy (`cloison profile show --seccomp-default`,
on stdin) as an OCI runtime-spec `linux.seccomp` object, written into the
config.json given as the argument (in Python: jq would round 64-bit masks to
doubles), so that the start-up benchmark can run crun with the same policy
cloison applies."""
import json
import sys

CONST = {
    "CLONE_NS_FLAGS": 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000
    | 0x20000000 | 0x40000000 | 0x00000080,
    "AF_VSOCK": 40, "PER_LINUX": 0, "PER_LINUX32": 8, "UNAME26": 0x0020000,
}
ERRNO = {"EPERM": 1, "ENOSYS": 38}


def value(text):
    total = 0
    for part in text.split("|"):
        total |= CONST[part] if part in CONST else int(part, 0)
    return total


def parse_args(words):
    """argN OP VALUE | argN & MASK == VALUE  ->  OCI args"""
    args, i = [], 0
    while i < len(words):
        index = int(words[i][3:])
        if words[i + 1] == "&":
            args.append({"index": index, "value": value(words[i + 2]),
                         "valueTwo": value(words[i + 4]), "op": "SCMP_CMP_MASKED_EQ"})
            i += 5
        else:
            op = {"==": "SCMP_CMP_EQ", "!=": "SCMP_CMP_NE", "<": "SCMP_CMP_LT",
                  "<=": "SCMP_CMP_LE", ">": "SCMP_CMP_GT", ">=": "SCMP_CMP_GE"}[words[i + 1]]
            args.append({"index": index, "value": value(words[i + 2]), "op": op})
            i += 3
    return args


seccomp = {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
           "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
           "syscalls": []}
for line in sys.stdin:
    words = line.split()
    if not words or words[0].startswith("#") or words[0] == "seccomp":
        continue
    if words[0] == "syscall":
        kind, words = words[1], words[2:]
    else:
        kind, words = words[0], words[1:]
    n = next((i for i, w in enumerate(words) if w[:3] == "arg" and w[3:].isdigit()), len(words))
    names, cond = words[:n], words[n:]
    rule = {"names": names}
    if kind == "allow":
        rule["action"] = "SCMP_ACT_ALLOW"
    else:
        rule["action"] = "SCMP_ACT_ERRNO"
        rule["errnoRet"] = ERRNO[kind.split(":")[1]] if ":" in kind else 1
    if cond:
        rule["args"] = parse_args(cond)
    seccomp["syscalls"].append(rule)
with open(sys.argv[1]) as f:
    config = json.load(f)
config.setdefault("linux", {})["seccomp"] = seccomp
with open(sys.argv[1], "w") as f:
    json.dump(config, f)
