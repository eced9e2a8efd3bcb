# cloison run --vm boots Debian's kernel nested on the guest's /dev/kvm, with
# cloison-init as PID 1: output, environment, hostname, statuses, stdin, vCPUs
# and memory all round-trip.
# cltest-timeout: 240
set -u
fails=0
# each run bounded: a hang fails the step that hung, not the whole harness
vm() { timeout -k 5 60 "$CLOISON" run --vm --kernel "$CL_KERNEL" --rootfs "$CL_ROOTFS" "$@"; }
check() { # NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then echo "ok: $1"; else echo "FAIL: $1: expected '$2', got '$3'"; fails=$((fails + 1)); return 1; fi
}

out=$(vm --hostname vmhost -e GREETING=nested-hello -- /bin/sh -c 'echo $GREETING; hostname; exit 7')
check "exit 7" 7 $?
check "output" "nested-hello
vmhost" "$out"

vm -- /bin/true; check "exit 0" 0 $?
vm -- /bin/sh -c 'exit 42'; check "exit 42" 42 $?
vm -- /bin/sh -c 'kill -TERM $$'; check "killed by SIGTERM" 143 $?
vm -- /no/such/command 2>/dev/null; check "not found" 127 $?

out=$(printf 'l1\nl2\nl3\n' | vm -i -- /bin/sh -c 'wc -l')
check "stdin piped" 3 "$(echo $out)"

out=$(vm --vcpus 2 --memory 512M -- /bin/sh -c 'nproc; grep MemTotal /proc/meminfo')
check "nproc with --vcpus 2" 2 "$(echo "$out" | head -1)"
kib=$(echo "$out" | sed -n 's/MemTotal: *\([0-9]*\) kB/\1/p')
[ -n "$kib" ] && [ "$kib" -gt 400000 ] && [ "$kib" -le 524288 ]
check "MemTotal for --memory 512M (${kib:-?} kB)" 0 $? || { echo 'output was:'; printf '%s' "$out" | od -c | head -20; }

# A guest that reboots or powers itself off ends the run with a clear error
# (reboot=k, as Firecracker: the i8042 reset line stops the VM), never a hang.
err=$(timeout 60 "$CLOISON" run --vm --kernel "$CL_KERNEL" --rootfs "$CL_ROOTFS" -- /bin/sh -c 'reboot -f' 2>&1 >/dev/null)
check "reboot -f ends the VM" 125 $?
case "$err" in *"guest reset the machine"*) ;; *) echo "FAIL: reboot message: $err"; fails=$((fails + 1)) ;; esac
err=$(timeout 60 "$CLOISON" run --vm --kernel "$CL_KERNEL" --rootfs "$CL_ROOTFS" -- /bin/sh -c 'poweroff -f' 2>&1 >/dev/null)
check "poweroff -f ends the VM" 125 $?
case "$err" in *"guest halted"*) ;; *) echo "FAIL: poweroff message: $err"; fails=$((fails + 1)) ;; esac

[ $fails -eq 0 ]
