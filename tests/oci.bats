#!/usr/bin/env bats
# The OCI runtime commands by themselves (runc's command line): bundles made
# with `cloison spec` and edited with jq, the lifecycle, every config.json
# field checked from inside the container (or on the host side of its
# cgroups), and bad bundles refused with nothing left behind.  Each test has
# its own --root; the containers' cgroups are made below our own cgroup
# (cgroupsPath relative: cloison-ocib-PID/ID).

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	# a private (0700) copy of the test rootfs: the containers' root is
	# host root, and may write mount points into it
	OCI_TMP=$(mktemp -d /tmp/cloison-ocib.XXXXXX)
	cp -a "$ROOTFS/." "$OCI_TMP/rootfs"
	export OCI_TMP OCI_CG="cloison-ocib-$$"
}

teardown_file() {
	rm -rf "$OCI_TMP"
}

setup() {
	R=$BATS_TEST_TMPDIR/root
	B=$BATS_TEST_TMPDIR/bundle
	HOLDERS=()
	NETNS=
	HOSTMOUNT=
	mkdir -p "$B"
}

teardown() {
	local id p
	for id in $(oci list -q 2>/dev/null); do
		oci delete --force "$id" || echo "cannot delete $id"
	done
	for p in "${HOLDERS[@]}"; do
		kill -9 "$p" 2>/dev/null || true
	done
	[ -z "$NETNS" ] || ip netns del "$NETNS" 2>/dev/null || true
	[ -z "$HOSTMOUNT" ] || umount -l "$HOSTMOUNT" 2>/dev/null || true
	# the parent cgroup goes with its last container; one made by a
	# container deleted before another's is left: ours to remove
	for c in /sys/fs/cgroup/*; do
		p=$(cgdir "${c##*/}")/$OCI_CG
		[ ! -d "$p" ] || rmdir "$p" 2>/dev/null || true
	done
	[ ! -d "$(cgv2)/$OCI_CG" ] || rmdir "$(cgv2)/$OCI_CG" 2>/dev/null || true
}

oci() {
	"$CLOISON" --root "$R" "$@"
}

# cfg JQ-FILTER: edit the bundle's config.json
cfg() {
	jq "$@" "$B/config.json" >"$B/config.json.new" && mv "$B/config.json.new" "$B/config.json"
}

# mkbundle [JQ-FILTER]: cloison spec's config on the test rootfs, no
# terminal, writable, then FILTER
mkbundle() {
	rm -f "$B/config.json"
	"$CLOISON" spec --bundle "$B"
	cfg --arg r "$OCI_TMP/rootfs" '.root.path = $r | .root.readonly = false |
		.process.terminal = false | '"${1:-.}"
}

# args CMD...: the process to run
args() {
	local a
	a=$(printf '%s\n' "$@" | jq -R . | jq -s .)
	cfg --argjson a "$a" '.process.args = $a'
}

# create ID [OPTS...]: create from the bundle, in the cgroup OCI_CG/ID, its
# output in $BATS_TEST_TMPDIR/ID.out (the process holds it open)
create() {
	local id=$1
	shift
	cfg --arg cg "$OCI_CG/$id" '.linux.cgroupsPath = $cg'
	oci create --bundle "$B" "$@" "$id" >"$BATS_TEST_TMPDIR/$id.out" 2>"$BATS_TEST_TMPDIR/$id.err" ||
		{ cat "$BATS_TEST_TMPDIR/$id.err"; return 1; }
}

# inside ID CMD...: create and start a container running CMD, wait for its
# end; its output in $output
inside() {
	local id=$1 s
	shift
	args "$@"
	create "$id"
	oci start "$id"
	wait_until 10 stopped "$id" || { echo "$id still running"; return 1; }
	output=$(cat "$BATS_TEST_TMPDIR/$id.out")
	mapfile -t lines <<<"$output"
	s=$(cat "$BATS_TEST_TMPDIR/$id.err")
	[ -z "$s" ] || echo "stderr: $s"
	oci delete "$id"
}

status_of() {
	oci state "$1" | jq -r .status
}

stopped() {
	[ "$(status_of "$1")" = stopped ]
}

pid_of() {
	oci state "$1" | jq -r .pid
}

# cgdir CONTROLLER: our own cgroup's directory in that v1 hierarchy
cgdir() {
	local p
	p=$(awk -F: -v c="$1" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' /proc/self/cgroup)
	echo "/sys/fs/cgroup/$1${p%/}"
}

# cgv2: our own cgroup's directory in the unified tree (hybrid: the v2 tree
# beside the v1 hierarchies, where a container's device program and freezer
# are when no v1 controller is asked for)
cgv2() {
	local p m
	p=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
	m=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
	echo "$m${p%/}"
}

# no_trace ID: nothing of container ID is left: state, cgroups, mounts,
# processes
no_trace() {
	local c
	[ ! -e "$R/$1" ] || { echo "state dir $R/$1 left"; return 1; }
	for c in $(cgdir memory) $(cgdir pids) $(cgdir cpu) $(cgdir freezer) $(cgdir devices) $(cgdir blkio) $(cgv2); do
		[ ! -e "$c/$OCI_CG" ] || { echo "cgroup $c/$OCI_CG left"; return 1; }
	done
	! grep -e "$OCI_TMP" -e "$B" /proc/self/mountinfo || { echo "mounts left"; return 1; }
	no_proc "create --bundle $B $1\$"
}

# --- lifecycle -----------------------------------------------------------------

@test "create: created, the pid file's pid, blocked in cloison; start: running, output; kill; delete" {
	mkbundle
	args sh -c 'echo hello from the container; trap "exit 0" TERM; while :; do sleep 0.1; done'
	create c1 --pid-file "$BATS_TEST_TMPDIR/pid"
	run oci state c1
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = created ]
	[ "$(jq -r .id <<<"$output")" = c1 ]
	[ "$(jq -r .bundle <<<"$output")" = "$B" ]
	pid=$(jq -r .pid <<<"$output")
	[ "$pid" -gt 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/pid")" = "$pid" ]
	# still cloison, waiting for start: the command has not run
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "cloison.* create "
	[ ! -s "$BATS_TEST_TMPDIR/c1.out" ]
	oci start c1
	[ "$(status_of c1)" = running ]
	wait_until 5 grep -qx "hello from the container" "$BATS_TEST_TMPDIR/c1.out"
	oci kill c1 TERM
	wait_until 5 stopped c1
	[ "$(pid_of c1)" = 0 ]
	oci delete c1
	no_trace c1
	run oci state c1
	[ "$status" -ne 0 ]
}

@test "start twice is refused; delete of a running container needs --force" {
	mkbundle
	args sleep 60
	create c1
	oci start c1
	run oci start c1
	[ "$status" -ne 0 ]
	[[ "$output" == *"not created"* ]]
	run oci delete c1
	[ "$status" -ne 0 ]
	[[ "$output" == *running* ]]
	[ "$(status_of c1)" = running ]
	pid=$(pid_of c1)
	oci delete --force c1
	wait_until 5 test ! -e "/proc/$pid"
	no_trace c1
	# --force on what is not there is no error, without it one
	oci delete --force c1
	run oci delete c1
	[ "$status" -ne 0 ]
}

@test "delete of a created container (never started) ends its process" {
	mkbundle
	args sleep 60
	create c1
	pid=$(pid_of c1)
	oci delete c1
	no_trace c1
	wait_until 5 test ! -e "/proc/$pid"
}

@test "kill: signal names and numbers (TERM, SIGKILL, 9), --all; unknown signal and stopped container refused" {
	mkbundle '.linux.namespaces |= map(select(.type != "pid"))'
	args sh -c 'trap "echo got USR1" USR1; trap "exit 7" TERM; echo ready; while :; do sleep 0.1; done'
	for id in a b c d; do
		create $id
		oci start $id
	done
	for id in a b c d; do
		wait_until 5 grep -q ready "$BATS_TEST_TMPDIR/$id.out"
	done
	oci kill a USR1
	wait_until 5 grep -qx "got USR1" "$BATS_TEST_TMPDIR/a.out"
	[ "$(status_of a)" = running ]
	oci kill a TERM
	oci kill b SIGKILL
	oci kill c 9
	oci kill --all d KILL
	for id in a b c d; do
		wait_until 5 stopped $id
	done
	run oci kill a TERM
	[ "$status" -ne 0 ]
	[[ "$output" == *"not running"* ]]
	run oci kill b SIGNOPE
	[ "$status" -ne 0 ]
	[[ "$output" == *"unknown signal"* ]]
}

@test "kill --all reaches every process of the container's cgroup" {
	mkbundle
	args sh -c 'sleep 60 & sleep 60 & echo ready; wait'
	create c1
	oci start c1
	wait_until 5 grep -q ready "$BATS_TEST_TMPDIR/c1.out"
	procs=$(cgv2)/$OCI_CG/c1/cgroup.procs
	wait_until 5 eval '[ "$(wc -l <"$procs")" -eq 3 ]'
	oci kill --all c1 KILL
	wait_until 5 stopped c1
	wait_until 5 test ! -s "$procs"
}

@test "list: table, -q and --format json" {
	mkbundle
	args sleep 60
	create one
	create two
	oci start two
	run oci list -q
	[ "$status" -eq 0 ]
	[ "$output" = $'one\ntwo' ]
	run oci list
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == ID*PID*STATUS*BUNDLE* ]]
	grep -E "^one +$(pid_of one) +created +$B " <<<"$output"
	grep -E "^two +$(pid_of two) +running +$B " <<<"$output"
	run oci list --format json
	[ "$status" -eq 0 ]
	[ "$(jq -r 'map(.id + ":" + .status) | join(",")' <<<"$output")" = "one:created,two:running" ]
	# an empty or missing root lists nothing
	run "$CLOISON" --root "$BATS_TEST_TMPDIR/none" list --format json
	[ "$output" = "[]" ]
}

@test "run: the command's exit status (3), 128+N for a signal, nothing kept" {
	mkbundle '.linux.namespaces |= map(select(.type != "pid"))'
	cfg --arg cg "$OCI_CG/r1" '.linux.cgroupsPath = $cg'
	args sh -c 'echo out; exit 3'
	run -3 oci run --bundle "$B" r1
	[ "$output" = out ]
	no_trace r1
	args sh -c 'kill -TERM $$; sleep 5'
	run -143 oci run --bundle "$B" r1
	no_trace r1
	args sh -c 'kill -KILL $$'
	run -137 oci run --bundle "$B" r1
	no_trace r1
}

@test "run --detach: returns at once, the container runs on" {
	mkbundle
	cfg --arg cg "$OCI_CG/d1" '.linux.cgroupsPath = $cg'
	args sh -c 'echo detached; sleep 60'
	oci run --detach --bundle "$B" d1 >"$BATS_TEST_TMPDIR/d1.out" 2>&1
	[ "$(status_of d1)" = running ]
	wait_until 5 grep -qx detached "$BATS_TEST_TMPDIR/d1.out"
	oci delete --force d1
	no_trace d1
}

@test "pause and resume: freezer.state, and the process really stops" {
	mkbundle
	args sh -c 'i=0; while :; do i=$((i+1)); echo $i >/dev/shm/n; sleep 0.01; done'
	create p1
	oci start p1
	pid=$(pid_of p1)
	n=/proc/$pid/root/dev/shm/n
	wait_until 5 test -s "$n"
	# v1's freezer when the container has a group there, v2's otherwise
	freezer=$(cgdir freezer)/$OCI_CG/p1/freezer.state frozen=FROZEN thawed=THAWED
	if [ ! -e "$freezer" ]; then
		freezer=$(cgv2)/$OCI_CG/p1/cgroup.freeze frozen=1 thawed=0
	fi
	[ "$(cat "$freezer")" = $thawed ]
	oci pause p1
	wait_until 5 grep -qx $frozen "$freezer"
	[ "$(status_of p1)" = paused ]
	a=$(cat "$n")
	sleep 0.3
	[ "$(cat "$n")" = "$a" ]
	oci resume p1
	[ "$(cat "$freezer")" = $thawed ]
	[ "$(status_of p1)" = running ]
	wait_until 5 eval '[ "$(cat "$n")" != "$a" ]'
	# pause of a created container is refused
	create p2
	run oci pause p2
	[ "$status" -ne 0 ]
}

@test "ps --format json lists the container's pids; ps -ef its lines" {
	mkbundle
	args sh -c 'sleep 60 & echo ready; wait'
	create c1
	oci start c1
	wait_until 5 grep -q ready "$BATS_TEST_TMPDIR/c1.out"
	pid=$(pid_of c1)
	wait_until 5 eval '[ "$(oci ps --format json c1 | jq length)" -eq 2 ]'
	oci ps --format json c1 | jq -e --argjson p "$pid" 'index($p) != null'
	run oci ps c1
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *PID* ]]
	[ "${#lines[@]}" -eq 3 ]
}

@test "features: valid JSON naming the namespaces and seccomp" {
	run oci features
	[ "$status" -eq 0 ]
	jq -e '.linux.namespaces | index("network") and index("user") and index("pid")' <<<"$output"
	jq -e '.linux.seccomp.enabled == true and (.linux.seccomp.actions | index("SCMP_ACT_ERRNO"))' <<<"$output"
	jq -e '.ociVersionMax | startswith("1.")' <<<"$output"
}

@test "spec refuses to overwrite an existing config.json" {
	mkbundle
	echo '{"mine": true}' >"$B/config.json"
	run "$CLOISON" spec --bundle "$B"
	[ "$status" -ne 0 ]
	[[ "$output" == *"config.json"* ]]
	[ "$(cat "$B/config.json")" = '{"mine": true}' ]
}

@test "--log FILE --log-format json: an error line for a failure" {
	log=$BATS_TEST_TMPDIR/log.json
	run "$CLOISON" --root "$R" --log "$log" --log-format json state nosuch
	[ "$status" -ne 0 ]
	jq -e 'select(.level == "error") | .msg | contains("nosuch")' "$log"
	[ "$(wc -l <"$log")" -eq 1 ]
}

# --- config.json, checked from inside ----------------------------------------

@test "mounts: proc, sysfs, tmpfs with size and mode, devpts, mqueue" {
	mkbundle '.mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
		"options": ["nosuid", "nodev", "size=1m", "mode=0710"]}]'
	inside m1 sh -c 'cat /proc/self/mountinfo; stat -c "mode %a" /tmp'
	echo "$output"
	grep -E ' / /proc [^ ]+ .*- proc ' <<<"$output"
	grep -E ' / /sys ro,nosuid,nodev,noexec.* - sysfs ' <<<"$output"
	grep -E ' / /tmp rw,nosuid,nodev[ ,].* - tmpfs tmpfs rw,.*size=1024k,mode=710' <<<"$output"
	grep -E ' / /dev/pts rw,nosuid,noexec.* - devpts devpts .*ptmxmode=666' <<<"$output"
	grep -E ' / /dev/mqueue rw,nosuid,nodev,noexec.* - mqueue ' <<<"$output"
	grep -E ' / /dev/shm .* - tmpfs shm .*size=65536k' <<<"$output"
	grep -qx "mode 710" <<<"$output"
}

@test "cgroup mount: the container sees its own memory limit" {
	mkbundle '.linux.resources.memory.limit = 67108864'
	inside m1 sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes; grep " /sys/fs/cgroup/memory " /proc/self/mountinfo'
	[ "${lines[0]}" = 67108864 ]
	[[ "${lines[1]}" == *" ro,"* ]]
}

@test "bind and rbind: ro, nosuid, nodev, noexec; recursive or not" {
	src=$BATS_TEST_TMPDIR/src
	mkdir -p "$src/sub"
	echo host >"$src/file"
	mount -t tmpfs -o size=1m ocib-sub "$src/sub"
	HOSTMOUNT=$src/sub
	echo below >"$src/sub/f"
	mkbundle
	cfg --arg s "$src" '.mounts += [
		{"destination": "/mnt", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
		{"destination": "/mnt/b", "type": "bind", "source": $s, "options": ["bind", "ro", "nosuid", "nodev", "noexec"]},
		{"destination": "/mnt/r", "type": "none", "source": $s, "options": ["rbind", "rw"]}]'
	inside m1 sh -c 'cat /mnt/b/file; cat /mnt/r/sub/f; ls /mnt/b/sub | wc -l; grep -E " /mnt/(b|r)" /proc/self/mountinfo; touch /mnt/b/x || echo ro ok'
	echo "$output"
	[ "${lines[0]}" = host ]
	[ "${lines[1]}" = below ]
	[ "${lines[2]}" = 0 ] # bind alone: not the submount
	grep -E ' /mnt/b ro,nosuid,nodev,noexec' <<<"$output"
	grep -E ' /mnt/r rw,' <<<"$output"
	grep -E ' /mnt/r/sub ' <<<"$output"
	grep -qx "ro ok" <<<"$output"
	[ ! -e "$src/x" ]
	run ! grep -E ' /mnt/b/sub ' <<<"$output"
}

@test "mount propagation options and rootfsPropagation" {
	mkbundle '.linux.rootfsPropagation = "shared" | .mounts += [
		{"destination": "/mnt", "type": "tmpfs", "source": "tmpfs", "options": ["shared"]},
		{"destination": "/run", "type": "tmpfs", "source": "tmpfs", "options": ["private"]}]'
	inside m1 cat /proc/self/mountinfo
	echo "$output"
	[ -n "$(awk '$5 == "/" && $7 ~ /^shared:/' <<<"$output")" ]
	[ -n "$(awk '$5 == "/mnt" && $7 ~ /^shared:/' <<<"$output")" ]
	[ -n "$(awk '$5 == "/run" && $7 == "-"' <<<"$output")" ]
}

@test "maskedPaths and readonlyPaths as the config lists them, not the built-in ones" {
	mkbundle '.linux.maskedPaths = ["/proc/keys", "/etc/ssl", "/nonexistent"] | .linux.readonlyPaths = ["/proc/sys", "/home"]'
	mkdir -p "$OCI_TMP/rootfs/etc/ssl"
	echo secret >"$OCI_TMP/rootfs/etc/ssl/key"
	inside m1 sh -c 'wc -c </proc/keys; ls /etc/ssl | wc -l; wc -l </proc/interrupts; touch /home/x || echo ro; grep -E " /proc/(sys|interrupts|keys) " /proc/self/mountinfo'
	echo "$output"
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
	[ "${lines[2]}" -gt 0 ] # /proc/interrupts: built-in, not in this list
	[ "${lines[3]}" = ro ]
	grep -E ' /proc/sys ro,' <<<"$output"
	[ "$(grep -c ' /proc/interrupts ' <<<"$output")" = 0 ]
	grep -E ' /proc/keys ' <<<"$output"
	# none listed: none masked
	mkbundle 'del(.linux.maskedPaths) | del(.linux.readonlyPaths)'
	inside m2 sh -c 'grep -cE " /proc/(sys|kcore|keys|interrupts|timer_list) " /proc/self/mountinfo'
	[ "$output" = 0 ]
}

@test "the five capability sets: applied before start, and across execve" {
	mkbundle '.process.user.uid = 1000 | .process.user.gid = 1000 | .process.capabilities = {
		"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_SETUID", "CAP_NET_BIND_SERVICE"],
		"permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"inheritable": ["CAP_CHOWN", "CAP_KILL"],
		"effective": ["CAP_CHOWN", "CAP_KILL"],
		"ambient": ["CAP_KILL"]}'
	args grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb):' /proc/self/status
	create c1
	# chown 0, kill 5, setuid 7, net_bind_service 10
	st=/proc/$(pid_of c1)/status
	grep -qx $'CapInh:\t0000000000000021' "$st"
	grep -qx $'CapPrm:\t0000000000000421' "$st"
	grep -qx $'CapEff:\t0000000000000021' "$st"
	grep -qx $'CapBnd:\t00000000000004a1' "$st"
	grep -qx $'CapAmb:\t0000000000000020' "$st"
	oci start c1
	wait_until 5 stopped c1
	out=$(cat "$BATS_TEST_TMPDIR/c1.out")
	echo "$out"
	# a non-root user's execve keeps the ambient set alone
	grep -qx $'CapInh:\t0000000000000021' <<<"$out"
	grep -qx $'CapPrm:\t0000000000000020' <<<"$out"
	grep -qx $'CapEff:\t0000000000000020' <<<"$out"
	grep -qx $'CapBnd:\t00000000000004a1' <<<"$out"
	grep -qx $'CapAmb:\t0000000000000020' <<<"$out"
}

@test "no capabilities given: none held" {
	mkbundle 'del(.process.capabilities)'
	inside c1 grep -E '^Cap(Prm|Eff|Bnd):' /proc/self/status
	[ "$(grep -c ':	0000000000000000$' <<<"$output")" -eq 3 ]
}

@test "rlimits: RLIMIT_NOFILE lowered" {
	mkbundle '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200}]'
	inside c1 sh -c 'ulimit -n; ulimit -Hn'
	[ "$output" = $'100\n200' ]
	# RLIM_INFINITY as engines write it: 2^64-1
	cfg '.process.rlimits = [{"type": "RLIMIT_CORE", "soft": 18446744073709551615, "hard": 18446744073709551615}]'
	inside c2 sh -c 'ulimit -c; ulimit -Hc'
	[ "$output" = $'unlimited\nunlimited' ]
}

@test "namespaces with a path: a network namespace of ip netns, a uts namespace held by a process" {
	NETNS=cltest-ocib-$$
	ip netns add "$NETNS"
	ino=$(stat -L -c %i "/run/netns/$NETNS")
	unshare --uts sh -c 'hostname ocib-joined; exec sleep 60' &
	HOLDERS+=($!)
	wait_until 5 eval '[ "$(nsenter -u -t "${HOLDERS[0]}" hostname)" = ocib-joined ]'
	mkbundle
	cfg --arg n "/run/netns/$NETNS" --arg u "/proc/${HOLDERS[0]}/ns/uts" \
		'del(.hostname) | .linux.namespaces |= map(if .type == "network" then .path = $n
			elif .type == "uts" then .path = $u else . end)'
	inside c1 sh -c 'readlink /proc/self/ns/net; hostname'
	[ "${lines[0]}" = "net:[$ino]" ]
	[ "${lines[1]}" = ocib-joined ]
	# the hostname of the config is set in the joined namespace (as runc)
	cfg '.hostname = "ocib-set"'
	inside c2 hostname
	[ "$output" = ocib-set ]
	[ "$(nsenter -u -t "${HOLDERS[0]}" hostname)" = ocib-set ]
	# and a hostname without a uts namespace is refused
	mkbundle '.linux.namespaces |= map(select(.type != "uts"))'
	args true
	run ! create c3
	[[ "$output" == *hostname* ]]
}

@test "the namespace list is honoured as given: no network namespace, the host's" {
	mkbundle '.linux.namespaces |= map(select(.type != "network"))'
	inside c1 sh -c 'readlink /proc/self/ns/net; readlink /proc/self/ns/ipc'
	[ "${lines[0]}" = "$(readlink /proc/self/ns/net)" ]
	[ "${lines[1]}" != "$(readlink /proc/self/ns/ipc)" ]
	mkbundle
	inside c2 readlink /proc/self/ns/net
	[ "$output" != "$(readlink /proc/self/ns/net)" ]
}

@test "uid and gid mappings: a user namespace" {
	mkbundle '.linux.namespaces += [{"type": "user"}] |
		.linux.uidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}] |
		.linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]'
	inside c1 sh -c 'cat /proc/self/uid_map /proc/self/gid_map; id -u'
	echo "$output"
	[ "$(echo ${lines[0]})" = "0 200000 65536" ]
	[ "$(echo ${lines[1]})" = "0 200000 65536" ]
	[ "${lines[2]}" = 0 ]
}

@test "devices: nodes made from linux.devices, with mode and owner; the device cgroup rules" {
	mkbundle '.linux.devices = [
		{"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 390, "uid": 1000, "gid": 1001},
		{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229}]'
	inside c1 sh -c 'stat -c "%t %T %a %u %g" /dev/mynull; echo x >/dev/mynull && echo written; stat -c "%t %T" /dev/fuse; (: </dev/fuse) 2>/dev/null && echo opened || echo denied'
	echo "$output"
	[ "${lines[0]}" = "1 3 606 1000 1001" ]
	[ "${lines[1]}" = written ]
	[ "${lines[2]}" = "a e5" ]
	[ "${lines[3]}" = denied ] # the spec's deny-all rule: not allowed
	cfg '.linux.resources.devices += [{"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw"}]'
	args sleep 60
	create c2
	# v1's devices.list when the container has a group there (a v2
	# device program otherwise)
	list=$(cgdir devices)/$OCI_CG/c2/devices.list
	if [ -e "$list" ]; then
		grep -qx "c 10:229 rw" "$list"
		[ "$(grep -c "^a " "$list")" = 0 ]
	fi
	oci delete c2
	inside c3 sh -c '(: </dev/fuse) && echo opened'
	[ "$output" = opened ]
}

@test "resources: memory, cpu, pids and blockIO in the cgroups below ours" {
	dev=$(lsblk -dno MAJ:MIN | head -1 | tr -d ' ')
	[ -n "$dev" ] || skip "no block device"
	mkbundle
	cfg --argjson ma "${dev%:*}" --argjson mi "${dev#*:}" '.linux.resources += {
		"memory": {"limit": 134217728, "reservation": 67108864},
		"cpu": {"shares": 1024, "quota": 50000, "period": 100000},
		"pids": {"limit": 42},
		"blockIO": {"throttleReadBpsDevice": [{"major": $ma, "minor": $mi, "rate": 1048576}],
			"throttleWriteIOPSDevice": [{"major": $ma, "minor": $mi, "rate": 100}]}}'
	args sleep 60
	create c1
	[ "$(cat "$(cgdir memory)/$OCI_CG/c1/memory.limit_in_bytes")" = 134217728 ]
	[ "$(cat "$(cgdir memory)/$OCI_CG/c1/memory.soft_limit_in_bytes")" = 67108864 ]
	[ "$(cat "$(cgdir pids)/$OCI_CG/c1/pids.max")" = 42 ]
	[ "$(cat "$(cgdir cpu)/$OCI_CG/c1/cpu.cfs_quota_us")" = 50000 ]
	[ "$(cat "$(cgdir cpu)/$OCI_CG/c1/cpu.cfs_period_us")" = 100000 ]
	shares=$(cat "$(cgdir cpu)/$OCI_CG/c1/cpu.shares")
	echo "cpu.shares $shares"
	[ "$shares" -ge 990 ] && [ "$shares" -le 1024 ]
	grep -qx "$dev 1048576" "$(cgdir blkio)/$OCI_CG/c1/blkio.throttle.read_bps_device"
	grep -qx "$dev 100" "$(cgdir blkio)/$OCI_CG/c1/blkio.throttle.write_iops_device"
	grep -qx "$(pid_of c1)" "$(cgdir memory)/$OCI_CG/c1/cgroup.procs"
	oci delete c1
	no_trace c1
}

@test "sysctl: network ones in the container's namespace, not the host's" {
	host=$(cat /proc/sys/net/ipv4/ip_forward)
	mkbundle '.linux.sysctl = {"net.ipv4.ip_forward": "1", "net.ipv4.ip_default_ttl": "42"}'
	inside c1 cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/ip_default_ttl
	[ "$output" = $'1\n42' ]
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host" ]
}

@test "process: oomScoreAdj, umask, additionalGids, noNewPrivileges, cwd, env" {
	mkbundle '.process.oomScoreAdj = 500 | .process.user.umask = 63 |
		.process.user.additionalGids = [10, 20] | .process.noNewPrivileges = true |
		.process.cwd = "/etc" | .process.env += ["OCIB=yes"]'
	inside c1 sh -c 'cat /proc/self/oom_score_adj; umask; id -G; grep NoNewPrivs /proc/self/status; pwd; echo $OCIB'
	echo "$output"
	[ "${lines[0]}" = 500 ]
	[ "${lines[1]}" = 0077 ]
	[ "${lines[2]}" = "0 10 20" ]
	[ "${lines[3]}" = $'NoNewPrivs:\t1' ]
	[ "${lines[4]}" = /etc ]
	[ "${lines[5]}" = yes ]
	cfg '.process.noNewPrivileges = false'
	inside c2 grep NoNewPrivs /proc/self/status
	[ "$output" = $'NoNewPrivs:\t0' ]
}

@test "seccomp in OCI JSON: mkdir denied with errnoRet EPERM, the rest allowed" {
	mkbundle '.mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"}] |
		.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	inside c1 sh -c 'mkdir /tmp/d 2>&1; touch /tmp/f && echo touched; grep Seccomp: /proc/self/status'
	echo "$output"
	[[ "${lines[0]}" == *"Operation not permitted"* ]]
	[ "${lines[1]}" = touched ]
	[ "${lines[2]}" = $'Seccomp:\t2' ]
}

@test "hooks: prestart, createRuntime, poststart and poststop get the state on stdin" {
	mkbundle
	h=$BATS_TEST_TMPDIR/hooks
	mkdir "$h"
	cfg --arg h "$h" '.hooks = {} | reduce ("prestart", "createRuntime", "poststart", "poststop") as $k (.;
		.hooks[$k] = [{"path": "/bin/sh", "args": ["sh", "-c", "cat > \($h)/\($k).json"]}])'
	args sleep 60
	create c1
	pid=$(pid_of c1)
	for k in prestart createRuntime; do
		jq -e --argjson p "$pid" --arg b "$B" '.status == "creating" and .id == "c1" and .pid == $p and .bundle == $b' "$h/$k.json"
	done
	[ ! -e "$h/poststart.json" ]
	oci start c1
	jq -e --argjson p "$pid" '.status == "running" and .pid == $p' "$h/poststart.json"
	[ ! -e "$h/poststop.json" ]
	oci delete --force c1
	jq -e '.status == "stopped" and .id == "c1"' "$h/poststop.json"
}

@test "hooks: createContainer runs in the container's namespaces before pivot_root (host paths), startContainer in the container before the command" {
	mkbundle
	h=$BATS_TEST_TMPDIR/hooks
	mkdir "$h"
	# createContainer: a host path, the container's uts and pid namespaces
	# (the hostname is set after it, as runc does)
	cfg --arg h "$h" '.hostname = "hooked" |
		.hooks.createContainer = [{"path": "/bin/sh", "args": ["sh", "-c", "cat > \($h)/cc.json; readlink /proc/self/ns/uts > \($h)/cc.host; readlink /proc/self/ns/pid > \($h)/cc.pidns"], "timeout": 10}] |
		.hooks.startContainer = [{"path": "/bin/sh", "args": ["sh", "-c", "cat > /tmp/sc.json; hostname > /tmp/sc.host"]}]'
	args sh -c 'cat /tmp/sc.host; cat /tmp/sc.json'
	create c1
	pid=$(pid_of c1)
	jq -e --argjson p "$pid" --arg b "$B" '.status == "creating" and .id == "c1" and .pid == $p and .bundle == $b' "$h/cc.json"
	[ "$(cat "$h/cc.host")" = "$(readlink "/proc/$pid/ns/uts")" ]
	[ "$(cat "$h/cc.pidns")" = "$(readlink "/proc/$pid/ns/pid")" ]
	oci start c1
	wait_until 10 stopped c1
	out=$(cat "$BATS_TEST_TMPDIR/c1.out")
	echo "$out"
	[ "$(head -1 <<<"$out")" = hooked ]
	tail -n +2 <<<"$out" | jq -e --argjson p "$pid" '.status == "created" and .id == "c1" and .pid == $p'
}

@test "hooks: a createContainer hook past its timeout fails create, nothing left" {
	mkbundle '.hooks.createContainer = [{"path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1}]'
	args true
	run ! create c1
	[[ "$output" == *"hooks.createContainer[0]"*"timed out"* ]]
	no_trace c1
}

@test "hooks: a failing prestart hook fails create, nothing left" {
	mkbundle '.hooks.prestart = [{"path": "/bin/false"}]'
	args sleep 60
	run ! create c1
	[[ "$output" == *prestart* ]]
	no_trace c1
}

@test "annotations come back in state" {
	mkbundle '.annotations = {"org.example.key": "value", "other": ""}'
	args true
	create c1
	oci state c1 | jq -e '.annotations == {"org.example.key": "value", "other": ""}'
}

# --- bad bundles: refused, the field named, nothing left ------------------------

# refused ID FIELD: create fails naming FIELD, and leaves nothing
refused() {
	args true
	run create "$1"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"$2"* ]] || { echo "the error does not name $2"; return 1; }
	no_trace "$1"
	[ -z "$(oci list -q)" ]
}

@test "bad bundle: no config.json, invalid JSON, ociVersion 2.0" {
	run oci create --bundle "$B" b1
	[ "$status" -ne 0 ]
	[[ "$output" == *config.json* ]]
	no_trace b1
	echo '{"ociVersion": "1.1.0", "process": ' >"$B/config.json"
	run oci create --bundle "$B" b1
	[ "$status" -ne 0 ]
	[[ "$output" == *"invalid JSON"* ]]
	no_trace b1
	mkbundle '.ociVersion = "2.0.0"'
	refused b1 ociVersion
}

@test "bad bundle: unknown namespace, mount leaving the rootfs, relative maskedPath" {
	mkbundle '.linux.namespaces += [{"type": "bogus"}]'
	refused b1 "linux.namespaces[6].type"
	mkbundle '.mounts += [{"destination": "/tmp/../../etc", "type": "tmpfs", "source": "tmpfs"}]'
	refused b2 "mounts[7].destination"
	mkbundle '.linux.maskedPaths += ["proc/kcore"]'
	refused b3 "linux.maskedPaths[11]"
}

@test "bad bundle: unknown capability, unknown rlimit, intelRdt, systemd cgroupsPath" {
	mkbundle '.process.capabilities.bounding += ["CAP_BOGUS"]'
	refused b1 process.capabilities.bounding
	mkbundle '.process.rlimits += [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]'
	refused b2 "process.rlimits[1]"
	mkbundle '.linux.intelRdt = {"closID": "x"}'
	refused b3 linux.intelRdt
	mkbundle
	args true
	cfg '.linux.cgroupsPath = "system.slice:ocib:b4"'
	run oci create --bundle "$B" b4
	[ "$status" -ne 0 ]
	[[ "$output" == *linux.cgroupsPath* ]]
	no_trace b4
}

@test "bad bundle: empty process.args, no root.path, a rootfs that does not exist" {
	mkbundle
	cfg --arg cg "$OCI_CG/b1" '.linux.cgroupsPath = $cg | .process.args = []'
	run oci create --bundle "$B" b1
	[ "$status" -ne 0 ]
	[[ "$output" == *process.args* ]]
	no_trace b1
	mkbundle 'del(.root.path)'
	refused b2 root.path
	mkbundle '.root.path = "/nonexistent/rootfs"'
	refused b3 /nonexistent/rootfs
}

@test "bad bundle: a host-wide sysctl, failing createContainer and startContainer hooks" {
	mkbundle '.linux.sysctl = {"kernel.panic": "1"}'
	refused b1 linux.sysctl.kernel.panic
	mkbundle '.hooks.createContainer = [{"path": "/bin/false"}]'
	refused b2 hooks.createContainer
	# startContainer fails at start: the container ends, start says why
	mkbundle '.hooks.startContainer = [{"path": "/bin/sh", "args": ["sh", "-c", "exit 4"]}]'
	args true
	create b3
	run oci start b3
	[ "$status" -ne 0 ]
	[[ "$output" == *"hooks.startContainer[0]"*"exit status 4"* ]]
	wait_until 10 stopped b3
	oci delete b3
	mkbundle '.process.user.umask = -1'
	refused b4 process.user.umask
}

@test "bad bundle found late: a mount that fails in the child leaves nothing" {
	mkbundle '.mounts += [{"destination": "/mnt/x", "type": "nosuchfs", "source": "none"}]'
	refused b1 /mnt/x
	[ ! -e "$OCI_TMP/rootfs/mnt/x" ]
	mkbundle '.process.cwd = "/nonexistent"'
	refused b2 /nonexistent
}

# --- the config.json parser's fuzz target ---------------------------------------

@test "fuzz_oci survives its seed corpus and 20000 mutations" {
	command -v clang >/dev/null || skip "no clang"
	make -C "$TOP" -s build/fuzz/fuzz_oci >"$BATS_TEST_TMPDIR/fuzz-build.log" 2>&1 ||
		{ cat "$BATS_TEST_TMPDIR/fuzz-build.log"; return 1; }
	# new units go to the first directory: a scratch one, not the seeds
	mkdir "$BATS_TEST_TMPDIR/corpus"
	run "$TOP/build/fuzz/fuzz_oci" -runs=20000 -seed=1 -timeout=10 -close_fd_mask=2 \
		-dict="$TOP/tests/fuzz/oci.dict" -artifact_prefix="$BATS_TEST_TMPDIR/" \
		"$BATS_TEST_TMPDIR/corpus" "$TOP/tests/fuzz/corpus-oci"
	[ "$status" -eq 0 ]
}

@test "review: tmpcopyup fills a tmpfs with what the directory held; links are copied, not followed" {
	mkbundle '.mounts += [{"destination": "/etc", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "tmpcopyup"]}]'
	inside c1 sh -c 'grep -c "^root:" /etc/passwd; echo x >>/etc/passwd && echo writable; grep -c " /etc .* - tmpfs " /proc/self/mountinfo; stat -c %a /etc'
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = writable ]
	[ "${lines[2]}" = 1 ]
	[ "${lines[3]}" = "$(stat -c %a "$OCI_TMP/rootfs/etc")" ]
	# the image's file is untouched
	[ "$(grep -c '^x$' "$OCI_TMP/rootfs/etc/passwd")" = 0 ]
}

@test "review: a created container's process is not dumpable while it waits (its fds are not others' to take)" {
	mkbundle '.process.user = {"uid": 1000, "gid": 1000}'
	args sleep 30
	create c1
	local pid
	pid=$(pid_of c1)
	# a dumpable process's /proc files are its user's; a non-dumpable one's root's
	[ "$(stat -c %u "/proc/$pid/fd")" = 0 ]
	[ "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" = 1000 ]
	oci delete --force c1
}

@test "review: linux.devices only in a tmpfs /dev of the container's: never a node in the image" {
	mkbundle '.mounts |= map(select(.destination != "/dev" and (.destination | startswith("/dev/") | not))) |
		.linux.devices = [{"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 438}]'
	args true
	run oci create --bundle "$B" c1
	[ "$status" -eq 1 ]
	[[ $output == *"linux.devices /dev/mynull"*"not on a tmpfs"* ]]
	[ ! -e "$OCI_TMP/rootfs/dev/mynull" ]
	run oci state c1
	[ "$status" -ne 0 ]
}

@test "review: run in the foreground passes SIGTERM on to the container's process" {
	mkbundle
	args sh -c 'trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.1; done'
	cfg --arg cg "$OCI_CG/r1" '.linux.cgroupsPath = $cg'
	"$CLOISON" --root "$R" run --bundle "$B" r1 >"$BATS_TEST_TMPDIR/r1.out" 2>&1 3>&- &
	local runner=$!
	wait_until 10 grep -q ready "$BATS_TEST_TMPDIR/r1.out"
	kill -TERM "$runner"
	local s=0
	wait "$runner" || s=$?
	cat "$BATS_TEST_TMPDIR/r1.out"
	[ "$s" -eq 7 ]
	grep -q "got TERM" "$BATS_TEST_TMPDIR/r1.out"
	run oci state r1
	[ "$status" -ne 0 ]
}

@test "review: delete of a stopped container ends what its process left in its cgroup" {
	mkbundle '.linux.namespaces |= map(select(.type != "pid"))'
	args sh -c 'sleep 300 & echo $! >/tmp/left; exit 0'
	create c1
	oci start c1
	wait_until 10 stopped c1
	local left
	left=$(cat "$OCI_TMP/rootfs/tmp/left")
	rm -f "$OCI_TMP/rootfs/tmp/left"
	oci delete c1
	# no pid namespace: the pid is the host's
	wait_until 5 sh -c "! kill -0 $left 2>/dev/null"
	run oci state c1
	[ "$status" -ne 0 ]
}

@test "review: run with process.terminal and no --console-socket relays its own terminal" {
	command -v script >/dev/null || skip "no script(1)"
	mkbundle '.process.terminal = true'
	args sh -c 'tty; exit 3'
	cfg --arg cg "$OCI_CG/t1" '.linux.cgroupsPath = $cg'
	run timeout 20 script -qec "$CLOISON --root $R run --bundle $B t1" /dev/null </dev/null
	echo "$output"
	[ "$status" -eq 3 ]
	[[ $output == */dev/pts/0* ]]
}

@test "run.oci.handler=vm: create forks the VMM's process, start boots the guest, its status is the command's (PVM: cloison's test guest kernel)" {
	local kernel=$BATS_TEST_DIRNAME/../build/testguest.bzImage
	[ -e /dev/kvm ] && [ -f "$kernel" ] || skip "no /dev/kvm or build/testguest.bzImage"
	mkbundle
	args /bin/true
	cfg --arg k "$kernel" '.annotations = {"run.oci.handler": "vm", "cloison.vm.kernel": $k}'
	create v1 --pid-file "$BATS_TEST_TMPDIR/v1.pid"
	[ "$(status_of v1)" = created ]
	[ "$(pid_of v1)" = "$(cat "$BATS_TEST_TMPDIR/v1.pid")" ]
	oci start v1
	wait_until 30 stopped v1
	grep -q "testguest: all checks passed" "$BATS_TEST_TMPDIR/v1.out"
	oci delete v1
	run oci state v1
	[ "$status" -ne 0 ]
	# Debian's stock kernel cannot boot on a PVM host: refused at create,
	# with the reason, and nothing left
	cfg '.annotations = {"run.oci.handler": "vm"}'
	if "$CLOISON" check 2>/dev/null | grep -q "KVM: PVM"; then
		run create v2
		[ "$status" -ne 0 ]
		[[ "$output" == *"run.oci.handler=vm"*"PVM"* ]]
		no_trace v2
	fi
}
