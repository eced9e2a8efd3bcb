# cloison-init as PID 1 of a jail inside the test guest (status to a file).
set -e
MKI=/cloison/build/tests/cl-mkinitramfs
[ -x "$CLOISON_INIT" ] && [ -x "$MKI" ] || { echo "build/cloison-init or build/tests/cl-mkinitramfs missing"; exit 1; }
r=$TMPDIR/jail
mkdir -p "$r/.cloison" "$r/proc"
cp -a "$CL_ROOTFS/." "$r/"
cp "$CLOISON_INIT" "$r/init"
"$MKI" --spec-out "$r/.cloison/spec" --hostname inner --env PATH=/bin -- sh -c 'echo "$(hostname) $$"; exit 9'
set +e
out=$(unshare --pid --fork --mount --uts chroot "$r" /init --report-file /status 2>&1)
set -e
echo "$out"
[ "$(cat "$r/status")" = 9 ]
[ "$out" = "inner 2" ]
