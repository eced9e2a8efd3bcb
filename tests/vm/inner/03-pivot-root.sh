# The guest's root is a real mount (tmpfs), so pivot_root works as on a host.
set -e
mkdir -p /tmp/newroot
unshare -m sh -c '
	mount -t tmpfs t /tmp/newroot && mkdir /tmp/newroot/old /tmp/newroot/bin &&
	cp /bin/busybox /tmp/newroot/bin/ && cd /tmp/newroot && pivot_root . old &&
	/bin/busybox echo pivoted'
