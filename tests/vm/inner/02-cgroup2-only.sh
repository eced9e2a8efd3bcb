# The guest mounts the unified cgroup hierarchy only (cgroup_no_v1=all).
set -e
grep -q 'cgroup_no_v1=all' /proc/cmdline
awk '$3 == "cgroup" { print "v1 mount: " $0; bad = 1 } END { exit bad }' /proc/mounts
awk '$2 == "/sys/fs/cgroup" && $3 == "cgroup2" { ok = 1 } END { exit !ok }' /proc/mounts
cat /sys/fs/cgroup/cgroup.controllers
for c in cpu memory pids; do grep -qw $c /sys/fs/cgroup/cgroup.controllers; done
mkdir /sys/fs/cgroup/cltest
echo $$ > /sys/fs/cgroup/cltest/cgroup.procs
grep -q '^0::/cltest$' /proc/self/cgroup
echo $$ > /sys/fs/cgroup/cgroup.procs
rmdir /sys/fs/cgroup/cltest
