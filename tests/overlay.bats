#!/usr/bin/env bats
# --overlay, --overlay-dir, --overlay-size, --layer: copy-on-write roots.
# Each test runs on its own copy of the test rootfs ($BASE, under a 0700
# temporary directory), so that what it compares is its alone.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	TMP=$(mktemp -d /tmp/cloison-ov.XXXXXX)
	BASE=$TMP/base
	cp -a "$ROOTFS/." "$BASE"
	mkdir "$TMP/out"
}

teardown() {
	local n
	for n in ${SVCS:-}; do "$CLOISON" rm -f "$n" >/dev/null 2>&1 || true; done
	rm -rf "$TMP"
}

# every entry of a tree: path, type, mode, owner, size, mtime, link target;
# then every regular file's hash
listing() {
	(cd "$1" && find . -printf '%p %y %m %U:%G %s %T@ %l\n' | LC_ALL=C sort &&
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
}

ov() {
	run "$CLOISON" run --rootfs "$BASE" "$@"
}

@test "--overlay: a job that writes everywhere leaves the base byte for byte unchanged" {
	listing "$BASE" >"$TMP/before"
	echo data >"$TMP/bindsrc"
	ov --overlay --tmpfs /newtmp --bind "$TMP/bindsrc:/new/bind" --bind "$TMP/out:/out" -- sh -c '
		set -e
		echo new > /newfile; echo more >> /etc/passwd; chmod 4755 /bin/busybox
		rm /bin/ls; rm -r /etc/init.d 2>/dev/null || true; mkdir -p /usr/new/dir
		ln -s /etc/passwd /link; ln /etc/group /hardlink; mv /usr /usr2; mv /usr2 /usr
		touch -d 2001-01-01 /etc; chown 1:1 /etc/hostname 2>/dev/null || chown 1:1 /etc/passwd
		cat /new/bind; ls -d /newtmp; test ! -e /bin/ls; echo done > /out/done'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat "$TMP/out/done")" = done ]
	listing "$BASE" >"$TMP/after"
	diff "$TMP/before" "$TMP/after"
	# the mount points went to the upper layer too
	[ ! -e "$BASE/newtmp" ] && [ ! -e "$BASE/new" ]
}

@test "--overlay: the root is an overlayfs on a tmpfs of the default size, / keeps the rootfs's mode" {
	chmod 0751 "$BASE"
	ov --overlay --memory 64M -- sh -c 'head -1 /proc/self/mountinfo; stat -c %a /; df -k / | tail -1'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *" / / "*" - overlay cloison-overlay "*"redirect_dir=nofollow"* ]]
	[ "${lines[1]}" = 751 ]
	# half of --memory: 32 MiB
	[ "$(awk '{print $2}' <<<"${lines[2]}")" -eq 32768 ]
}

@test "two concurrent jobs on one base do not see each other's files" {
	"$CLOISON" run --rootfs "$BASE" --overlay --bind "$TMP/out:/out" -- sh -c '
		echo A > /etc/job-a; touch /out/a-up; i=0
		while [ ! -e /out/b-done ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
		cat /etc/job-a; ls /etc/job-b 2>&1; true' >"$TMP/a.log" 2>&1 3>&- &
	local pid=$!
	wait_file "$TMP/out/a-up"
	ov --overlay --bind "$TMP/out:/out" -- sh -c 'ls /etc/job-a 2>&1; echo B > /etc/job-b; touch /out/b-done'
	wait "$pid"
	echo "$output"
	cat "$TMP/a.log"
	[ "$status" -eq 0 ]
	[[ "$output" == *"/etc/job-a: No such file or directory"* ]]
	[ "$(head -1 "$TMP/a.log")" = A ]
	grep -q "/etc/job-b: No such file or directory" "$TMP/a.log"
	[ ! -e "$BASE/etc/job-a" ] && [ ! -e "$BASE/etc/job-b" ]
}

@test "--overlay-dir keeps the changes (whiteouts too); the next job sees them; --layer stacks them" {
	local d=$TMP/keep
	ov --overlay-dir "$d" --tmpfs /mnt/t -- sh -c 'echo kept > /kept; rm /bin/ls; mkdir -p /opt/x'
	[ "$status" -eq 0 ]
	[ "$(cat "$d/upper/kept")" = kept ]
	[ "$(stat -c '%F %t:%T' "$d/upper/bin/ls")" = "character special file 0:0" ] # a whiteout
	[ -d "$d/upper/mnt/t" ] && [ ! -e "$BASE/mnt/t" ] # the mount point, in the upper
	[ "$(stat -c '%a %U' "$d")" = "700 root" ]
	[ -e "$BASE/bin/ls" ] && [ ! -e "$BASE/kept" ]
	# the next job on the same upper layer
	ov --overlay-dir "$d" -- sh -c 'cat /kept; ls /bin/ls 2>&1; echo second >> /kept'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = kept ]
	[[ "${lines[1]}" == *"No such file"* ]]
	# the kept upper as a read-only layer, a second layer above it
	mkdir -p "$TMP/tools/usr/bin"
	echo tool >"$TMP/tools/usr/bin/tool.txt"
	echo top >"$TMP/tools/kept"
	ov --layer "$d/upper" -- sh -c 'cat /kept; ls /bin/ls 2>&1; echo w > /w && echo writable'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = kept ] && [ "${lines[1]}" = second ]
	[[ "${lines[2]}" == *"No such file"* ]]
	[ "${lines[3]}" = writable ]
	ov --layer "$d/upper" --layer "$TMP/tools" --read-only -- sh -c 'cat /kept /usr/bin/tool.txt; touch /x'
	echo "$output"
	[ "$status" -ne 0 ]
	[ "${lines[0]}" = top ] # the later layer is above
	[ "${lines[1]}" = tool ]
	[[ "$output" == *"Read-only file system"* ]]
	[ ! -e "$d/upper/w" ] && [ ! -e "$TMP/tools/w" ]
}

@test "--overlay-dir: one jail at a time; nothing left after kill -9 of cloison" {
	local d=$TMP/keep mark="8$$"
	"$CLOISON" run --rootfs "$BASE" --overlay-dir "$d" --bind "$TMP/out:/out" -- \
		sh -c "touch /out/up; sleep $mark" >"$TMP/a.log" 2>&1 3>&- &
	local pid=$!
	wait_file "$TMP/out/up"
	ov --overlay-dir "$d" -- true
	echo "$output"
	[ "$status" -eq 125 ]
	[[ "$output" == *"--overlay-dir $d: another jail uses it"* ]]
	local child
	child=$(jail_pid "$pid")
	kill -KILL "$pid"
	wait "$pid" || true
	wait_until 5 test ! -e "/proc/$child" || { echo "jail pid 1 ($child) survived"; false; }
	no_proc "sleep $mark"
	run -1 grep -q cloison-overlay /proc/self/mountinfo
	[ "$(count_mounts)" -eq 0 ]
	# the lock went with it
	ov --overlay-dir "$d" -- true
	[ "$status" -eq 0 ]
}

@test "--overlay: kill -9 mid-job leaves no overlay mount, tmpfs or process" {
	local mark="9$$"
	"$CLOISON" run --rootfs "$BASE" --overlay --bind "$TMP/out:/out" -- \
		sh -c "dd if=/dev/zero of=/big bs=1M count=8 2>/dev/null; touch /out/up; sleep $mark" 3>&- &
	local pid=$!
	wait_file "$TMP/out/up"
	local child
	child=$(jail_pid "$pid")
	kill -KILL "$pid"
	wait "$pid" || true
	wait_until 5 test ! -e "/proc/$child" || { echo "jail pid 1 ($child) survived"; false; }
	no_proc "sleep $mark"
	[ -z "$(cat /proc/[0-9]*/mountinfo 2>/dev/null | grep cloison-overlay)" ]
	[ ! -e "$BASE/big" ]
}

@test "--overlay-size: the upper layer is full at its size; --stats-json counts its pages" {
	ov --overlay --overlay-size 4M -- sh -c 'dd if=/dev/zero of=/big bs=1M count=8 2>&1; df -k / | tail -1'
	echo "$output"
	[[ "$output" == *"No space left on device"* ]]
	[ "$(awk '{print $2}' <<<"${lines[-1]}")" -eq 4096 ]
	# tmpfs pages are the jail's memory: its peak covers what it wrote
	ov --overlay --memory 256M --stats-json "$TMP/s.json" -- dd if=/dev/zero of=/big bs=1M count=48
	[ "$status" -eq 0 ]
	python3 - "$TMP/s.json" <<-'EOF'
		import json, sys
		s = json.load(open(sys.argv[1]))
		print(s)
		assert s["peak_memory_bytes"] >= 48 << 20, s
	EOF
}

@test "--overlay --userns as root, and rootless: writes stay in the jail's tmpfs" {
	# (the rootfs is host root's: outside the jail's range, its files stay
	# read-only to the jail as without --overlay; "/" is the upper's own)
	ov --overlay --userns -- sh -c 'echo x > /u; cat /u /proc/self/uid_map; head -1 /proc/self/mountinfo'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = x ]
	[[ "${lines[1]}" =~ ^\ +0\ +[1-9][0-9]*\  ]]
	[[ "${lines[2]}" == *userxattr* ]]
	[ ! -e "$BASE/u" ]
	# an ordinary user, its own rootfs
	local user=cltest-ov
	id "$user" >/dev/null 2>&1 || useradd -M -s /bin/sh "$user"
	chmod 755 "$TMP"
	cp "$CLOISON" "$TMP/cloison"
	chown -R "$user:" "$BASE" "$TMP/out"
	listing "$BASE" >"$TMP/before"
	run su "$user" -c "'$TMP/cloison' run --rootfs '$BASE' --overlay -- sh -c 'echo x > /etc/r; rm /bin/ls; id -u; cat /etc/r'"
	local out=$output st=$status
	run su "$user" -c "'$TMP/cloison' run --rootfs '$BASE' --overlay-dir '$TMP/out/keep' -- sh -c 'echo k > /k'"
	local out2=$output st2=$status
	listing "$BASE" >"$TMP/after"
	chmod 700 "$TMP"
	userdel "$user" 2>/dev/null || true
	echo "$out"
	[ "$st" -eq 0 ]
	[ "$out" = $'0\nx' ]
	diff "$TMP/before" "$TMP/after"
	echo "$out2"
	[ "$st2" -eq 0 ]
	[ "$(cat "$TMP/out/keep/upper/k")" = k ]
}

@test "bad input: clear errors naming the option, nothing made" {
	ov --layer relative -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--layer: 'relative' must be an absolute host path"* ]]
	ov --layer "$TMP/missing" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--layer $TMP/missing: No such file or directory"* ]]
	ov --layer "$BASE/etc/passwd" -- true
	[[ "$output" == *"Not a directory"* ]]
	ov --overlay-size 1k -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--overlay-size: '1k' is less than 1M"* ]]
	ov --overlay-dir "$TMP/k" --read-only -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--overlay-dir with --read-only"* ]]
	[ ! -e "$TMP/k" ]
	ov --vm --overlay-dir "$TMP/k" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--overlay-dir is not supported with --vm"* ]]
	# an --overlay-dir other host users can reach, the jail's root host root
	mkdir -m 755 "$TMP/open"
	chmod 755 "$TMP"
	ov --overlay-dir "$TMP/open" -- true
	chmod 700 "$TMP"
	[ "$status" -eq 125 ]
	[[ "$output" == *"--overlay-dir $TMP/open can be reached by other host users"* ]]
	[ -z "$(ls -A "$TMP/open")" ]
	# someone else's directory, one others may write, a symbolic link: refused
	mkdir -m 700 "$TMP/theirs" "$TMP/gw" "$TMP/real"
	chown nobody "$TMP/theirs"
	chmod 770 "$TMP/gw"
	ln -s "$TMP/real" "$TMP/link"
	ov --overlay-dir "$TMP/theirs" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--overlay-dir $TMP/theirs must be yours and written by you alone"* ]]
	ov --overlay-dir "$TMP/gw" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"must be yours and written by you alone (it is uid 0's, mode 0770)"* ]]
	ov --overlay-dir "$TMP/link" -- true
	[ "$status" -eq 125 ]
	for d in theirs gw real; do [ -z "$(ls -A "$TMP/$d")" ]; done
}

@test "a wrong --rootfs (no /proc, no command) is refused before anything is made in it" {
	mkdir "$TMP/empty"
	run -127 "$CLOISON" run --rootfs "$TMP/empty" -- /bin/true
	echo "$output"
	[ "$status" -eq 127 ]
	[[ "$output" == *"rootfs $TMP/empty has no /proc and no /bin/true: is it a root filesystem?"* ]]
	[ -z "$(ls -A "$TMP/empty")" ]
	# a rootfs that lacks /proc but has the command still gets its mount points
	rmdir "$BASE/proc"
	ov -- cat /proc/self/comm
	[ "$status" -eq 0 ]
	[ -d "$BASE/proc" ]
}

@test "services on one rootfs: each its own writable root (run -d --overlay)" {
	local a=ovsvc-a-$$ b=ovsvc-b-$$
	SVCS="$a $b"
	run "$CLOISON" run -d --name "$a" --rootfs "$BASE" --overlay -- sh -c 'echo a > /var/app.log; exec sleep 60'
	[ "$status" -eq 0 ]
	run "$CLOISON" run -d --name "$b" --rootfs "$BASE" --overlay -- sh -c 'echo b > /var/app.log; exec sleep 60'
	[ "$status" -eq 0 ]
	wait_until 10 "$CLOISON" exec "$a" -- test -e /var/app.log
	wait_until 10 "$CLOISON" exec "$b" -- test -e /var/app.log
	run "$CLOISON" exec "$a" -- cat /var/app.log
	[ "$output" = a ]
	run "$CLOISON" exec "$b" -- cat /var/app.log
	[ "$output" = b ]
	[ ! -e "$BASE/var/app.log" ]
	run "$CLOISON" rm -f "$a" "$b"
	[ "$status" -eq 0 ]
}
