# build/cloison and its shared libraries made it into the guest and start.
[ -x "$CLOISON" ] || { echo "$CLOISON missing: build it first (make all)"; exit 1; }
out=$("$CLOISON" --help 2>&1); rc=$?
echo "$out" | head -20
echo "exit status $rc"
[ $rc -lt 126 ] && [ -n "$out" ]
