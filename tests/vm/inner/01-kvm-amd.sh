# The outer guest emulates AMD-V and kvm-amd gives it a /dev/kvm.
set -e
grep -qw svm /proc/cpuinfo || { echo "no svm flag in /proc/cpuinfo"; exit 1; }
grep -q '^kvm_amd ' /proc/modules || { echo "kvm_amd not loaded"; cat /proc/modules; exit 1; }
[ -c /dev/kvm ] || { echo "/dev/kvm missing"; ls -l /dev; exit 1; }
ls -l /dev/kvm
