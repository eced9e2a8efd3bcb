# cltest-timeout: 240
# A micro-VM service's guest agent (cloison-init on vsock port 1024, reached
# through the service's vsock socket): cloison exec runs commands in the
# guest (output, exit status, stdin, not found), and cloison stop gives the
# VM's command its stop signal through the agent (a trap in the guest sees
# SIGTERM), after which the guest powers off; nothing left after rm.
set -u
fails=0
B=$CLOISON
check() { # NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then echo "ok: $1"; else echo "FAIL: $1: expected '$2', got '$3'"; fails=$((fails + 1)); fi
}
field() { "$B" inspect "$1" | sed -n "s/^ *\"$2\":\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" | head -1; }
"$B" rm -f vmag >/dev/null 2>&1
name=$("$B" run -d --vm --kernel "$CL_KERNEL" --rootfs "$CL_ROOTFS" --name vmag -- /bin/sh -c \
	'trap "echo got-term; exit 0" TERM; echo vm-up; while :; do sleep 1; done')
check "run -d --vm prints the name" vmag "$name"
for _ in $(seq 600); do "$B" logs vmag 2>/dev/null | grep -q vm-up && break; sleep 0.1; done
"$B" logs vmag | grep -q vm-up || { echo "FAIL: the VM did not come up:"; "$B" logs vmag; fails=$((fails + 1)); }

out=$("$B" exec vmag -- /bin/sh -c 'echo hello-from-exec; echo to-stderr >&2; exit 3' 2>&1)
check "exec: the command's status" 3 $?
case "$out" in *hello-from-exec*to-stderr* | *to-stderr*hello-from-exec*) echo "ok: exec: stdout and stderr" ;;
*) echo "FAIL: exec output: '$out'"; fails=$((fails + 1)) ;; esac
out=$(printf 'a\nb\nc\n' | "$B" exec -i vmag -- wc -l)
check "exec -i: stdin reaches the command" 3 "$(echo $out)"
out=$("$B" exec vmag -- cat </dev/null)
check "exec without -i: an empty stdin" "" "$out"
"$B" exec vmag -- /no/such/command 2>/dev/null
check "exec: not found" 127 $?
out=$("$B" exec vmag -- /bin/sh -c 'echo $$; cat /proc/1/comm')
case "$out" in *init*) echo "ok: exec runs in the guest (its PID 1 is cloison-init)" ;;
*) echo "FAIL: exec: '$out'"; fails=$((fails + 1)) ;; esac

# stats: the guest's own view through the agent, beside the VMM's
out=$("$B" stats --no-stream vmag 2>&1)
case "$out" in *"vmag's guest: memory "*" used of "*", load "*" processes"*) echo "ok: stats: the guest's memory and load" ;;
*) echo "FAIL: stats: '$out'"; fails=$((fails + 1)) ;; esac
out=$("$B" stats --no-stream --format json vmag 2>&1)
case "$out" in *'"guest":{"memory_total":'*) echo "ok: stats --format json: the guest's figures" ;;
*) echo "FAIL: stats json: '$out'"; fails=$((fails + 1)) ;; esac

# -t: a pseudo-terminal in the guest (script(1) gives exec a terminal)
out=$(timeout 60 script -qec "$B exec -t vmag -- /bin/sh -c 'tty; echo tty-ok'" /dev/null </dev/null 2>&1)
case "$out" in *"/dev/pts/"*tty-ok*) echo "ok: exec -t: the command has a pty in the guest" ;;
*) echo "FAIL: exec -t: '$out'"; fails=$((fails + 1)) ;; esac

# run --vm -t: the VM's command on the console as a terminal (echo on)
out=$(timeout 90 script -qec "$B run --vm -t --kernel $CL_KERNEL --rootfs $CL_ROOTFS -- /bin/sh -c '[ -t 0 ] && echo is-a-tty; stty -a'" /dev/null </dev/null 2>&1)
case "$out" in *is-a-tty*" icanon "*" echo "*) echo "ok: run --vm -t: a terminal on the console, echo on" ;;
*) echo "FAIL: run --vm -t: '$out'"; fails=$((fails + 1)) ;; esac

# run --vm -t: the terminal's new size reaches the guest's console (through
# the agent on a vsock of the run's own) and the command gets SIGWINCH
rm -f /tmp/winch.out
timeout 120 script -qec "$B run --vm -t --kernel $CL_KERNEL --rootfs $CL_ROOTFS -- /bin/sh -c 'w() { s=\$(stty size 2>/dev/null); case \"\$s\" in 3[34]\\ 98) echo \"size \$s\"; exit 0 ;; esac; }; trap w WINCH; echo winch-ready; n=0; while [ \$n -lt 600 ]; do sleep 0.1; n=\$((n + 1)); done; exit 1'" /tmp/winch.out </dev/null >/dev/null 2>&1 &
spid=$!
for _ in $(seq 600); do grep -q winch-ready /tmp/winch.out 2>/dev/null && break; sleep 0.1; done
clpid=
for p in /proc/[0-9]*; do
	case "$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)" in "$B run --vm -t "*) clpid=${p#/proc/} ;; esac
done
pts=$(readlink "/proc/$clpid/fd/0" 2>/dev/null)
# the agent may not listen yet: resize until the command says it saw one
# (the rows alone change: stty sets rows and columns by two ioctls; the
# command waits for the size it is looking for)
[ -n "$pts" ] && stty -F "$pts" cols 98 2>/dev/null
for i in $(seq 100); do
	grep -q '^size 3[34] 98' /tmp/winch.out 2>/dev/null && break
	[ -n "$pts" ] && stty -F "$pts" rows $((33 + i % 2)) 2>/dev/null
	sleep 0.2
done
wait "$spid"
if grep -q '^size 3[34] 98' /tmp/winch.out; then echo "ok: run --vm -t: a resize reaches the guest's command (SIGWINCH, stty size)"
else echo "FAIL: run --vm -t resize (cloison $clpid on '$pts'):"; cat /tmp/winch.out; fails=$((fails + 1)); fi
ls -d /tmp/cloison-tty-* 2>/dev/null && { echo "FAIL: the run's vsock directory is left"; fails=$((fails + 1)); }

timeout 90 "$B" stop -t 30 vmag >/dev/null
check "stop: stopped" stopped "$(field vmag status)"
case "$("$B" logs vmag)" in *got-term*) echo "ok: stop: the guest's command got SIGTERM (its trap ran)" ;;
*) echo "FAIL: no got-term in the log:"; "$B" logs vmag; fails=$((fails + 1)) ;; esac
"$B" rm vmag >/dev/null
[ ! -e /run/cloison/jails/vmag ] || { echo "FAIL: state left"; fails=$((fails + 1)); }

# a guest command that ignores SIGTERM, on the bridge: stop ends the VM at
# the end of the grace period, and its lease, tap and rules go back
echo /bin/modprobe >/proc/sys/kernel/modprobe
for m in bridge tun nf_tables nft_chain_nat nft_masq nft_nat nft_ct; do modprobe $m 2>/dev/null; done
export CLOISON_NET_DIR=/tmp/cl-vm-agent-net
"$B" rm -f vmstub >/dev/null 2>&1
"$B" run -d --vm --kernel "$CL_KERNEL" --rootfs "$CL_ROOTFS" --net bridge --name vmstub -- /bin/sh -c \
	'trap "" TERM; echo stub-up; while :; do sleep 1; done' >/dev/null 2>&1
for _ in $(seq 600); do "$B" logs vmstub 2>/dev/null | grep -q stub-up && break; sleep 0.1; done
[ -n "$(cat $CLOISON_NET_DIR/leases 2>/dev/null)" ] && echo "ok: the stubborn VM holds a lease" || { echo "FAIL: no lease"; fails=$((fails + 1)); }
t0=$(date +%s)
timeout 90 "$B" stop -t 3 vmstub >/dev/null
t1=$(date +%s)
check "stop: a guest ignoring SIGTERM is stopped" stopped "$(field vmstub status)"
[ $((t1 - t0)) -le 30 ] && echo "ok: within the grace period and the kill ($((t1 - t0)) s)" || { echo "FAIL: stop took $((t1 - t0)) s"; fails=$((fails + 1)); }
check "its lease went back" "" "$(cat $CLOISON_NET_DIR/leases 2>/dev/null)"
check "no tap left" "" "$(ip -o link show | grep -o 'clv[0-9]*' | tr '\n' ' ')"
"$B" rm vmstub >/dev/null
ip link del cl-br0 2>/dev/null
exit $fails
