# The container options a micro-VM honours (issue 9), with Debian's kernel
# nested: --bind SRC:DST:ro (a read-only copy in the initramfs), --read-only
# without --disk, --overlay, --timeout (exit 124), --init (cloison-init reaps orphans).
# The ones it cannot honour are refused on the host: tests/vm-cli.bats.
# cltest-timeout: 240
set -u
fails=0
vm() { timeout -k 5 90 "$CLOISON" run --vm --kernel "$CL_KERNEL" --rootfs "$CL_ROOTFS" "$@"; }
check() { # NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then echo "ok: $1"; else echo "FAIL: $1: expected '$2', got '$3'"; fails=$((fails + 1)); return 1; fi
}

src=$TMPDIR/bindsrc
mkdir -p "$src/sub"
echo "from the host" >"$src/sub/file"
echo "single file" >"$TMPDIR/one"

# --bind :ro: the tree is there, at a path the rootfs lacks, and read-only
out=$(vm --bind "$src:/mnt/deep/data:ro" --bind "$TMPDIR/one:/etc/one:ro" -- /bin/sh -c '
	cat /mnt/deep/data/sub/file /etc/one
	if { echo x >/mnt/deep/data/sub/file; } 2>/dev/null; then echo WRITABLE; else echo read-only; fi
	if touch /mnt/deep/data/new 2>/dev/null; then echo WRITABLE; else echo read-only; fi
	if { echo x >/etc/one; } 2>/dev/null; then echo WRITABLE; else echo read-only; fi
	echo y >/tmp/elsewhere && echo rest-writable')
check "--bind :ro exit" 0 $?
check "--bind :ro content and protection" "from the host
single file
read-only
read-only
read-only
rest-writable" "$out"
check "host file untouched" "from the host" "$(cat "$src/sub/file")"

# --read-only without --disk: the initramfs root itself
out=$(vm --read-only -- /bin/sh -c 'if touch /newfile 2>/dev/null; then echo WRITABLE; else echo read-only; fi')
check "--read-only root" "read-only" "$out"

# --overlay: the guest's initramfs root is a copy; its writes never reach
# the rootfs (the option is accepted, not dropped)
out=$(vm --overlay -- /bin/sh -c 'echo job > /etc/overlay-job && cat /etc/overlay-job')
check "--overlay exit" 0 $?
check "--overlay writes in the guest" "job" "$out"
[ ! -e "$CL_ROOTFS/etc/overlay-job" ]; check "--overlay: the rootfs untouched" 0 $?

# --timeout: the VM is stopped at the deadline, exit 124, with a message
start=$(date +%s)
err=$(vm --timeout 3 -- /bin/sh -c 'sleep 60' 2>&1 >/dev/null)
st=$?
took=$(($(date +%s) - start))
check "--timeout exit" 124 $st
case "$err" in *"did not report an exit status within 3000 ms"*) echo "ok: timeout message" ;; *) echo "FAIL: timeout message: $err"; fails=$((fails + 1)) ;; esac
[ "$took" -lt 60 ]; check "--timeout stopped it (took ${took}s)" 0 $?

# --init: orphans are reaped by cloison-init (PID 1 of the guest): a child
# that exits after its parent leaves no zombie
out=$(vm --init -- /bin/sh -c '
	sh -c "sleep 0.3 & exit 0"
	sleep 1
	z=0
	for s in /proc/[0-9]*/stat; do
		read -r l <"$s" 2>/dev/null || continue
		case "${l##*) }" in Z*) z=$((z + 1)) ;; esac
	done
	echo "zombies: $z"; echo "pid1: $(cat /proc/1/comm)"')
check "--init exit" 0 $?
check "--init reaps" "zombies: 0
pid1: init" "$out"

[ "$fails" -eq 0 ]
