# cloison run --vm --net bridge with Debian's kernel (nested): the guest's
# eth0 (virtio-net on a tap on cl-br0) has its leased address, route,
# hosts and resolv.conf; it reaches the bridge; the host reaches it through
# a published port; it reaches a container on the same bridge; nothing is
# left after.
# cltest-timeout: 300
set -u
fails=0
check() { # NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then echo "ok: $1"; else echo "FAIL: $1: expected '$2', got '$3'"; fails=$((fails + 1)); return 1; fi
}
has() { # NAME TEXT WANTED
	case "$2" in *"$3"*) echo "ok: $1" ;; *) echo "FAIL: $1: no '$3' in:"; echo "$2"; fails=$((fails + 1)); return 1 ;; esac
}
vm() { timeout -k 5 90 "$CLOISON" run --vm --kernel "$CL_KERNEL" --rootfs "$CL_ROOTFS" "$@"; }
export CLOISON_NET_DIR=/tmp/cl-vm-net
# the outer guest's kernel loads what cloison's network needs from the
# modules run-in-guest copied (busybox modprobe, also for autoloading)
echo /bin/modprobe >/proc/sys/kernel/modprobe
for m in bridge tun veth nf_tables nft_chain_nat nft_masq nft_nat nft_ct nft_reject_inet nft_fib_inet; do
	modprobe "$m" 2>/dev/null || echo "note: modprobe $m failed"
done
grep -qw bridge /proc/modules || grep -q bridge /lib/modules/*/modules.builtin || {
	echo "no bridge module in the outer guest"
	exit 1
}

# eth0, its address and route, hosts and resolv.conf, the bridge reached
out=$(vm --net bridge --hostname vmnet -- /bin/sh -c 'ip -4 -o addr show eth0; ip route; cat /etc/hosts;
	ping -c1 -W5 10.88.0.1 >/dev/null && echo ping-ok; touch /etc/hosts 2>/dev/null || echo hosts-ro' 2>&1)
check "exit 0" 0 $?
has "eth0 has the leased address" "$out" "inet 10.88.0.2/16"
has "default route via the bridge" "$out" "default via 10.88.0.1 dev eth0"
has "/etc/hosts names the VM" "$out" "vmnet"
has "the bridge answers a ping" "$out" "ping-ok"
has "/etc/hosts is read-only" "$out" "hosts-ro"
links=$(ip -o link show | grep -c 'clv')
check "no tap left" 0 "$links"

# the host reaches a server in the VM through a published port
rm -f /tmp/vmsrv.out
vm --net bridge -p 8080:80 -- /bin/sh -c 'echo hello-from-vm | nc -l -p 80' >/tmp/vmsrv.out 2>&1 &
vmpid=$!
got=
for i in $(seq 60); do
	got=$(nc -w 3 127.0.0.1 8080 </dev/null 2>/dev/null)
	[ -n "$got" ] && break
	got=$(nc -w 3 10.88.0.1 8080 </dev/null 2>/dev/null)
	[ -n "$got" ] && break
	sleep 1
done
check "a published port reaches the VM" hello-from-vm "$got" || { nft list ruleset; ss -ltn 2>/dev/null || netstat -ltn; }
[ -n "$got" ] || kill "$vmpid" 2>/dev/null
wait "$vmpid"
check "the VM with the server ends by itself" 0 $? || cat /tmp/vmsrv.out

# the VM reaches a container on the same bridge
rm -f /tmp/ct.out
timeout -k 5 90 "$CLOISON" run --rootfs "$CL_ROOTFS" --net bridge -- /bin/sh -c \
	'ip -4 -o addr show eth0; echo from-container | nc -l -p 7000' >/tmp/ct.out 2>&1 &
ctpid=$!
ctip=
for i in $(seq 50); do
	ctip=$(sed -n 's@.*inet \([0-9.]*\)/.*@\1@p' /tmp/ct.out)
	[ -n "$ctip" ] && break
	sleep 0.2
done
out=$(vm --net bridge -- /bin/sh -c "for i in 1 2 3 4 5 6 7 8 9 10; do nc -w 3 $ctip 7000 </dev/null && exit 0; sleep 1; done; exit 1" 2>&1)
check "the VM reached the container at ${ctip:-?}" 0 $?
has "the container's answer" "$out" "from-container"
wait "$ctpid"

# nothing left: no tap, no veth, no lease
sleep 1
check "no tap or veth left" "" "$(ip -o link show | grep -o 'clv[0-9]*' | tr '\n' ' ')"
check "no lease left" "" "$(cat "$CLOISON_NET_DIR/leases" 2>/dev/null)"
"$CLOISON" gc >/dev/null 2>&1
ip link del cl-br0 2>/dev/null
exit $fails
