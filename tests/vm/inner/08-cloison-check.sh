# `cloison check` in the test guest sees hardware KVM (AMD-V) and cgroup v2.
out=$("$CLOISON" check 2>&1)
echo "$out"
echo "$out" | grep -E '^ +/dev/kvm +ok +.*AMD-V' >/dev/null || { echo "FAIL: /dev/kvm not ok with AMD-V"; exit 1; }
echo "$out" | grep -E '^ +layout +ok +(unified|v2)' >/dev/null || { echo "FAIL: cgroup layout not unified"; exit 1; }
