#!/usr/bin/env bats
# Cgroups on this host's hybrid layout (v1 controllers, and a unified tree
# where the jail's own group goes): limits, containment, accounting, device
# control, the deadline, the OOM report, cleanup.  (cgroup v2 alone runs in
# the nested guest: tests/vm/inner/11-cgroup-v2.sh.)
#
# Every context here is named (--name cgt-$$-...), so that the checks look at
# this suite's groups only: other runs may share the "cloison" parents.
# teardown removes whatever a failed test left under those names.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	TMP=$(mktemp -d /tmp/cloison-cgtest.XXXXXX)
	PFX="cgt-$$-$BATS_TEST_NUMBER"
	[ "$(stat -f -c %T /sys/fs/cgroup)" = tmpfs ] && [ -d /sys/fs/cgroup/pids ] ||
		skip "not a cgroup v1 host (the v2 suite runs in the nested guest)"
}

# own_dirs: cloison's own cgroup directory in each v1 hierarchy and in the
# unified tree (this hybrid host's /sys/fs/cgroup/unified), one a line.
own_dirs() {
	local ctrls path mnt
	while IFS=: read -r _ ctrls path; do
		case $ctrls in
		name=*) continue ;;
		"") mnt=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo) ;;
		*) mnt=$(awk -v c="$ctrls" '$9 == "cgroup" && $5 ~ "/" c "$" { print $5; exit }' /proc/self/mountinfo) ;;
		esac
		[ -n "$mnt" ] || continue
		[ "$path" = / ] && path=
		echo "$mnt$path"
	done </proc/self/cgroup
}

# cgdir CONTROLLER|unified NAME: where the context NAME's group is in that
# hierarchy.
cgdir() {
	local d
	d=$(own_dirs | grep -E "/$1(/|\$)" | head -1)
	echo "$d/${3:-cloison}/$2"
}

# groups_named NAME: every directory called NAME below our own cgroups.
groups_named() {
	local d
	for d in $(own_dirs); do find "$d" -maxdepth 4 -type d -name "$1" 2>/dev/null; done
}

# wait_gone NAME: up to 5 s for every group called NAME to disappear.
wait_gone() {
	for _ in $(seq 50); do
		[ -z "$(groups_named "$1")" ] && return 0
		sleep 0.1
	done
	echo "left behind:"
	groups_named "$1"
	return 1
}

# wait_group DIR: up to 5 s for a context's group to hold its process.
wait_group() {
	for _ in $(seq 50); do
		[ -n "$(cat "$1/cgroup.procs" 2>/dev/null)" ] && return 0
		sleep 0.1
	done
	echo "$1 never held a process"
	return 1
}

teardown() {
	local g
	for g in $(for d in $(own_dirs); do find "$d" -depth -type d -name "$PFX*" 2>/dev/null; done); do
		for p in $(cat "$g/cgroup.procs" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		rmdir "$g" 2>/dev/null || true
	done
	for g in $(own_dirs); do rmdir "$g/$PFX-parent/jobs" "$g/$PFX-parent" "$g/$PFX-pre" 2>/dev/null || true; done
	[ -n "${LOOPDEV:-}" ] && losetup -d "$LOOPDEV" 2>/dev/null
	rm -rf "$TMP"
	true
}

# HOLD: a jail command (with $TMP bound at /out) that says it is up
# (/out/up) and lives, with no other process, until the test calls release
# (30 s at most: then it fails).  Checks on a running context wait for its
# marker instead of hoping a fixed sleep lasts long enough.
# shellcheck disable=SC2016
HOLD='exec 9<>/out/hold; : >/out/up; read -t 30 x <&9'
hold_prepare() { mkfifo "$TMP/hold"; }
# release PID: the holding jail ends; its cloison (PID) must exit 0
release() {
	echo go 1<>"$TMP/hold"
	wait "$1"
}

@test "with no limit, a jail gets one group, in the unified tree (born there: no v1 migration)" {
	local n=$PFX-one
	hold_prepare
	"$CLOISON" run --rootfs "$ROOTFS" --bind "$TMP:/out" --name $n -- sh -c "$HOLD" &
	local pid=$!
	wait_file "$TMP/up"
	groups_named $n
	[ "$(groups_named $n)" = "$(cgdir unified $n)" ]
	release $pid
	wait_gone $n
}

@test "limits land in the context's own v1 groups; the jail sees them as its cgroup root" {
	command -v losetup
	head -c 1M /dev/zero >"$TMP/disk"
	LOOPDEV=$(losetup -f --show "$TMP/disk")
	local n=$PFX-lim
	hold_prepare
	"$CLOISON" run --rootfs "$ROOTFS" --bind "$TMP:/out" --name $n --memory 64M --memory-swap 96M --memory-high 48M \
		--cpus 0.5 --cpu-weight 200 --cpuset 0 --pids 20 --io-max "$LOOPDEV:rbps=1M,wiops=100" \
		-- sh -c "cat /proc/self/cgroup; $HOLD" >"$TMP/out" &
	local pid=$!
	wait_file "$TMP/up"
	[ "$(cat "$(cgdir memory $n)/memory.limit_in_bytes")" = 67108864 ]
	[ "$(cat "$(cgdir memory $n)/memory.memsw.limit_in_bytes")" = 100663296 ]
	[ "$(cat "$(cgdir memory $n)/memory.soft_limit_in_bytes")" = 50331648 ]
	[ "$(cat "$(cgdir cpu $n)/cpu.cfs_quota_us")" = 50000 ]
	[ "$(cat "$(cgdir cpu $n)/cpu.cfs_period_us")" = 100000 ]
	[ "$(cat "$(cgdir cpu $n)/cpu.shares")" = 2 ] || [ "$(cat "$(cgdir cpu $n)/cpu.shares")" -gt 1024 ]
	[ "$(cat "$(cgdir cpuset $n)/cpuset.cpus")" = 0 ]
	[ "$(cat "$(cgdir pids $n)/pids.max")" = 20 ]
	local mm majmin
	majmin=$(stat -c '%t %T' "$LOOPDEV")
	mm=$((16#${majmin% *})):$((16#${majmin#* }))
	grep -qx "$mm 1048576" "$(cgdir blkio $n)/blkio.throttle.read_bps_device"
	grep -qx "$mm 100" "$(cgdir blkio $n)/blkio.throttle.write_iops_device"
	# the whole process joined, not one thread
	[ "$(cat "$(cgdir memory $n)/cgroup.procs")" = "$(cat "$(cgdir pids $n)/cgroup.procs")" ]
	release $pid
	# a cgroup namespace rooted at the context's groups: every path is /
	! grep -v ':/$' "$TMP/out" || false
	grep -q '^[0-9]*:pids:/$' "$TMP/out"
	wait_gone $n
}

@test "a fork bomb under --pids 32 is contained and the host stays responsive" {
	local n=$PFX-bomb
	"$CLOISON" run --rootfs "$ROOTFS" --name $n --pids 32 --timeout 4 --stats-json "$TMP/s.json" \
		-- sh -c 'bomb() { bomb | bomb & }; bomb; sleep 30' >/dev/null 2>&1 &
	local pid=$! cur peak=0
	wait_group "$(cgdir pids $n)"
	for _ in $(seq 10); do
		cur=$(cat "$(cgdir pids $n)/pids.current" 2>/dev/null || echo 0)
		[ "$cur" -gt "$peak" ] && peak=$cur
		sleep 0.1
	done
	# the host still forks and runs commands
	run timeout 5 sh -c 'for i in $(seq 20); do /bin/true; done; echo host-ok'
	[ "$output" = host-ok ]
	echo "peak seen from the host: $peak"
	[ "$peak" -le 32 ]
	local st=0
	wait $pid || st=$?
	[ "$st" -eq 124 ]
	python3 - "$TMP/s.json" <<-'EOF'
		import json, sys
		s = json.load(open(sys.argv[1]))
		print(s)
		assert s["peak_pids"] <= 32, s
		assert s["pids_limit_hits"] > 0, s    # forks were refused
		assert s["timed_out"] is True
	EOF
	wait_gone $n
}

@test "a memory hog under --memory 32M is OOM-killed: exit 137 and the message" {
	jail --name $PFX-oom --memory 32M -- sh -c 'x=$(head -c 200000000 /dev/zero | tr "\0" a); echo survived'
	echo "$output"
	[ "$status" -eq 137 ]
	[[ "$output" == *"cloison: killed by the OOM killer (memory limit 32M)"* ]]
	[[ "$output" != *survived* ]]
	wait_gone $PFX-oom
	# the same under --init, whose pid 1 reports its command's SIGKILL as 137
	jail --init --name $PFX-oomi --memory 32M -- sh -c 'x=$(head -c 200000000 /dev/zero | tr "\0" a); echo survived'
	[ "$status" -eq 137 ]
	[[ "$output" == *"cloison: killed by the OOM killer (memory limit 32M)"* ]]
	[[ "$output" != *"warning: the OOM killer killed"* ]]
	wait_gone $PFX-oomi
}

@test "--io-weight is refused where no disk weighs it (no BFQ scheduler in use), as documented" {
	if grep -qs '\[bfq\]' /sys/block/*/queue/scheduler; then
		jail --io-weight 300 -- true
		[ "$status" -eq 0 ]
	else
		jail --io-weight 300 -- true
		[ "$status" -eq 125 ]
		[[ "$output" == *"--io-weight: no proportional I/O control on this host"*"BFQ"* ]]
	fi
}

@test "--cpus 0.5 holds a busy loop to about half a CPU, by the cgroup's own accounting" {
	jail --name $PFX-cpu --cpus 0.5 --timeout 2 --stats-json "$TMP/s.json" -- sh -c 'while :; do :; done'
	[ "$status" -eq 124 ]
	# CPU time over the enforcement periods it ran in: no wall clock involved
	python3 - "$TMP/s.json" <<-'EOF'
		import json, sys
		s = json.load(open(sys.argv[1]))
		used = s["user_seconds"] + s["system_seconds"]
		share = used / (s["cpu_periods"] * 0.1)
		print(s, "share of a CPU per period: %.2f" % share)
		assert s["cpu_periods"] >= 5, s
		assert 0.25 <= share <= 0.6, share
		assert s["cpu_throttled_periods"] >= s["cpu_periods"] / 2, s
	EOF
}

@test "--timeout 1 on sleep 100 exits 124 within a few seconds, the whole context killed" {
	SECONDS=0
	local mark=4242$$ # a duration no other run uses: pgrep finds this one's only
	run timeout -s KILL 20 "$CLOISON" run --rootfs "$ROOTFS" --name $PFX-to --timeout 1 \
		-- sh -c "sleep $mark & sleep $mark"
	echo "$output (after ${SECONDS}s)"
	[ "$status" -eq 124 ]
	[[ "$output" == *"--timeout 1s reached"* ]]
	[ "$SECONDS" -lt 10 ]
	no_proc "sleep $mark"
	wait_gone $PFX-to
}

@test "cleanup: nothing left after a normal run, a failing command, or a start-up error" {
	jail --name $PFX-ok --pids 10 --memory 64M -- true
	[ "$status" -eq 0 ]
	wait_gone $PFX-ok
	jail --name $PFX-fail --pids 10 -- sh -c 'exit 3'
	[ "$status" -eq 3 ]
	wait_gone $PFX-fail
	# the kernel refuses the CPU list after the groups exist: they go, and so
	# does the guardian
	jail --name $PFX-err --pids 10 --cpuset 63 -- true
	echo "$output"
	[ "$status" -eq 125 ]
	[[ "$output" == *"--cpuset 63: not among the CPUs"* ]]
	[ -z "$(groups_named $PFX-err)" ]
	no_proc "--name $PFX-err" # the guardian has cloison's command line
	run -127 "$CLOISON" run --rootfs "$ROOTFS" --name $PFX-nf -- /no/such/command
	[ "$status" -eq 127 ]
	wait_gone $PFX-nf
}

@test "cleanup leaves no cgroup behind after kill -9 of cloison, or of its process group" {
	local n=$PFX-k9 mark=4243$$
	"$CLOISON" run --rootfs "$ROOTFS" --name $n --pids 64 --memory 64M -- sh -c "sleep $mark & sleep $mark" &
	local pid=$!
	wait_group "$(cgdir unified $n)"
	[ -n "$(groups_named $n)" ]
	kill -KILL $pid
	wait $pid || true
	wait_gone $n
	no_proc "sleep $mark"
	# timeout(1) sends its SIGKILL to the whole process group: the guardian
	# (in a session of its own) still cleans up
	run timeout -s KILL 1 "$CLOISON" run --rootfs "$ROOTFS" --name $n-pg --pids 64 -- sleep 4244$$
	[ "$status" -eq 137 ]
	wait_gone $n-pg
	no_proc "sleep 4244$$"
}

@test "an existing group of the same name is an error, never reused" {
	local n=$PFX-dup
	hold_prepare
	"$CLOISON" run --rootfs "$ROOTFS" --bind "$TMP:/out" --name $n --pids 10 -- sh -c "$HOLD" &
	local pid=$!
	wait_file "$TMP/up"
	local first
	first=$(cat "$(cgdir pids $n)/cgroup.procs")
	jail --name $n --pids 99 -- true
	echo "$output"
	[ "$status" -eq 125 ]
	[[ "$output" == *"already exists"* ]]
	# the first context's group is untouched
	[ "$(cat "$(cgdir pids $n)/pids.max")" = 10 ]
	[ "$(cat "$(cgdir pids $n)/cgroup.procs")" = "$first" ]
	release $pid
	wait_gone $n
}

@test "--cgroup-parent: made below cloison's cgroup and removed; an existing parent is kept" {
	jail --name $PFX-cp --cgroup-parent $PFX-parent/jobs --pids 10 -- cat /proc/self/cgroup
	[ "$status" -eq 0 ]
	wait_gone $PFX-cp
	[ -z "$(groups_named $PFX-parent)" ]
	local pre
	pre="$(own_dirs | grep /pids)/$PFX-pre"
	mkdir "$pre"
	hold_prepare
	"$CLOISON" run --rootfs "$ROOTFS" --bind "$TMP:/out" --name $PFX-cp2 --cgroup-parent $PFX-pre --pids 10 -- sh -c "$HOLD" &
	local pid=$!
	wait_file "$TMP/up"
	[ "$(cat "$pre/$PFX-cp2/pids.max")" = 10 ]
	release $pid
	[ -d "$pre" ] # not cloison's: kept
	[ ! -e "$pre/$PFX-cp2" ]
	rmdir "$pre"
	wait_gone $PFX-cp2
}

@test "limits never touch a cgroup the run did not create" {
	local f snap
	snap() {
		for d in $(own_dirs); do
			for f in memory.limit_in_bytes memory.memsw.limit_in_bytes memory.soft_limit_in_bytes \
				cpu.cfs_quota_us cpu.shares cpuset.cpus cpuset.mems devices.list pids.max freezer.state; do
				if [ -f "$d/$f" ]; then echo "$d/$f: $(tr '\n' ' ' <"$d/$f")"; fi
			done
		done
	}
	snap >"$TMP/before"
	jail --name $PFX-own --memory 64M --memory-high 32M --cpus 0.3 --cpu-weight 9 --cpuset 1 --pids 7 \
		--timeout 5 -- true
	[ "$status" -eq 0 ]
	snap >"$TMP/after"
	diff "$TMP/before" "$TMP/after"
	wait_gone $PFX-own
}

@test "bad values are refused with clear errors and leave nothing behind" {
	jail --name $PFX-bad --memory 12XB -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--memory: invalid size '12XB'"* ]]
	jail --name $PFX-bad --cpus -1 -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--cpus: invalid value '-1': expected a number of CPUs"* ]]
	for bad in "--cpus 0" "--cpus 1.2345" "--pids 0" "--cpu-weight 0" "--cpuset 1-0" "--timeout 0" \
		"--io-max nodev" "--io-max 8:0:xbps=1" "--memory-swap 1M" "--name ../x" "--cgroup-parent a/../b" \
		"--device-cgroup-rule x"; do
		# shellcheck disable=SC2086
		run "$CLOISON" run --rootfs "$ROOTFS" $bad -- true
		echo "$bad: $output"
		[ "$status" -eq 125 ]
		[[ "$output" == "cloison: --${bad%% *}"* ]] || [[ "$output" == "cloison: ${bad%% *}"* ]]
	done
	jail --memory 1M -- true
	[[ "$output" == *"too small"* ]]
	jail --vm --pids 5 -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--pids is not supported with --vm"* ]]
	[ -z "$(groups_named $PFX-bad)" ]
}

# device_escape NAME: a jail makes a node for a host loop device on a tmpfs
# without nodev (mounted from outside, in its mount namespace): it can be
# neither made nor read, nor can a node the host made there; the default
# /dev nodes and a node for an allowed device still work.
device_escape() {
	command -v losetup && command -v nsenter
	head -c 1M /dev/zero >"$TMP/disk"
	printf 'CLOISON-SECRET-%s' "$$" | dd of="$TMP/disk" conv=notrunc status=none
	LOOPDEV=$(losetup -f --show "$TMP/disk")
	local majmin maj min n=$1
	majmin=$(stat -c '%t %T' "$LOOPDEV")
	maj=$((16#${majmin% *})) min=$((16#${majmin#* }))
	# the command says it runs (in its new root, where nsenter must land),
	# then waits for the mount, 10 s at most
	"$CLOISON" run --rootfs "$ROOTFS" --name $n -- sh -c "
		echo jail-up
		i=0; while [ ! -e /mnt/ready ] && [ \$i -lt 200 ]; do sleep 0.05; i=\$((i + 1)); done
		grep ' /mnt ' /proc/self/mounts
		mknod /mnt/blk b $maj $min && echo mknod-made
		head -c 32 /mnt/blk
		head -c 32 /mnt/host-blk
		echo x >/dev/null && head -c 8 /dev/zero | wc -c | grep -qx 8 &&
			head -c 8 /dev/urandom | wc -c | grep -qx 8 && echo dev-usable
		mknod /mnt/null c 1 3 && echo ok >/mnt/null && echo null-usable" >"$TMP/out" 2>&1 &
	local pid=$! jpid mnt
	wait_until 10 grep -q jail-up "$TMP/out" || { cat "$TMP/out"; false; }
	jpid=$(jail_pid $pid)
	# from outside the context's cgroups: a tmpfs without nodev in the jail's
	# mount namespace, holding a node the host made for the loop device
	nsenter -t "$jpid" -m sh -c "mount -t tmpfs -o mode=755 cltest /mnt && mknod /mnt/host-blk b $maj $min && touch /mnt/ready"
	wait $pid || true
	cat "$TMP/out"
	mnt=$(grep ' /mnt ' "$TMP/out")
	[ -n "$mnt" ] && [[ "$mnt" != *nodev* ]]
	! grep CLOISON-SECRET "$TMP/out" || false
	! grep mknod-made "$TMP/out" || false
	grep -q "/mnt/host-blk.*Operation not permitted" "$TMP/out"
	grep -q dev-usable "$TMP/out"  # /dev/null, zero, urandom
	grep -q null-usable "$TMP/out" # the mount itself allows device nodes
	wait_gone $n
}

@test "devices: a node for a host loop device made inside cannot be read, even on a mount without nodev" {
	device_escape $PFX-dev
}

@test "CLOISON_CGROUP_DEVICES=v1: the v1 devices controller holds the same line (v1-only hosts' path)" {
	export CLOISON_CGROUP_DEVICES=v1
	local n=$PFX-v1d
	hold_prepare
	"$CLOISON" run --rootfs "$ROOTFS" --bind "$TMP:/out" --name $n -- sh -c "$HOLD" &
	local pid=$!
	wait_file "$TMP/up"
	cat "$(cgdir devices $n)/devices.list"
	grep -qx 'c 1:3 rwm' "$(cgdir devices $n)/devices.list"
	! grep '^a ' "$(cgdir devices $n)/devices.list" || false
	# the same process in the unified, devices and freezer groups
	[ "$(cat "$(cgdir freezer $n)/cgroup.procs")" = "$(cat "$(cgdir devices $n)/cgroup.procs")" ]
	[ "$(cat "$(cgdir unified $n)/cgroup.procs")" = "$(cat "$(cgdir devices $n)/cgroup.procs")" ]
	release $pid
	wait_gone $n
	device_escape $PFX-v1e
	# cloison check says where they are then
	run "$CLOISON" check
	echo "$output"
	grep -qE "^  devices +ok +v1 /" <<<"$output"
	grep -qE "^  freezer +ok +v1 /" <<<"$output"
	! grep -qE "^  devices +ok +v2" <<<"$output"
}

@test "CLOISON_CGROUP_DEVICES=v1: the freezer kills what the command left behind, and the guardian cleans up after kill -9" {
	export CLOISON_CGROUP_DEVICES=v1
	local n=$PFX-v1k
	# a background process outlives the command: killed at the end
	jail --name $n -- sh -c "(trap '' TERM HUP; exec sleep 4246$$) >/dev/null 2>&1 & echo started"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = started ]
	no_proc "sleep 4246$$"
	wait_gone $n
	# a fork loop at the deadline: the frozen group cannot fork away
	jail --name $n-to --timeout 1 --pids 500 -- sh -c "while :; do sleep 4247$$ & sleep 0.01; done"
	[ "$status" -eq 124 ]
	no_proc "sleep 4247$$"
	wait_gone $n-to
	# cloison killed: the guardian freezes, kills and removes
	"$CLOISON" run --rootfs "$ROOTFS" --name $n-k9 --pids 64 -- sh -c "sleep 4248$$ & sleep 4248$$" &
	local pid=$!
	wait_group "$(cgdir freezer $n-k9)"
	kill -KILL $pid
	wait $pid || true
	wait_gone $n-k9
	no_proc "sleep 4248$$"
}

@test "the cgroup v1 release_agent escape fails from inside the jail" {
	local before
	before=$(cat /sys/fs/cgroup/freezer/release_agent)
	# shellcheck disable=SC2016
	local escape='
		ls /sys/fs/cgroup | wc -l
		echo /tmp/pwn >/sys/fs/cgroup/release_agent 2>/dev/null && echo ESCAPED-sysfs
		mkdir -p /tmp/cg
		if mount -t cgroup -o freezer cgroup /tmp/cg 2>/dev/null; then
			echo mounted
			mkdir -p /tmp/cg/x && echo 1 >/tmp/cg/x/notify_on_release
			echo /tmp/pwn >/tmp/cg/release_agent 2>/dev/null && echo ESCAPED-release-agent
		else
			echo mount-refused
		fi'
	jail -- sh -c "$escape"
	echo "$output"
	[ "${lines[0]}" -eq 0 ] # no cgroupfs in the jail
	[[ "$output" == *mount-refused* ]]
	[[ "$output" != *ESCAPED* ]]
	# even with CAP_SYS_ADMIN: the cgroup namespace hides the hierarchy's root
	jail --cap-add SYS_ADMIN -- sh -c "$escape"
	echo "$output"
	[[ "$output" != *ESCAPED* ]]
	[ "$(cat /sys/fs/cgroup/freezer/release_agent)" = "$before" ]
}

@test "--stats prints the table on exit, --stats-json writes the same as JSON" {
	jail --name $PFX-st --stats --stats-json "$TMP/s.json" --pids 50 -- \
		sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; sleep 0.3 & sleep 0.3 & wait'
	echo "$output"
	[ "$status" -eq 0 ]
	for row in "wall time" "cpu user" "cpu system" "peak memory" "peak pids" "oom kills" read written; do
		grep -qE "^  $row +[0-9]" <<<"$output" || { echo "no row $row"; false; }
	done
	python3 - "$TMP/s.json" <<-'EOF'
		import json, sys
		s = json.load(open(sys.argv[1]))
		print(s)
		assert s["wall_seconds"] > 0.3 and s["user_seconds"] > 0, s
		assert s["peak_memory_bytes"] > 0 and s["peak_pids"] >= 3, s
		assert s["oom_kills"] == 0 and s["read_bytes"] >= 0 and s["written_bytes"] >= 0, s
		assert s["exit_status"] == 0 and s["cgroup_version"] == 1, s
	EOF
}

@test "limits from a profile apply (memory 32M, pids 16)" {
	printf 'memory 32M\npids 16\n' >"$TMP/limits.profile"
	local n=$PFX-prof
	hold_prepare
	"$CLOISON" run --rootfs "$ROOTFS" --bind "$TMP:/out" --profile "$TMP/limits.profile" --name $n -- sh -c "$HOLD" >"$TMP/out" 2>&1 &
	local pid=$!
	wait_file "$TMP/up" || { cat "$TMP/out"; false; }
	[ "$(cat "$(cgdir pids $n)/pids.max")" = 16 ]
	[ "$(cat "$(cgdir memory $n)/memory.limit_in_bytes")" = 33554432 ]
	release $pid
	wait_gone $n
}

@test "cloison check reports each controller, where, and whether a context can use it" {
	run "$CLOISON" check
	echo "$output"
	for c in cpu cpuset memory pids blkio; do
		grep -qE "^  $c +ok +v1 /" <<<"$output" || { echo "no usable $c"; false; }
	done
	# the jail's own group is in the unified tree: cgroup.kill, a BPF device
	# program, cpu.stat (so v1's freezer, devices and cpuacct are not used)
	grep -qE "^  unified +ok +/sys/fs/cgroup/unified" <<<"$output"
	grep -qE "^  freezer +ok +v2 built in: cgroup.kill" <<<"$output"
	grep -qE "^  devices +ok +v2 BPF_CGROUP_DEVICE program: loads" <<<"$output"
	! grep -E "^  cpuacct " <<<"$output" || false
	run "$CLOISON" check --json
	python3 -c 'import json,sys; d=json.load(sys.stdin)["cgroups"]; assert d["memory"]["ok"] and "libcgroup" in d, d' <<<"$output"
}

@test "the jail holds no cgroup directory nor the guardian's pipe; the guardian holds nothing of cloison's" {
	local n=$PFX-fd
	# the command, once it runs, is a sleep the test ends (no fd of its own)
	"$CLOISON" run --rootfs "$ROOTFS" --bind "$TMP:/out" --name $n --pids 10 --memory 64M --preserve-fds 1 \
		-- sh -c ': >/out/up; exec sleep 30' 3</dev/null &
	local pid=$! jpid g
	wait_file "$TMP/up"
	jpid=$(jail_pid $pid)
	wait_until 5 eval '[ "$(readlink /proc/$jpid/exe)" = /bin/busybox ] && [ "$(cat /proc/$jpid/comm)" = sleep ]'
	ls -l /proc/"$jpid"/fd
	# stdin, stdout, stderr and the one preserved: nothing else
	[ "$(ls /proc/"$jpid"/fd | sort -n | tr '\n' ' ')" = "0 1 2 3 " ]
	[ "$(readlink /proc/"$jpid"/fd/3)" = /dev/null ]
	g=$(ps -o pid= -o comm= --ppid $pid | awk '$2 == "cloison-guard" { print $1 }')
	[ -n "$g" ]
	ls -l /proc/"$g"/fd
	# stdio, the pipe, and a lock on each of the context's own groups (its
	# unified, memory and pids groups: they have an owner while it lives)
	[ "$(ls /proc/"$g"/fd | wc -l)" -eq 7 ]
	[ "$(find /proc/"$g"/fd -lname "/sys/fs/cgroup/*/$n" | wc -l)" -eq 3 ]
	[ "$(readlink /proc/"$g"/fd/0)" = /dev/null ]
	[ "$(find /proc/"$g"/fd -lname 'pipe:*' | wc -l)" -eq 1 ]
	kill -KILL "$jpid" # (pid 1 of its namespace: only SIGKILL gets through)
	local st=0
	wait $pid || st=$?
	[ "$st" -eq 137 ]
	wait_gone $n
}

@test "a group left busy: the guardian never kills in nor removes a same-named group another run made since" {
	local n=$PFX-busy hold guard
	# the first run's pids group is held busy by a host process the test
	# moved there, so cloison gives up on it and the guardian goes on
	hold_prepare
	"$CLOISON" run --rootfs "$ROOTFS" --bind "$TMP:/out" --name $n --pids 10 -- sh -c "$HOLD" &
	local a=$!
	wait_file "$TMP/up"
	guard=$(ps -o pid= -o comm= --ppid $a | awk '$2 == "cloison-guard" { print $1 }')
	[ -n "$guard" ]
	sleep 4249$$ &
	hold=$!
	echo $hold >"$(cgdir pids $n)/cgroup.procs"
	echo go 1<>"$TMP/hold"
	# once the first run removed its unified-tree group (on its way out,
	# still waiting for the pids one), a second run takes the name there
	wait_until 5 test ! -d "$(cgdir unified $n)"
	mkdir "$TMP/b"
	mkfifo "$TMP/b/hold"
	"$CLOISON" run --rootfs "$ROOTFS" --bind "$TMP/b:/out" --name $n -- sh -c "$HOLD && echo second-survived" >"$TMP/out" 2>&1 &
	local b=$! st=0
	wait_file "$TMP/b/up"
	# the first run ends; its guardian takes over, and once the host process
	# leaves the busy group, removes it and ends: all while the second lives
	wait $a || true
	kill $hold
	wait $hold || true
	wait_until 35 test ! -e /proc/$guard || { echo "guardian $guard still there"; false; }
	echo go 1<>"$TMP/b/hold"
	wait $b || st=$?
	echo "second run: exit $st"
	cat "$TMP/out"
	[ "$st" -eq 0 ]
	grep -q second-survived "$TMP/out"
	wait_gone $n
}

# in_ro_cgroupfs CMD...: CMD in a private mount namespace whose copies of the
# cgroup mounts are read-only, as inside many CI containers (the host's own
# mounts are not touched: only this namespace's copies change flags).
in_ro_cgroupfs() {
	unshare -m --propagation private sh -c '
		awk "\$9 == \"cgroup\" || \$9 == \"cgroup2\" { print \$5 }" /proc/self/mountinfo |
		while read -r m; do mount -o remount,bind,ro "$m" || exit 1; done && exec "$@"' sh "$@"
}

@test "the device allow-list fails closed: a read-only cgroupfs is refused, --device-cgroup none runs and warns" {
	mkdir "$TMP/mark"
	run in_ro_cgroupfs "$CLOISON" run --rootfs "$ROOTFS" --bind "$TMP/mark:/mark" -- touch /mark/ran
	[ "$status" -eq 125 ]
	[[ "$output" == *"cannot install the jail's device allow-list (--device-cgroup none runs without it, weaker)"*"Read-only file system"* ]]
	[ ! -e "$TMP/mark/ran" ]
	# asked for explicitly: runs without it, and says so
	run in_ro_cgroupfs "$CLOISON" run --rootfs "$ROOTFS" --device-cgroup none -- sh -c 'echo ran'
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning: --device-cgroup none: the jail has no device allow-list"* ]]
	[[ "$output" == *ran* ]]
	# in a user namespace the kernel refuses the jail's device nodes itself:
	# it runs without a cgroup, and says so
	run in_ro_cgroupfs "$CLOISON" run --rootfs "$ROOTFS" --userns -- sh -c 'echo ran'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "cloison: warning: the cgroup tree is read-only here (cannot create the cgroup "*": Read-only file system): no cgroup limits, no accounting (the jail runs without a cgroup of its own)" ]]
	[ "${lines[1]}" = ran ]
	# a limit asked for is refused, naming it
	run in_ro_cgroupfs "$CLOISON" run --rootfs "$ROOTFS" --userns --pids 10 -- sh -c 'echo ran'
	[ "$status" -eq 125 ]
	[[ "$output" == "cloison: --pids needs a cgroup of the jail's own, and cloison cannot make one here: cannot create the cgroup "*"Read-only file system" ]]
	# no hierarchy at all (an empty /sys/fs/cgroup): refused too
	run unshare -m --propagation private sh -c 'mount -t tmpfs none /sys/fs/cgroup && exec "$@"' sh \
		"$CLOISON" run --rootfs "$ROOTFS" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"cannot install the jail's device allow-list"* ]]
	# and the setting is checked
	jail --device-cgroup maybe -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid value 'maybe': expected required or none"* ]]
	jail --device-cgroup none --device-cgroup-rule 'c 10:200 rwm' -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--device-cgroup-rule needs the device cgroup"* ]]
}

@test "a group nobody holds (its run killed before its guardian started) is reclaimed at once by the next run of its name" {
	local n=$PFX-stale d
	# what a cloison killed between mkdir and its guardian leaves: groups, no owner
	for d in "$(cgdir unified $n)" "$(cgdir pids $n)"; do mkdir -p "$d"; done
	jail --name $n --pids 50 -- true
	[ "$status" -eq 0 ]
	wait_gone $n
	# gc too, without waiting a minute (a group made this instant is spared)
	for d in "$(cgdir unified $n)" "$(cgdir pids $n)"; do mkdir -p "$d"; done
	touch -d '-5 seconds' "$(cgdir unified $n)" "$(cgdir pids $n)"
	run "$CLOISON" gc
	[[ "$output" == *"removed cgroup $(cgdir unified $n)"* ]]
	[ -z "$(groups_named $n)" ]
}

@test "kill -9 of cloison at random moments: the same --name runs again right away" {
	local n=$PFX-k9 i pid
	for i in $(seq 15); do
		"$CLOISON" run --rootfs "$ROOTFS" --name $n --pids 64 -- sleep 4249 3>&- &
		pid=$!
		sleep "0.0$((RANDOM % 4))$((RANDOM % 10))"
		kill -9 "$pid"
		wait "$pid" || true
		run timeout 20 "$CLOISON" run --rootfs "$ROOTFS" --name $n --pids 64 -- true
		[ "$status" -eq 0 ] || { echo "round $i: $output"; return 1; }
	done
	wait_gone $n
	for _ in $(seq 50); do pgrep -f "sleep 4249" >/dev/null || break; sleep 0.1; done
	run ! pgrep -f "sleep 4249"
}

@test "review: a group with processes, or one under --cgroup-parent, is never reclaimed (nor its processes killed)" {
	local n=$PFX-busyown d made=
	d=$(cgdir unified $n)
	[ -d "$(dirname "$d")" ] || made=$(dirname "$d")
	mkdir -p "$d"
	sleep 60 &
	local sp=$!
	echo "$sp" >"$d/cgroup.procs"
	jail --name $n -- true
	local st=$status out=$output alive=no
	kill -0 "$sp" 2>/dev/null && alive=yes
	echo "$sp" >"$(dirname "$(dirname "$d")")/cgroup.procs" # back where it came from
	kill "$sp"
	wait "$sp" || true
	rmdir "$d"
	[ -z "$made" ] || rmdir "$made" 2>/dev/null || true # unless a concurrent run uses it
	[ "$st" -eq 125 ]
	[[ "$out" == *"already exists: another context runs under this name"* ]]
	[ "$alive" = yes ]
	# under --cgroup-parent, even an empty one is left alone
	mkdir -p "$(cgdir unified $n-cp cltest-cp-$$)"
	jail --cgroup-parent cltest-cp-$$ --name $n-cp -- true
	st=$status out=$output
	rmdir "$(cgdir unified $n-cp cltest-cp-$$)" "$(dirname "$(cgdir unified $n-cp cltest-cp-$$)")"
	[ "$st" -eq 125 ]
	[[ "$out" == *"(or a group of that name is not cloison's)"* ]]
}
