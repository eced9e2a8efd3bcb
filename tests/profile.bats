#!/usr/bin/env bats
# Profiles: the shipped ones, the format, the errors, the commands.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	TMP=$(mktemp -d /tmp/cloison-profile.XXXXXX)
	cd "$TOP" # ./profiles is on the search path
}

teardown() {
	rm -rf "$TMP"
}

SHIPPED="default ci-sandbox service untrusted"

# strip comments from profile show output
settings() {
	grep -v '^#' <<<"$1" || true
}

@test "profile list: the shipped profiles, each with what it is for" {
	run "$CLOISON" profile list
	[ "$status" -eq 0 ]
	for p in $SHIPPED; do
		grep -qE "^$p +[a-zA-Z].{20,}" <<<"$output" || { echo "$p: no description"; return 1; }
		# as found first: the checkout's profiles/ unless installed (make install)
		grep -qE "\[($TOP/profiles|/etc/cloison/profiles|/usr/local/share/cloison/profiles)/$p.profile\]" <<<"$output"
		head -1 "profiles/$p.profile" | grep -qE "^# $p: " # a comment header saying what it is for
	done
}

@test "every shipped profile passes profile check" {
	run "$CLOISON" profile check $SHIPPED
	[ "$status" -eq 0 ]
	for p in $SHIPPED; do
		grep -qxE "($TOP/profiles|/etc/cloison/profiles|/usr/local/share/cloison/profiles)/$p.profile: ok" <<<"$output"
	done
}

@test "the default profile is what cloison run uses without one" {
	run "$CLOISON" profile show default
	[ "$status" -eq 0 ]
	local with=$output
	run "$CLOISON" profile show
	[ "$status" -eq 0 ]
	[ -z "$(settings "$output")" ]
	[ "$(settings "$with")" = "$(settings "$output")" ]
	# and it says something: every key it spells out is a real setting
	[ "$(grep -cvE '^(#|$)' profiles/default.profile)" -ge 10 ]
	# the same jail, seen from inside
	jail -- sh -c 'hostname; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status'
	local plain=$output
	jail --profile default -- sh -c 'hostname; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status'
	[ "$output" = "$plain" ]
}

@test "profile show output is a profile that gives the same settings" {
	for p in $SHIPPED; do
		"$CLOISON" profile show "$p" >"$TMP/$p.profile"
		run "$CLOISON" profile show "$TMP/$p.profile"
		[ "$status" -eq 0 ]
		[ "$(settings "$output")" = "$(settings "$(cat "$TMP/$p.profile")")" ] || { echo "$p differs"; return 1; }
	done
}

@test "default profile runs a command" {
	jail --profile default -- cltest syscall unshare 0x10000000
	[ "$output" = "unshare: EPERM" ]
}

@test "ci-sandbox: no network, a throw-away root, writable work dir and sized /tmp, limits" {
	mkdir "$TMP/src"
	cd "$TMP/src"
	run "$CLOISON" run --rootfs "$ROOTFS" --profile "$TOP/profiles/ci-sandbox.profile" -- sh -c '
		pwd; hostname; echo built > result; touch /etc/ci-x && echo rw;
		df -k /tmp | tail -1 | awk "{print \$2}"; ls /sys/class/net; grep NoNewPrivs /proc/self/status;
		cltest syscall unshare 0x10000000; true'
	[ "$status" -eq 0 ]
	echo "$output"
	[ "${lines[0]}" = /work ]
	[ "${lines[1]}" = ci ]
	[ "${lines[2]}" = rw ]
	[ ! -e "$ROOTFS/etc/ci-x" ] # the rootfs is the overlay's lower layer
	[ "${lines[3]}" = 524288 ]
	[ "${lines[4]}" = lo ]
	[ "${lines[5]}" = $'NoNewPrivs:\t1' ]
	[ "${lines[6]}" = "unshare: EPERM" ]
	[ "$(cat "$TMP/src/result")" = built ]
	run "$CLOISON" profile show "$TOP/profiles/ci-sandbox.profile"
	grep -qx "bind $TMP/src:/work" <<<"$output" # ${PWD} is cloison's directory
	grep -qE '^(memory|pids|timeout) ' <<<"$output"
}

@test "service: init as pid 1, a data directory, few capabilities" {
	mkdir "$TMP/data"
	CLOISON_DATA="$TMP/data" run "$CLOISON" run --rootfs "$ROOTFS" --profile service -- sh -c '
		cat /proc/1/comm; pwd; echo saved > /data/state; hostname; grep CapEff /proc/self/status'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" = *cloison-i* ]] # the init's memfd
	[ "${lines[1]}" = /data ]
	[ "${lines[2]}" = service ]
	[ "${lines[3]}" = $'CapEff:\t00000000000004c0' ] # SETGID SETUID NET_BIND_SERVICE
	[ "$(cat "$TMP/data/state")" = saved ]
}

@test "untrusted: user namespace as root, no capabilities, an allow-list" {
	jail --profile untrusted -- sh -c '
		cat /proc/self/uid_map | awk "{print \$2}"; grep CapEff /proc/self/status;
		echo hi | cat; cltest syscall socket 1 1 0; cltest syscall socket 2 1 0;
		cltest syscall getppid; cltest syscall ptrace 0; cltest syscall clone3 0; true'
	[ "$status" -eq 0 ]
	echo "$output"
	[ "${lines[0]}" != 0 ] # root inside is not root outside
	[ "${lines[1]}" = $'CapEff:\t0000000000000000' ]
	[ "${lines[2]}" = hi ]
	[ "${lines[3]}" = "socket: ok" ]
	[ "${lines[4]}" = "socket: EPERM" ]
	[ "${lines[5]}" = "socket: ok" ] || [ "${lines[5]}" = "getppid: ok" ]
	grep -qx "ptrace: EPERM" <<<"$output"
	grep -qx "clone3: ENOSYS" <<<"$output"
}

@test "untrusted: TIOCSTI stays denied with junk in the upper half of ioctl's 32-bit request" {
	# stdin is /dev/null: a request that gets through fails with ENOTTY
	jail --profile untrusted -- sh -c 'cltest syscall ioctl 0 0x5412 0; cltest syscall ioctl 0 0x100005412 0; cltest syscall ioctl 0 0x541B 0'
	[ "${lines[0]}" = "ioctl: EPERM" ]
	[ "${lines[1]}" = "ioctl: EPERM" ]
	[ "${lines[2]}" = "ioctl: ENOTTY" ]
}

@test "profile show escapes \$ so that a value with \$\$ or \${ reads back the same" {
	printf 'env A=$${HOME}\nenv B=$$$$\nenv C=a$$b $$x\n' >"$TMP/d.profile"
	run "$CLOISON" profile show "$TMP/d.profile"
	[ "$status" -eq 0 ]
	"$CLOISON" profile show "$TMP/d.profile" >"$TMP/e.profile"
	run "$CLOISON" profile show "$TMP/e.profile"
	[ "$status" -eq 0 ]
	[ "$(settings "$output")" = "$(settings "$(cat "$TMP/e.profile")")" ]
	jail --profile "$TMP/e.profile" -- sh -c 'echo "$A"; echo "$B"; echo "$C"'
	[ "${lines[0]}" = '${HOME}' ]
	[ "${lines[1]}" = '$$' ]
	[ "${lines[2]}" = 'a$b $x' ]
}

@test "flags override the profile, profiles apply in order, later lines override earlier ones" {
	printf 'hostname first\nhostname second\nenv A=1\n' >"$TMP/a.profile"
	printf 'include a.profile\nhostname third\n' >"$TMP/b.profile"
	jail --profile "$TMP/a.profile" -- hostname
	[ "$output" = second ]
	jail --profile "$TMP/b.profile" -- sh -c 'hostname; echo $A'
	[ "${lines[0]}" = third ]
	[ "${lines[1]}" = 1 ]
	jail --hostname flag --profile "$TMP/b.profile" -- hostname
	[ "$output" = flag ]
	jail --profile "$TMP/b.profile" --profile "$TMP/a.profile" -- hostname
	[ "$output" = second ]
	# a bare flag is true, "false" turns it off
	printf 'read-only\nread-only false\n' >"$TMP/rw.profile"
	jail --profile "$TMP/rw.profile" -- sh -c 'touch /.rw-test && rm /.rw-test && echo rw'
	[ "$output" = rw ]
	printf 'read-only\n' >"$TMP/ro.profile"
	jail --profile "$TMP/ro.profile" -- sh -c 'touch /.rw-test 2>/dev/null || echo ro'
	[ "$output" = ro ]
}

@test "search path: a bare name never comes from the current directory (an untrusted checkout)" {
	# a hostile repository ships its own ci-sandbox: every capability, host network
	mkdir "$TMP/profiles"
	printf 'cap-add ALL\nseccomp unconfined\nhostname hijacked\n' >"$TMP/profiles/ci-sandbox.profile"
	printf '# mine: a test profile\nhostname from-cwd\n' >"$TMP/profiles/mine.profile"
	cd "$TMP"
	run "$CLOISON" run --rootfs "$ROOTFS" --profile ci-sandbox -- sh -c 'hostname; grep CapEff /proc/self/status'
	[ "$status" -eq 0 ]
	[[ "$output" != *hijacked* ]]
	[[ "$output" != *000001ffffffffff* ]]
	run "$CLOISON" profile show ci-sandbox
	[[ "$output" != *hijacked* ]]
	run "$CLOISON" profile list
	[[ "$output" != *"a test profile"* ]]
	# the project's own profile is named by path
	run "$CLOISON" run --rootfs "$ROOTFS" --profile mine -- hostname
	[ "$status" -eq 125 ]
	grep -qF "cannot find profile 'mine' (looked for mine.profile in /etc/cloison/profiles, /usr/local/share/cloison/profiles, $TOP/profiles)" <<<"$output"
	run "$CLOISON" run --rootfs "$ROOTFS" --profile ./profiles/mine.profile -- hostname
	[ "$output" = from-cwd ]
	# a file of the current directory given as a bare NAME.profile: told how to name it
	cp profiles/mine.profile .
	run "$CLOISON" profile show mine.profile
	[ "$status" -eq 125 ]
	grep -qF "say ./mine.profile" <<<"$output"
}

@test "search path: the uninstalled build finds the checkout's profiles from any directory" {
	cd /
	run "$CLOISON" profile check ci-sandbox
	[ "$status" -eq 0 ]
	[[ "$output" == "$TOP/profiles/ci-sandbox.profile: ok" || "$output" == /*/cloison/profiles/ci-sandbox.profile:\ ok ]]
	cd "$TMP" # ci-sandbox binds it writable: private to root
	run "$CLOISON" run --rootfs "$ROOTFS" --profile ci-sandbox -- true
	[ "$status" -eq 0 ]
	# a copy of the binary away from its checkout has no checkout profiles
	cp "$CLOISON" "$TMP/cloison"
	run "$TMP/cloison" profile list
	[[ "$output" != *"[$TOP/profiles/"* ]]
}

@test "search path: /etc/cloison/profiles before the shipped ones; include is relative to the including file" {
	local sys=/etc/cloison/profiles name=cltest-prec-$$
	[ -d "$sys" ] || { mkdir -p "$sys"; touch "$TMP/made-etc"; }
	printf 'hostname from-etc\n' >"$sys/$name.profile"
	printf 'include %s\n' "$name" >"$sys/$name-inc.profile"
	printf 'hostname from-dir\n' >"$TMP/$name.profile"
	printf 'include %s.profile\n' "$name" >"$TMP/inc.profile"
	mkdir "$TMP/profiles"
	printf 'hostname from-cwd\n' >"$TMP/profiles/$name.profile"
	cd "$TMP/profiles"
	run "$CLOISON" run --rootfs "$ROOTFS" --profile "$name" -- hostname
	out1=$output
	run "$CLOISON" run --rootfs "$ROOTFS" --profile "$name-inc" -- hostname
	out2=$output
	cd /
	run "$CLOISON" run --rootfs "$ROOTFS" --profile "$TMP/inc.profile" -- hostname
	out3=$output
	rm -f "$sys/$name.profile" "$sys/$name-inc.profile"
	[ ! -e "$TMP/made-etc" ] || rmdir "$sys" /etc/cloison
	[ "$out1" = from-etc ]
	[ "$out2" = from-etc ]
	[ "$out3" = from-dir ]
}

@test "variables: \${PWD}, \${VAR}, \${VAR:-default}, \$\$; an unset one is an error" {
	printf 'env A=${PWD}\nenv B=${CL_TEST_VAR}\nenv C=${CL_UNSET_VAR:-dflt}\nenv D=$$5 $x\n' >"$TMP/v.profile"
	cd "$TMP"
	CL_TEST_VAR=val run "$CLOISON" profile show ./v.profile
	[ "$status" -eq 0 ]
	grep -qx "env A=$TMP" <<<"$output"
	grep -qx "env B=val" <<<"$output"
	grep -qx "env C=dflt" <<<"$output"
	grep -qxF 'env D=$5 $x' <<<"$output"
	printf 'hostname ok\nenv B=${CL_UNSET_VAR}\n' >"$TMP/u.profile"
	run "$CLOISON" profile check ./u.profile
	[ "$status" -eq 1 ]
	[ "$output" = "cloison: ./u.profile:2: \${CL_UNSET_VAR} is not set (give a default: \${CL_UNSET_VAR:-VALUE})" ]
}

# bad PROFILE-TEXT EXPECTED: check fails with exactly EXPECTED, and a run with
# it starts nothing.
bad() {
	printf "$1" >"$TMP/bad.profile"
	run "$CLOISON" profile check "$TMP/bad.profile"
	[ "$status" -eq 1 ] || { echo "check: status $status"; return 1; }
	[ "$output" = "cloison: $TMP/bad.profile:$2" ] || { echo "got: $output"; return 1; }
	mkdir -p "$TMP/mark"
	run "$CLOISON" run --rootfs "$ROOTFS" --bind "$TMP/mark:/mark" --profile "$TMP/bad.profile" -- touch /mark/started
	[ "$status" -eq 125 ]
	[ "$output" = "cloison: $TMP/bad.profile:$2" ]
	[ ! -e "$TMP/mark/started" ] || { echo "the jail started"; return 1; }
}

@test "malformed: unknown key, bad values, did you mean CAP_SYS_ADMIN" {
	bad '# a comment\nhostname ok\nhostnme web\n' "3: unknown setting 'hostnme' (did you mean hostname?)"
	bad 'cap-add CAP_SYS_ADMN\n' "1: unknown capability 'CAP_SYS_ADMN' (did you mean CAP_SYS_ADMIN?)"
	bad '\n\npreserve-fds lots\n' "3: invalid value 'lots': expected a whole number from 0 to 1024"
	bad 'read-only maybe\n' "1: invalid value 'maybe': expected true or false"
	bad 'hostname\n' "1: 'hostname' needs a value (NAME)"
	bad 'bind /x\n' "1: invalid bind '/x': expected SRC:DST[:ro]"
	bad 'learn-seccomp /tmp/x\n' "1: 'learn-seccomp' is a command-line option (--learn-seccomp), not a profile setting"
	bad 'deny socket arg0 == AF_NETLNK\n' "1: unknown constant 'AF_NETLNK' (did you mean AF_NETLINK?)"
	bad 'seccomp default-action errno\n' "1: 'errno' needs a value: errno:EPERM, errno:EACCES, errno:38, ..."
}

@test "malformed: include cycle, missing include" {
	printf 'hostname a\ninclude b.profile\n' >"$TMP/a.profile"
	printf '# b\ninclude a\n' >"$TMP/b.profile"
	printf 'include a\n' >"$TMP/bad.profile"
	run "$CLOISON" profile check "$TMP/bad.profile"
	[ "$status" -eq 1 ]
	[ "$output" = "cloison: $TMP/b.profile:2: include cycle: $TMP/a.profile -> $TMP/b.profile -> $TMP/a.profile" ]
	bad 'hostname x\ninclude no-such-profile\n' "2: cannot find profile 'no-such-profile' (looked for no-such-profile.profile in $TMP, /etc/cloison/profiles, /usr/local/share/cloison/profiles, $TOP/profiles)"
	# an error inside an included file names that file
	printf 'hostname bad_name!\n' >"$TMP/inner.profile"
	printf 'include inner\n' >"$TMP/outer.profile"
	run "$CLOISON" profile check "$TMP/outer.profile"
	[ "$status" -eq 1 ]
	[ "$output" = "cloison: $TMP/outer.profile: invalid hostname 'bad_name!': 1-64 letters, digits, '-' or '.'" ]
}

@test "malformed: includes that fan out (each level includes the next twice) stop at 256 files" {
	for i in $(seq 1 12); do printf 'include l%d\ninclude l%d\n' $((i + 1)) $((i + 1)) >"$TMP/l$i.profile"; done
	printf 'hostname deep\n' >"$TMP/l13.profile"
	run timeout 20 "$CLOISON" profile check "$TMP/l1.profile"
	[ "$status" -eq 1 ]
	grep -q ": more than 256 profiles read in all" <<<"$output"
	grep -q "^cloison: $TMP/l[0-9]*.profile:[12]: " <<<"$output" # names FILE:LINE
	# a few levels are fine
	run "$CLOISON" profile show "$TMP/l9.profile" # 1 + 2 + 4 + 8 + 16 files
	[ "$status" -eq 0 ]
	grep -qx "hostname deep" <<<"$output"
}

@test "malformed: binary garbage, a too-long line, not a regular file" {
	{ printf '\001'; head -c 64 /dev/urandom | tr -d '\n'; } >"$TMP/garbage"
	bad 'hostname x\n\177ELF\002\001\001\n' "2: unexpected control character 0x7f: a profile is text"
	bad 'env A=\000B\n' "1: unexpected control character 0x00: a profile is text"
	bad "hostname x\nenv A=$(head -c 5000 /dev/zero | tr '\0' a)\n" "2: line too long (more than 4096 bytes)"
	run "$CLOISON" profile check /dev/null
	[ "$status" -eq 1 ]
	[ "$output" = "cloison: cannot read profile /dev/null: not a regular file" ]
	run "$CLOISON" profile check "$TMP/garbage" "$TOP/profiles/default.profile"
	[ "$status" -eq 1 ] # one bad, one good
	grep -q "^cloison: $TMP/garbage:1: " <<<"$output"
	grep -qx "$TOP/profiles/default.profile: ok" <<<"$output"
}

@test "profile check validates settings together, and the CLI rejects misuse" {
	printf 'kernel /boot/vmlinuz\n' >"$TMP/k.profile"
	run "$CLOISON" profile check "$TMP/k.profile"
	[ "$status" -eq 1 ]
	grep -q -- "cloison: $TMP/k.profile: --kernel needs --vm" <<<"$output"
	run "$CLOISON" profile
	[ "$status" -eq 125 ]
	run "$CLOISON" profile check
	[ "$status" -eq 125 ]
	run "$CLOISON" profile show nosuch
	[ "$status" -eq 125 ]
}

@test "every setting is documented in cloison.profile(5), with its own entry" {
	run "$CLOISON" profile keys
	[ "$status" -eq 0 ]
	local keys
	keys=$(awk '{print $1}' <<<"$output")
	[ "$(wc -l <<<"$keys")" -ge 25 ]
	local tags
	tags=$(awk '/^\.SH SETTINGS/ { on = 1 } /^\.SH SECCOMP/ { on = 0 } on && tp { print; tp = 0 } /^\.TP/ { tp = 1 }' \
		"$TOP/man/cloison.profile.5" | sed 's/\\-/-/g')
	for k in $keys; do
		grep -qE "^\.B[IR]? \"?$k( |\"|$)" <<<"$tags" || { echo "$k: no entry in SETTINGS of cloison.profile(5)"; return 1; }
	done
}

@test "cloison.profile(5) and cloison-profile(1) render cleanly; profile --help matches its page" {
	command -v groff >/dev/null || skip "groff is not installed"
	for f in "$TOP/man/cloison.profile.5" "$TOP/man/cloison-profile.1"; do
		out=$(groff -man -Tutf8 -ww "$f" 2>&1 >/dev/null)
		[ -z "$out" ] || { echo "$f: $out"; return 1; }
		if command -v mandoc >/dev/null; then
			out=$(mandoc -Tlint "$f")
			[ -z "$out" ] || { echo "$out"; return 1; }
		fi
	done
	run "$CLOISON" profile --help
	[ "$status" -eq 0 ]
	for cmd in list show check keys --seccomp-default; do
		grep -q -- "$cmd" <<<"$output"
		grep -q -- "$(sed 's/-/\\\\-/g' <<<"$cmd")" "$TOP/man/cloison-profile.1"
	done
}
