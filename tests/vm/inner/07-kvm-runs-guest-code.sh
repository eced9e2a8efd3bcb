# The nested /dev/kvm runs guest code: a 7-byte real-mode guest does
# "out 42 to 0x501; hlt" and the exits come back as expected.
set -e
/cloison/build/tests/cl-kvm-smoke
