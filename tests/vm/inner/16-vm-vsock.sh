# cloison run --vm --vsock PATH with Debian's kernel (nested): a program in
# the guest listens on a vsock port; on the host, CONNECT on the VM's Unix
# socket reaches it (Firecracker's protocol: OK <port>, then the stream);
# the socket goes with the VM.
# cltest-timeout: 180
set -u
fails=0
check() { # NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then echo "ok: $1"; else echo "FAIL: $1: expected '$2', got '$3'"; fails=$((fails + 1)); return 1; fi
}
T=/tmp/cl-vsock-test
mkdir -p "$T"
sock=$T/vm.sock
out=$T/vm.out
timeout -k 5 120 "$CLOISON" run --vm --kernel "$CL_KERNEL" --rootfs "$CL_ROOTFS" --vsock "$sock" \
	--bind "$CL_ROOT/build/tests/cl-vsock:/cl-vsock:ro" -- /cl-vsock listen 5000 >"$out" 2>&1 &
vm=$!
for i in $(seq 600); do
	grep -q "listening on vsock port 5000" "$out" && break
	sleep 0.1
done
grep -q "listening on vsock port 5000" "$out" || { echo "FAIL: the guest did not listen:"; cat "$out"; fails=$((fails + 1)); }
[ -S "$sock" ] && echo "ok: the VM's vsock socket exists" || { echo "FAIL: no socket at $sock"; fails=$((fails + 1)); }
# a port nothing listens on: the guest resets it, the host sees the end
got=$("$CL_ROOT/build/tests/cl-vsock" connect "$sock" 5001 x 2>&1)
case "$got" in *"no answer to CONNECT"*) echo "ok: a port nothing listens on is refused" ;;
*) echo "FAIL: port 5001: '$got'"; fails=$((fails + 1)) ;; esac
got=$("$CL_ROOT/build/tests/cl-vsock" connect "$sock" 5000 "hello over vsock" 2>&1)
case "$got" in
"OK "*"
echo: hello over vsock") echo "ok: CONNECT, OK, and the guest's answer" ;;
*) echo "FAIL: host side: '$got'"; fails=$((fails + 1)) ;;
esac
wait "$vm"
check "the VM's command ended by itself" 0 $? || cat "$out"
[ ! -e "$sock" ] && echo "ok: the socket went with the VM" || { echo "FAIL: $sock left"; fails=$((fails + 1)); }
rm -rf "$T"
exit $fails
