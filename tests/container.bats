#!/usr/bin/env bats
# Container mode, checked from inside the jail.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	TMP=$(mktemp -d /tmp/cloison-test.XXXXXX)
}

teardown() {
	[ -n "${LOOPDEV:-}" ] && losetup -d "$LOOPDEV" 2>/dev/null || true
	rm -f "$ROOTFS/hostroot" "$ROOTFS/uproot"
	rm -rf "$TMP"
}

@test "the command is pid 1 of a new pid namespace" {
	jail -- sh -c 'echo $$; ls -d /proc/[0-9]* | wc -l; readlink /proc/self/ns/pid'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" -le 3 ]
	[ "${lines[2]}" != "$(readlink /proc/self/ns/pid)" ]
}

@test "every namespace differs from the host's (user only with --userns)" {
	for ns in mnt uts ipc net cgroup time; do
		jail -- readlink /proc/self/ns/$ns
		[ "$status" -eq 0 ]
		[ "$output" != "$(readlink /proc/self/ns/$ns)" ] || { echo "$ns shared"; false; }
	done
	jail -- readlink /proc/self/ns/user
	[ "$output" = "$(readlink /proc/self/ns/user)" ]
}

@test "--hostname sets the jail's hostname, the host's is untouched" {
	before=$(hostname)
	jail --hostname jailed-host -- hostname
	[ "$status" -eq 0 ]
	[ "$output" = jailed-host ]
	[ "$(hostname)" = "$before" ]
}

@test "host paths are not visible inside" {
	jail -- sh -c 'test -e /.cloison-rootfs && echo in-rootfs'
	[ "$output" = in-rootfs ]
	# the checkout cloison runs from, and files only the host has
	for path in "$TOP" "$TOP/Makefile" /etc/debian_version /usr/lib/x86_64-linux-gnu; do
		[ -e "$path" ]
		run "$CLOISON" run --rootfs "$ROOTFS" -- test -e "$path"
		[ "$status" -eq 1 ] || { echo "$path visible inside"; false; }
	done
}

@test "the old root is detached: no host mount is listed" {
	jail -- cat /proc/self/mountinfo
	[ "$status" -eq 0 ]
	# no mount point of the host's (the root field of / names the rootfs's
	# path in its file system: that is the bind's source, not a host mount)
	! awk '{ print $5 }' <<<"$output" | grep -e '^/work' -e "$ROOTFS" || false
	[ "$(awk '$5 == "/"' <<<"$output" | wc -l)" -eq 1 ]
}

@test "--read-only root gives EROFS" {
	jail --read-only -- touch /newfile
	[ "$status" -eq 1 ]
	[[ "$output" == *"Read-only file system"* ]]
	jail -- sh -c 'touch /tmp/x && rm /tmp/x && echo writable'
	[ "$output" = writable ]
}

@test "masked /proc files are empty, /proc/sys is read-only, /sys is read-only" {
	jail -- sh -c 'wc -c < /proc/keys; wc -c < /proc/timer_list; ls /proc/acpi | wc -l; echo 1 > /proc/sys/kernel/domainname; touch /sys/x'
	[ "${lines[0]}" -eq 0 ]
	[ "${lines[1]}" -eq 0 ]
	[ "${lines[2]}" -eq 0 ]
	[[ "$output" == *"/proc/sys/kernel/domainname: Read-only file system"* ]] || [[ "$output" == *"Read-only"* ]]
	[[ "$output" == *"/sys/x"*"Read-only file system"* ]]
}

@test "/dev holds only the standard nodes, a private devpts, shm and mqueue" {
	jail -- sh -c 'ls /dev | sort | tr "\n" " "; echo; readlink /dev/ptmx; grep -E " /dev/(pts|shm|mqueue) " /proc/self/mounts | wc -l'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "core fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero " ]
	[ "${lines[1]}" = pts/ptmx ]
	[ "${lines[2]}" -eq 3 ]
	jail -- sh -c 'head -c 4 /dev/zero | wc -c; echo x > /dev/null && echo null-ok'
	[ "${lines[0]}" -eq 4 ]
	[ "${lines[1]}" = null-ok ]
}

@test "every mount is nodev except the /dev device binds" {
	jail -- cat /proc/self/mounts
	while read -r src dst type opts _; do
		case "$dst" in /dev/null|/dev/zero|/dev/full|/dev/random|/dev/urandom|/dev/tty|/dev/pts|/proc/interrupts|/proc/keys|/proc/timer_list|/proc/kcore|/proc/latency_stats|/proc/timer_stats|/proc/sched_debug) continue ;; esac
		[[ ",$opts," == *,nodev,* ]] || { echo "$dst lacks nodev: $opts"; false; }
	done <<<"$output"
}

@test "capabilities: Docker's default set, bounding set cut, no_new_privs" {
	jail -- grep -E '^(CapEff|CapBnd|CapPrm|NoNewPrivs):' /proc/self/status
	[ "$status" -eq 0 ]
	[[ "$output" == *"CapEff:	00000000a80425fb"* ]]
	[[ "$output" == *"CapBnd:	00000000a80425fb"* ]]
	[[ "$output" == *"NoNewPrivs:	1"* ]]
}

@test "--cap-drop ALL --cap-add NET_ADMIN; a non-root user gets no capabilities but those added" {
	jail --cap-drop ALL --cap-add net_admin -- grep CapEff /proc/self/status
	[ "$output" = "CapEff:	0000000000001000" ]
	# as Docker, podman, nspawn, bwrap: uid 1000 has no DAC_OVERRIDE, CHOWN, SETUID...
	jail --user 1000:1000 -- sh -c 'id -u; id -g; grep -E "^Cap(Inh|Prm|Eff|Amb)" /proc/self/status
		echo x >>/etc/passwd && echo WROTE-PASSWD; chown 1000 /etc/hostname && echo CHOWNED; true'
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = 1000 ]
	[ "${lines[2]}" = "CapInh:	0000000000000000" ]
	[ "${lines[3]}" = "CapPrm:	0000000000000000" ]
	[ "${lines[4]}" = "CapEff:	0000000000000000" ]
	[ "${lines[5]}" = "CapAmb:	0000000000000000" ]
	[[ "$output" != *WROTE-PASSWD* && "$output" != *CHOWNED* ]]
	# named with --cap-add: ambient for it (podman's behaviour), nothing more
	jail --user 1000 --cap-add NET_BIND_SERVICE -- grep -E "^Cap(Prm|Eff|Amb)" /proc/self/status
	[ "$output" = "CapPrm:	0000000000000400
CapEff:	0000000000000400
CapAmb:	0000000000000400" ]
	# through a profile too (cap-add is a setting), and root keeps the default set
	jail --cap-add NET_BIND_SERVICE -- grep CapEff /proc/self/status
	[ "$output" = "CapEff:	00000000a80425fb" ]
	jail --cap-add CAP_SYS_ADMN -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"unknown capability 'CAP_SYS_ADMN'"* ]]
}

@test "without the capability, privileged operations fail" {
	jail -- sh -c 'mount -t tmpfs t /mnt 2>&1; hostname evil 2>&1; hostname'
	[[ "$output" == *"ermission denied"* || "$output" == *"not permitted"* ]]
	[[ "${lines[-1]}" == cloison ]]
}

@test "exit statuses: 0, 1, 42, 137 (SIGKILL), 126, 127, 125" {
	jail -- true
	[ "$status" -eq 0 ]
	jail -- false
	[ "$status" -eq 1 ]
	jail -- sh -c 'exit 42'
	[ "$status" -eq 42 ]
	jail --init -- sh -c 'kill -KILL $$'
	[ "$status" -eq 137 ]
	jail -- /etc/passwd
	[ "$status" -eq 126 ]
	[[ "$output" == "cloison: cannot execute /etc/passwd: Permission denied" ]]
	run -127 "$CLOISON" run --rootfs "$ROOTFS" -- no-such-command
	[ "$status" -eq 127 ]
	[[ "$output" == *"no-such-command"*"not found"* ]]
	run "$CLOISON" run --rootfs /nonexistent/rootfs -- true
	[ "$status" -eq 125 ]
	[[ "$output" == "cloison: rootfs /nonexistent/rootfs: No such file or directory" ]]
}

@test "the jail's own exit by signal maps to 128+N (SIGKILL from outside)" {
	"$CLOISON" run --rootfs "$ROOTFS" --bind "$TMP:/out" -- sh -c 'touch /out/up; exec sleep 100' &
	pid=$!
	wait_file "$TMP/up"
	child=$(jail_pid "$pid")
	[ -n "$child" ]
	kill -KILL "$child"
	status=0
	wait "$pid" || status=$?
	[ "$status" -eq 137 ]
}

@test "SIGTERM is forwarded: to a handler at pid 1, and through --init" {
	# each jail says when its handlers are in place (a marker, not a delay)
	"$CLOISON" run --rootfs "$ROOTFS" --bind "$TMP:/out" -- \
		sh -c 'trap "exit 7" TERM; touch /out/up1; while :; do sleep 0.1; done' &
	pid=$!
	wait_file "$TMP/up1"
	kill -TERM "$pid"
	status=0
	wait "$pid" || status=$?
	[ "$status" -eq 7 ]
	"$CLOISON" run --rootfs "$ROOTFS" --bind "$TMP:/out" --init -- sh -c 'touch /out/up2; exec sleep 100' &
	pid=$!
	wait_file "$TMP/up2"
	kill -TERM "$pid"
	status=0
	wait "$pid" || status=$?
	[ "$status" -eq 143 ]
}

@test "--init reaps zombies and runs from a sealed memfd" {
	jail --init -- sh -c 'echo $$; sh -c "sleep 0 & exec sleep 0.3" ; readlink /proc/1/exe; cat /proc/1/cmdline | tr "\0" " "; echo; ps -o stat | grep -c Z || true'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 2 ]
	[[ "${lines[1]}" == "/memfd:cloison-init (deleted)" ]]
	[ "${lines[-1]}" -eq 0 ]
}

@test "/proc/self/exe escape (CVE-2019-5736): pid 1's executable cannot be rewritten" {
	jail --init --cap-add ALL -- cltest exe-write
	echo "$output"
	[ "$status" -eq 0 ]
	jail -- cltest exe-write
	[ "$status" -eq 0 ]
}

@test "stdin: /dev/null by default, piped with -i" {
	run bash -c "echo from-host | '$CLOISON' run --rootfs '$ROOTFS' -- cat"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run bash -c "printf 'line1\nline2\n' | '$CLOISON' run --rootfs '$ROOTFS' -i -- sh -c 'wc -l'"
	[ "$output" -eq 2 ]
}

@test "-t allocates a terminal (under script)" {
	command -v script
	run script -qec "'$CLOISON' run --rootfs '$ROOTFS' -t -- sh -c 'test -t 0 && test -t 1 && echo IS-A-TTY; ls -l /dev/console | cut -c1'" /dev/null </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *IS-A-TTY* ]]
	[[ "$output" == *c* ]]
}

@test "-t under tmux: window size and SIGWINCH forwarded" {
	command -v tmux
	sock="$TMP/tmux.sock"
	# the jail records its size once its SIGWINCH trap is set, then waits
	# (10 s at most) for the signal before recording the size again
	tmux -S "$sock" new-session -d -x 80 -y 24 \
		"'$CLOISON' run --rootfs '$ROOTFS' --bind '$TMP:/out' -t -- sh -c 'trap \"touch /out/winch\" WINCH; stty size > /out/a; i=0; while [ ! -e /out/winch ] && [ \$i -lt 100 ]; do sleep 0.1; i=\$((i+1)); done; stty size > /out/b; touch /out/done'"
	wait_file "$TMP/a" || { tmux -S "$sock" kill-server; false; }
	tmux -S "$sock" resize-window -x 100 -y 30
	wait_file "$TMP/done" 15 || true
	tmux -S "$sock" kill-server 2>/dev/null || true
	[ "$(cat "$TMP/a")" = "24 80" ]
	[ -e "$TMP/winch" ]
	[ "$(cat "$TMP/b")" = "30 100" ]
}

@test "without -t the command has no controlling terminal: TIOCSTI is refused (CVE-2017-5226)" {
	run script -qec "'$CLOISON' run --rootfs '$ROOTFS' -i -- cltest tiocsti" /dev/null </dev/null
	[[ "$output" == *"TIOCSTI refused"* ]]
}

@test "--bind SRC:DST:ro is read-only, --bind rw is writable" {
	echo hello > "$TMP/file"
	jail --bind "$TMP:/mnt/ro:ro" --bind "$TMP:/mnt/rw" -- sh -c 'cat /mnt/ro/file; touch /mnt/ro/x 2>&1; echo w > /mnt/rw/y'
	[ "${lines[0]}" = hello ]
	[[ "${lines[1]}" == *"Read-only file system"* ]]
	[ "$(cat "$TMP/y")" = w ]
	[ ! -e "$TMP/x" ]
}

@test "--bind :ro is read-only and nodev all the way down (submounts too)" {
	mkdir -p "$TMP/src/sub"
	# the submount lives in a private mount namespace: nothing touches the host's
	run unshare -m --propagation private sh -c "mount -t tmpfs sub '$TMP/src/sub' && '$CLOISON' run --rootfs '$ROOTFS' --bind '$TMP/src:/mnt/ro:ro' -- sh -c 'touch /mnt/ro/sub/x 2>&1; grep \" /mnt/ro/sub \" /proc/self/mounts'"
	echo "$output"
	[[ "${lines[0]}" == *"Read-only file system"* ]]
	[[ "${lines[1]}" == *" ro,"*nosuid*nodev* ]]
}

@test "--tmpfs DST:size=N gives a tmpfs of that size" {
	jail --tmpfs /mnt/scratch:size=2M -- sh -c 'grep " /mnt/scratch " /proc/self/mounts; df -k /mnt/scratch | tail -1'
	[[ "${lines[0]}" == *"tmpfs"*"size=2048k"* ]]
	[[ "${lines[1]}" == *" 2048 "* ]]
	jail --tmpfs /mnt/scratch:size=12XB -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid size '12XB'"* ]]
}

@test "--env, --cwd and --user reach the command" {
	jail --env FOO=bar -e X=1 --cwd /tmp --user 1000:1000 -- sh -c 'echo $FOO$X; pwd; id -u; echo $PATH'
	[ "${lines[0]}" = bar1 ]
	[ "${lines[1]}" = /tmp ]
	[ "${lines[2]}" = 1000 ]
	[[ "${lines[3]}" == */bin* ]]
	jail --cwd /no/such/dir -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"/no/such/dir"* ]]
}

@test "symlinked mount targets cannot reach the host" {
	ln -s / "$ROOTFS/hostroot"
	ln -s ../../../../../../.. "$ROOTFS/uproot"
	target="cloison-escape-$$"
	jail --bind "$TMP:/hostroot/$target" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"/hostroot/$target"*"leaves the rootfs"* ]]
	jail --tmpfs "/uproot/$target" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"leaves the rootfs"* ]]
	[ ! -e "/$target" ]
	! grep "$target" /proc/self/mountinfo || false
}

@test "a leaked fd is absent inside, --preserve-fds passes it" {
	# fd 9 stands for a descriptor the caller leaked: it must not reach the jail
	run bash -c "exec 9<'$TOP/Makefile'; exec '$CLOISON' run --rootfs '$ROOTFS' -- sh -c 'ls /proc/self/fd | sort -n | tr \"\\n\" \" \"'"
	[ "$output" = "0 1 2 3 " ] # 3 = the directory ls reads
	run bash -c "exec 3</dev/null 4</dev/null 5</dev/null 6</dev/null 7<'$TOP/Makefile' 9</dev/null; exec '$CLOISON' run --rootfs '$ROOTFS' --preserve-fds 5 -- sh -c 'head -c 9 <&7; echo; ls /proc/self/fd | sort -n | tr \"\\n\" \" \"'"
	[ "${lines[0]}" = "# cloison" ]
	[ "${lines[1]}" = "0 1 2 3 4 5 6 7 8 " ] # 8 = the directory ls reads; 9 is gone
}

@test "the working directory is checked to lie inside the new root (CVE-2024-21626)" {
	# a host directory fd leaked at 7 (the runc attack): --cwd through it must not land outside
	run bash -c "exec 7<'$TOP'; exec '$CLOISON' run --rootfs '$ROOTFS' --cwd /proc/self/fd/7 -- sh -c 'pwd; ls'"
	[ "$status" -eq 125 ]
	[[ "$output" == *"working directory /proc/self/fd/7"* ]]
	[[ "$output" != *Makefile* ]]
	jail --cwd /tmp -- pwd
	[ "$output" = /tmp ]
}

@test "a block device node made inside cannot be read (nodev)" {
	command -v losetup
	head -c 1M /dev/zero > "$TMP/disk"
	printf 'CLOISON-SECRET-%s' "$$" | dd of="$TMP/disk" conv=notrunc status=none
	LOOPDEV=$(losetup -f --show "$TMP/disk")
	majmin=$(stat -c '%t %T' "$LOOPDEV")
	maj=$((16#${majmin% *})) min=$((16#${majmin#* }))
	# the device cgroup would refuse the mknod (tests/cgroup.bats): allow
	# this one device there, so that nodev alone is what stops the read
	jail --device-cgroup-rule "b $maj:$min rwm" -- sh -c "rm -f /tmp/blk; mknod /tmp/blk b $maj $min && echo made; head -c 32 /tmp/blk; rm -f /tmp/blk; mknod /dev/blk b $maj $min; head -c 32 /dev/blk"
	echo "$output"
	[[ "${lines[0]}" == made ]]
	[[ "$output" != *CLOISON-SECRET* ]]
	[[ "$output" == *"Permission denied"* ]]
}

@test "the classic chroot-in-chroot escape fails" {
	jail -- cltest chroot-escape
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *contained* ]]
}

@test "--net none: only lo, up; --net host shares the host's" {
	jail -- sh -c 'ls /sys/class/net; cat /sys/class/net/lo/operstate; ping -c1 -W1 127.0.0.1 >/dev/null && echo ping-ok'
	[ "${lines[0]}" = lo ]
	[ "${lines[1]}" = unknown ]
	[ "${lines[2]}" = ping-ok ]
	jail --net host -- readlink /proc/self/ns/net
	[ "$output" = "$(readlink /proc/self/ns/net)" ]
	jail --net bogus -- true
	[ "$status" -eq 125 ]
}

@test "--userns maps root to an unprivileged range" {
	jail --userns -- sh -c 'cat /proc/self/uid_map; id -u; grep CapEff /proc/self/status; touch /tmp/u && stat -c %u /tmp/u'
	[ "$status" -eq 0 ]
	read -r inside outside count <<<"${lines[0]}"
	[ "$inside" -eq 0 ]
	[ "$outside" -gt 0 ]
	[ "$count" -ge 1 ]
	[ "${lines[1]}" -eq 0 ]
	[ "${lines[2]}" = "CapEff:	00000000a80425fb" ]
	[ "$(stat -c %u "$ROOTFS/tmp/u")" -eq "$outside" ]
	rm -f "$ROOTFS/tmp/u"
}

@test "rootless: an unprivileged user runs a jail in a user namespace" {
	user=cltest-rl
	id "$user" >/dev/null 2>&1 || useradd -M -s /bin/sh "$user"
	dir=$(mktemp -d /tmp/cloison-rootless.XXXXXX)
	chmod 755 "$dir"
	cp "$CLOISON" "$dir/cloison"
	cp -a "$ROOTFS/." "$dir/rootfs"
	run su "$user" -c "'$dir/cloison' run --rootfs '$dir/rootfs' --hostname rl -- sh -c 'id -u; hostname; cat /proc/self/uid_map; echo \$\$'"
	rm -rf "$dir"
	userdel "$user" 2>/dev/null || true
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" -eq 0 ]
	[ "${lines[1]}" = rl ]
	[[ "${lines[2]}" =~ ^\ +0\ +[0-9]+\ +1$ ]]
	[ "${lines[-1]}" -eq 1 ]
}

@test "rootless without /etc/subuid ranges: a single mapping, setgroups denied" {
	user=cltest-single
	id "$user" >/dev/null 2>&1 || useradd -M -s /bin/sh "$user"
	range=$(awk -F: -v u="$user" '$1 == u {print $2 "-" $2 + $3 - 1}' /etc/subuid)
	[ -z "$range" ] || usermod --del-subuids "$range" --del-subgids "$range" "$user"
	dir=$(mktemp -d /tmp/cloison-rootless.XXXXXX)
	chmod 755 "$dir"
	cp "$CLOISON" "$dir/cloison"
	cp -a "$ROOTFS/." "$dir/rootfs"
	run su "$user" -c "'$dir/cloison' run --rootfs '$dir/rootfs' -- sh -c 'cat /proc/self/uid_map /proc/self/setgroups; id -u'"
	out1=$output st1=$status
	run su "$user" -c "'$dir/cloison' run --rootfs '$dir/rootfs' --user 1000 -- id"
	rm -rf "$dir"
	userdel "$user" 2>/dev/null || true
	echo "$out1"
	[ "$st1" -eq 0 ]
	[[ "$out1" =~ ^\ +0\ +[0-9]+\ +1$'\n'deny$'\n'0$ ]]
	[ "$status" -eq 125 ]
	[[ "$output" == *"uid 1000 is not mapped in the user namespace (it maps 0-0)"* ]]
}

@test "bad input: clear errors, exit 125, nothing started" {
	jail --bind nocolon -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--bind: invalid bind 'nocolon': expected SRC:DST"* ]]
	jail --user abc -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--user: invalid user 'abc'"* ]]
	jail --bogus -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"unknown option --bogus"* ]]
	jail
	[ "$status" -eq 125 ]
	[[ "$output" == *"no command given"* ]]
	jail --bind /nonexistent-src:/mnt/x -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"/nonexistent-src"* ]]
}

@test "a jail failing while cloison still sets up its side: the error is told every time" {
	# without a user namespace the child makes its mounts before cloison's
	# "go"; ending with "go" unread leaves ECONNRESET ahead of its message
	local i out
	for i in $(seq 100); do
		out=$("$CLOISON" run --rootfs "$ROOTFS" --bind /nonexistent-src:/mnt/x -- true 2>&1) && return 1
		[[ "$out" == *"cannot bind /nonexistent-src on /mnt/x"* ]] || { echo "run $i: '$out'"; return 1; }
	done
}

@test "100 runs in a row leave no mount and no process behind" {
	before=$(count_mounts)
	for i in $(seq 100); do
		"$CLOISON" run --rootfs "$ROOTFS" -- true || { echo "run $i failed"; false; }
	done
	[ "$(count_mounts)" -eq "$before" ]
	no_proc "cloison run --rootfs $ROOTFS"
}

@test "kill -9 of cloison kills the jail and leaves nothing" {
	# a duration no other run uses, so that pgrep finds this jail's only
	local mark="7$$"
	"$CLOISON" run --rootfs "$ROOTFS" --bind "$TMP:/out" -- sh -c "sleep $mark & touch /out/up; sleep $mark" &
	pid=$!
	wait_file "$TMP/up"
	child=$(jail_pid "$pid")
	[ -n "$child" ]
	kill -KILL "$pid"
	wait "$pid" || true
	wait_until 5 test ! -e "/proc/$child" || { echo "jail pid 1 ($child) survived"; false; }
	no_proc "sleep $mark"
	[ "$(count_mounts)" -eq 0 ]
}

@test "a writable --bind other host users can reach is refused when the jail's root is host root" {
	# a jail (host root) could leave a set-user-ID root program there
	local open=$TMP/open
	mkdir -m 755 "$open"
	chmod 755 "$TMP"
	echo x >"$open/file"
	run "$CLOISON" run --rootfs "$ROOTFS" --bind "$open:/o" -- sh -c 'cp /usr/bin/cltest /o/s && chmod 4755 /o/s'
	local st1=$status out1=$output
	run "$CLOISON" run --rootfs "$ROOTFS" --bind "$open/file:/f" -- true
	local st2=$status out2=$output
	run "$CLOISON" run --rootfs "$ROOTFS" --bind "$open:/o:ro" -- cat /o/file
	local st3=$status out3=$output
	run "$CLOISON" run --rootfs "$ROOTFS" --userns --bind "$open:/o" -- true
	local st4=$status
	run "$CLOISON" run --rootfs "$ROOTFS" --allow-shared-rootfs --bind "$open:/o" -- true
	local st5=$status out5=$output
	chmod 700 "$TMP"
	echo "$out1"
	[ "$st1" -eq 125 ]
	[[ "$out1" == *"--bind $open can be reached by other host users"*"use :ro, --userns, or --allow-shared-rootfs"* ]]
	[ ! -e "$open/s" ]
	[ "$st2" -eq 125 ] # a file: its own mode closes nothing
	[[ "$out2" == *"--bind $open/file can be reached"* ]]
	[ "$st3" -eq 0 ] && [ "$out3" = x ]
	[ "$st4" -eq 0 ]
	[ "$st5" -eq 0 ]
	[[ "$out5" == *"warning: --bind $open can be reached"* ]]
}

# as_nobody CMD...: CMD as the host's nobody, no supplementary groups and no
# capabilities (setpriv keeps root's until its own execve: a shell in between
# makes CMD's path resolve as nobody's)
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups -- /bin/sh -c 'exec "$@"' sh "$@"
}

@test "a jail's writes never reach other host users: the rootfs is private, a shared one is refused" {
	# the jail (root = host root) leaves a set-user-ID shell in its rootfs
	# (busybox drops a set-user-ID's power; cltest ids does not)
	jail -- sh -c 'cp /usr/bin/cltest /tmp/suid-$$ && chmod 4755 /tmp/suid-$$ && echo /tmp/suid-$$'
	[ "$status" -eq 0 ]
	local f=$output real
	real=$(readlink -f "$ROOTFS")
	run as_nobody "$ROOTFS$f" ids
	[ "$status" -ne 0 ]
	[[ "$output" == *"Permission denied"* ]]
	run as_nobody "$real$f" ids
	rm -f "$ROOTFS$f"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Permission denied"* ]]
	# a rootfs that others can reach: refused, nothing runs
	local d
	d=$(mktemp -d /tmp/cloison-shared.XXXXXX)
	chmod 755 "$d"
	cp -a "$ROOTFS/." "$d/root"
	mkdir "$d/mark"
	run "$CLOISON" run --rootfs "$d/root" --bind "$d/mark:/mark" -- touch /mark/ran
	local st1=$status out1=$output
	run "$CLOISON" run --rootfs "$d/root" --allow-shared-rootfs -- sh -c 'echo ran'
	local st2=$status out2=$output
	run "$CLOISON" run --rootfs "$d/root" --read-only -- sh -c 'echo ran'
	local st3=$status out3=$output
	# with --userns the jail's root is not host root: what it leaves is no weapon
	run "$CLOISON" run --rootfs "$d/root" --userns -- sh -c 'cp /usr/bin/cltest /tmp/s && chmod 4755 /tmp/s'
	local st4=$status
	run as_nobody "$d/root/tmp/s" ids
	local ids=$output
	rm -rf "$d"
	[ "$st1" -eq 125 ]
	[[ "$out1" == *"rootfs $d/root can be reached by other host users"*"--allow-shared-rootfs"* ]]
	[ ! -e "$d/mark/ran" ]
	[ "$st2" -eq 0 ]
	[[ "$out2" == *"warning: rootfs $d/root can be reached by other host users"* ]]
	[[ "$out2" == *ran ]]
	[ "$st3" -eq 0 ]
	[ "$out3" = ran ]
	[ "$st4" -eq 0 ]
	# the jail's own unprivileged host id, not 0
	[[ "$ids" =~ ^ruid=65534\ euid=([0-9]+)$ ]]
	[ "${BASH_REMATCH[1]}" -gt 65535 ]
}

@test "--userns and untrusted with the rootfs and a bind source under a 0700 directory" {
	local d
	d=$(mktemp -d /tmp/cloison-private.XXXXXX) # 0700, as a checkout under /root
	[ "$(stat -c %a "$d")" = 700 ]
	cp -a "$ROOTFS/." "$d/root"
	mkdir "$d/data"
	echo hello >"$d/data/file"
	chmod 755 "$d/data"
	run "$CLOISON" run --rootfs "$d/root" --userns --bind "$d/data:/data:ro" -- sh -c 'id -u; cat /data/file'
	local st1=$status out1=$output
	run "$CLOISON" run --rootfs "$d/root" --profile untrusted -- sh -c 'id -u; grep CapEff /proc/self/status'
	local st2=$status out2=$output
	rm -rf "$d"
	echo "$out1"
	[ "$st1" -eq 0 ]
	[ "$out1" = "0
hello" ]
	echo "$out2"
	[ "$st2" -eq 0 ]
	[[ "$out2" == "0"* ]]
}

@test "mount points: none created in a read-only rootfs, and a failed run takes back those it made" {
	local d
	d=$(mktemp -d /tmp/cloison-mp.XXXXXX)
	cp -a "$ROOTFS/." "$d/root"
	ln -s /etc "$d/root/esc"
	run "$CLOISON" run --rootfs "$d/root" --read-only --tmpfs /no-such-mp -- true
	local st1=$status out1=$output
	local made1=no
	[ -e "$d/root/no-such-mp" ] && made1=yes
	# the second mount fails (its path leaves the rootfs) after the first made /made/deep
	run "$CLOISON" run --rootfs "$d/root" --tmpfs /made/deep --bind /etc/hostname:/made/file:ro --tmpfs /esc/x -- true
	local st2=$status out2=$output
	local left
	left=$(ls -A "$d/root/made" 2>&1 || true)
	rm -rf "$d"
	[ "$st1" -eq 125 ]
	[[ "$out1" == *"mount point /no-such-mp does not exist in the read-only rootfs"* ]]
	[ "$made1" = no ]
	[ "$st2" -eq 125 ]
	[[ "$out2" == *"/esc/x leaves the rootfs"* ]]
	[[ "$left" == *"No such file or directory"* ]]
}

# the jail's script: its maps to /mnt/NAME.{uid,gid}, then wait for /mnt/stop (30 s at most)
HOLD='cat /proc/self/uid_map >/mnt/$0.uid; cat /proc/self/gid_map >/mnt/$0.g; mv /mnt/$0.g /mnt/$0.gid; i=0
	while [ ! -e /mnt/stop ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done'

@test "--userns: each jail gets its own host id range, apart from the others and from real users" {
	local user=cltest-ids a b s c u
	id "$user" >/dev/null 2>&1 || useradd -M -s /bin/sh "$user"
	mkdir -m 777 "$TMP/m"
	"$CLOISON" run --rootfs "$ROOTFS" --userns --bind "$TMP/m:/mnt" -- sh -c "$HOLD" A 3>&- &
	local pa=$!
	"$CLOISON" run --rootfs "$ROOTFS" --userns --bind "$TMP/m:/mnt" -- sh -c "$HOLD" B 3>&- &
	local pb=$!
	wait_file "$TMP/m/A.gid" && wait_file "$TMP/m/B.gid"
	local held
	held=$(ls /run/cloison/userns)
	touch "$TMP/m/stop"
	wait "$pa" "$pb"
	read -r _ a c <"$TMP/m/A.uid"
	[ "$c" -eq 65536 ]
	read -r _ b c <"$TMP/m/B.uid"
	[ "$c" -eq 65536 ]
	[ "$(awk '{print $2}' "$TMP/m/A.gid")" -eq "$a" ]
	# two running jails: disjoint
	[ $((a + 65536)) -le "$b" ] || [ $((b + 65536)) -le "$a" ]
	# and apart from the user's own id and its /etc/subuid range
	u=$(id -u "$user")
	IFS=: read -r _ s c < <(grep "^$user:" /etc/subuid)
	userdel "$user" 2>/dev/null || true
	for x in "$a" "$b"; do
		[ $((x + 65536)) -le "$s" ] || [ $((s + c)) -le "$x" ]
		[ "$u" -lt "$x" ] || [ "$u" -ge $((x + 65536)) ]
		[ -z "$(getent passwd "$x")" ]
	done
	# held while the jails ran (a lock file each), given back when they ended
	[[ "$held" == *"$a"* && "$held" == *"$b"* ]]
	[ ! -e "/run/cloison/userns/$a" ]
	[ ! -e "/run/cloison/userns/$b" ]
}

@test "--userns: a range held by a cloison killed with SIGKILL is free again, and gc removes its file" {
	mkdir -m 777 "$TMP/m"
	"$CLOISON" run --rootfs "$ROOTFS" --userns --bind "$TMP/m:/mnt" -- sh -c "$HOLD" K 3>&- &
	local pk=$! a
	wait_file "$TMP/m/K.gid"
	read -r _ a _ <"$TMP/m/K.uid"
	kill -9 "$pk"
	wait "$pk" || true
	touch "$TMP/m/stop"
	local f=/run/cloison/userns/$a
	[ -e "$f" ] # left behind by the kill...
	# ...but free: its lock died with its holders (bounded: the guardian ends too)
	for _ in $(seq 100); do flock -n "$f" true && break; sleep 0.1; done
	flock -n "$f" true
	run "$CLOISON" gc
	[ "$status" -eq 0 ]
	[[ "$output" == *"removed id range $f"* ]]
	[ ! -e "$f" ]
}

@test "-t with a user namespace (--userns, untrusted): the terminal is the jail user's" {
	run script -qec "'$CLOISON' run --rootfs '$ROOTFS' -t --userns -- sh -c 'tty; id -u'" /dev/null </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/console"*"0"* ]]
	run script -qec "'$CLOISON' run --rootfs '$ROOTFS' -t --profile untrusted --user 1000 -- sh -c 'tty; id -u; echo ok >/dev/tty'" /dev/null </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/console"*"1000"*"ok"* ]]
}

@test "small promises kept: /dev binds nosuid,noexec; tmpfs size=0 refused; an invalid hostname is escaped, not echoed raw" {
	jail -- sh -c "grep -E ' /dev/(null|zero|full|random|urandom|tty) ' /proc/self/mountinfo"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 6 ]
	for l in "${lines[@]}"; do [[ "$l" =~ \ [^\ ]*nosuid,[^\ ]*noexec ]] || { echo "$l"; return 1; }; done
	jail --tmpfs /tmp:size=0 -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"size=0 is less than a page (to the kernel, 0 means unlimited"* ]]
	jail --tmpfs /tmp:size=1M -- true
	[ "$status" -eq 0 ]
	jail --hostname $'evil\e]2;pwned\a\e[31m' -- true
	[ "$status" -eq 125 ]
	[ "$output" = "cloison: invalid hostname 'evil\\x1b]2;pwned\\x07\\x1b[31m': 1-64 letters, digits, '-' or '.'" ]
	[[ "$output" != *$'\e'* ]]
}

@test "review: a failed set-up removes the mount point it made inside a bind source (by its directory, not a path)" {
	local d
	d=$(mktemp -d /tmp/cloison-undo.XXXXXX)
	cp -a "$ROOTFS/." "$d/root"
	ln -s /etc "$d/root/esc"
	mkdir "$d/app"
	run "$CLOISON" run --rootfs "$d/root" --bind "$d/app:/app" --tmpfs /app/key --tmpfs /esc/x -- true
	local st=$status out=$output left
	left=$(ls -A "$d/app"; ls -d "$d/root/app" 2>/dev/null || true)
	rm -rf "$d"
	[ "$st" -eq 125 ]
	[[ "$out" == *"/esc/x leaves the rootfs"* ]]
	[ -z "$left" ] || { echo "left: $left"; false; }
}

@test "review: with --userns and CAP_SYS_ADMIN the jail cannot lift a flag its bind inherited from the host" {
	local d
	d=$(mktemp -d /tmp/cloison-lock.XXXXXX)
	chmod 755 "$d"
	cp -a "$ROOTFS/." "$d/root"
	mkdir "$d/ro"
	# a host mount that is read-only (in a mount namespace of the test's own)
	run unshare -m --propagation private sh -c 'mount -t tmpfs -o ro,mode=0777 cltest "$1/ro" && shift && exec "$@"' sh "$d" \
		"$CLOISON" run --rootfs "$d/root" --userns --cap-add SYS_ADMIN --seccomp unconfined \
		--bind "$d/ro:/mnt" -- sh -c 'mount -o remount,bind,rw /mnt; touch /mnt/x && echo WROTE'
	local out=$output
	rm -rf "$d"
	echo "$out"
	[[ "$out" != *WROTE* ]]
}
