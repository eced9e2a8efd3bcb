#!/usr/bin/env bats
# The man pages match the binary: every option `cloison run --help` prints is
# documented in man/cloison-run.1 and nothing more; every command of
# `cloison --help` has its page; every page renders without warnings.
#
# Options are read from the OPTIONS section of a page: the tag line of each
# .TP paragraph there (e.g. `.BR \-e ", " \-\-env " \fIKEY\fB=\fIVALUE\fR"`).

setup() {
	ROOT="$BATS_TEST_DIRNAME/.."
	CL="${CLOISON:-$ROOT/build/cloison}"
	MAN="$ROOT/man"
	[ -x "$CL" ] || {
		echo "build/cloison is missing: run make first" >&2
		return 1
	}
}

# help_long_opts TEXT: the long options of the option lines of a --help text,
# e.g. "  -e, --env KEY=VALUE ..." or "  --rootfs DIR ...", one per line.
help_long_opts() {
	sed -nE 's/^  (-[A-Za-z], )?--([a-z0-9][a-z0-9-]*).*/--\2/p' <<<"$1" | sort -u
}

# help_short_pairs TEXT: "-x --long" for each "-x, --long" option line.
help_short_pairs() {
	sed -nE 's/^  (-[A-Za-z]), (--[a-z0-9][a-z0-9-]*).*/\1 \2/p' <<<"$1" | sort -u
}

# section PAGE NAME: the roff source of section NAME (.SH NAME to the next .SH).
section() {
	awk -v want="$2" '
		/^\.SH / { name = substr($0, 5); gsub(/"/, "", name); on = (name == want); next }
		on' "$1"
}

# tag_lines PAGE SECTION: the tag line of every .TP in a section, with roff's
# "\-" turned into "-".
tag_lines() {
	section "$1" "$2" | awk 'tp { print; tp = 0 } /^\.TP/ { tp = 1 }' | sed 's/\\-/-/g'
}

# man_long_opts PAGE: the long options documented in the OPTIONS section.
man_long_opts() {
	tag_lines "$1" OPTIONS | grep -oE -- '--[a-z0-9][a-z0-9-]*' | sort -u
}

# commands: the sub-commands listed by `cloison --help`.
commands() {
	"$CL" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit }
		on && /^  [a-z]/ { print $1 }'
}

# compare_opts HELP_TEXT PAGE: every option in one is in the other.
compare_opts() {
	local help_opts man_opts missing extra
	help_opts=$(help_long_opts "$1")
	man_opts=$(man_long_opts "$2")
	[ -n "$help_opts" ] || { echo "no options found in the --help text"; return 1; }
	missing=$(comm -23 <(echo "$help_opts") <(echo "$man_opts"))
	extra=$(comm -13 <(echo "$help_opts") <(echo "$man_opts"))
	[ -z "$missing" ] || echo "in --help but not in $(basename "$2"): $missing"
	[ -z "$extra" ] || echo "in $(basename "$2") but not in --help: $extra"
	[ -z "$missing" ] && [ -z "$extra" ]
}

@test "man: every option of 'cloison run --help' is in cloison-run(1) and vice versa" {
	run "$CL" run --help
	[ "$status" -eq 0 ]
	compare_opts "$output" "$MAN/cloison-run.1"
}

@test "man: cloison-run(1) pairs each short option with its long one as --help does" {
	local help tags pair short long
	help=$("$CL" run --help)
	tags=$(tag_lines "$MAN/cloison-run.1" OPTIONS)
	[ -n "$(help_short_pairs "$help")" ]
	while read -r short long; do
		grep -E -- "(^|[ \"])$short\b" <<<"$(grep -E -- "$long([^a-z0-9-]|\$)" <<<"$tags")" >/dev/null || {
			echo "$short, $long: not documented together in cloison-run(1)"
			return 1
		}
	done <<<"$(help_short_pairs "$help")"
}

@test "man: every option of 'cloison check --help' is in cloison-check(1) and vice versa" {
	run "$CL" check --help
	[ "$status" -eq 0 ]
	# check's usage line is "Usage: cloison check [--json]": take options from it
	local opts
	opts=$(grep -oE -- '--[a-z0-9][a-z0-9-]*' <<<"$output" | sort -u | sed 's/^/  /')
	compare_opts "$opts" "$MAN/cloison-check.1"
}

@test "man: every option of 'cloison exec --help' is in cloison-exec(1) and vice versa" {
	run "$CL" exec --help
	[ "$status" -eq 0 ]
	compare_opts "$output" "$MAN/cloison-exec.1"
}

@test "man: every option of 'cloison generate unit --help' is in cloison-generate(1) and vice versa" {
	run "$CL" generate unit --help
	[ "$status" -eq 0 ]
	compare_opts "$output" "$MAN/cloison-generate.1"
}

@test "man: every option of 'cloison stats --help' is in cloison-stats(1) and vice versa" {
	run "$CL" stats --help
	[ "$status" -eq 0 ]
	compare_opts "$output" "$MAN/cloison-stats.1"
}

@test "man: every option of 'cloison bench --help' is in cloison-bench(1) and vice versa" {
	run "$CL" bench --help
	[ "$status" -eq 0 ]
	compare_opts "$output" "$MAN/cloison-bench.1"
}

@test "man: every command of 'cloison --help' has its page and is in cloison(1)" {
	local cmds cmd tags
	cmds=$(commands)
	[ -n "$cmds" ]
	tags=$(tag_lines "$MAN/cloison.1" COMMANDS | sed -E 's/^\.[A-Z]+ +//')
	for cmd in $cmds; do
		grep -qE "^\"?$cmd\b" <<<"$tags" || { echo "$cmd: not in COMMANDS of cloison(1)"; return 1; }
		[ "$cmd" = help ] && continue # documented in cloison(1) itself
		[ -f "$MAN/cloison-$cmd.1" ] || { echo "$cmd: man/cloison-$cmd.1 is missing"; return 1; }
	done
}

@test "man: every man/cloison-*.1 names a command of 'cloison --help', or is a page it names" {
	local f cmd cmds help
	cmds=$(commands)
	help=$("$CL" --help)
	for f in "$MAN"/cloison-*.1; do
		cmd=$(basename "$f" .1)
		cmd=${cmd#cloison-}
		grep -qx "$cmd" <<<"$cmds" || grep -qF "see cloison-$cmd(1)" <<<"$help" ||
			{ echo "$(basename "$f"): no command '$cmd' in cloison --help, nor 'see cloison-$cmd(1)'"; return 1; }
	done
}

# oci_block: the OCI runtime lines of `cloison --help` (to the blank line)
oci_block() {
	"$CL" --help | awk '/^OCI runtime/ { on = 1; next } on && /^$/ { exit } on'
}

@test "man: cloison-oci(1) has every OCI command and global option 'cloison --help' lists" {
	local block cmds cmd opt tags
	block=$(oci_block)
	[ -n "$block" ]
	grep -q 'see cloison-oci(1)' <<<"$block"
	cmds=$(tr ' ' '\n' <<<"$block" | grep -F '|' | tr '|' '\n' | grep -E '^[a-z]+$' | sort -u)
	[ "$(wc -l <<<"$cmds")" -ge 10 ]
	tags=$(tag_lines "$MAN/cloison-oci.1" COMMANDS | sed -E 's/^\.[A-Z]+ +//')
	for cmd in $cmds; do
		grep -qE "^\"?$cmd\b" <<<"$tags" || { echo "$cmd: not in COMMANDS of cloison-oci(1)"; return 1; }
	done
	tags=$(tag_lines "$MAN/cloison-oci.1" "GLOBAL OPTIONS")
	for opt in $(grep -oE -- '--[a-z][a-z-]*' <<<"$block" | sort -u); do
		grep -qE -- "$opt([^a-z-]|\$)" <<<"$tags" || { echo "$opt: not in GLOBAL OPTIONS of cloison-oci(1)"; return 1; }
	done
}

@test "man: every option of the OCI create and run usages is in cloison-oci(1)" {
	local cmd opt tags
	tags=$(tag_lines "$MAN/cloison-oci.1" COMMANDS)
	for cmd in create run; do
		run "$CL" --root "$BATS_TEST_TMPDIR/oci" "$cmd" --help
		[ "$status" -eq 0 ]
		[[ "$output" == *"cloison-oci(1)"* ]]
		for opt in $(grep -oE -- '--[a-z][a-z-]*' <<<"$output" | sort -u); do
			grep -qE -- "$opt([^a-z-]|\$)" <<<"$tags" || { echo "$cmd $opt: not in cloison-oci(1)"; return 1; }
		done
	done
}

@test "man: each page's .TH names its file" {
	local f name th
	for f in "$MAN"/*.1; do
		name=$(basename "$f" .1)
		th=$(sed -n 's/^\.TH \([^ ]*\) \([0-9]\).*/\1(\2)/p' "$f" | sed 's/\\-/-/g')
		[ "$th" = "${name^^}(1)" ] || { echo "$(basename "$f"): .TH says $th"; return 1; }
	done
}

@test "man: every cloison page named in SEE ALSO exists" {
	local f ref
	for f in "$MAN"/*.1; do
		for ref in $(section "$f" "SEE ALSO" | sed 's/\\-/-/g' | grep -oE 'cloison(-[a-z]+)? \([0-9]\)' | tr -d ' '); do
			[ -f "$MAN/${ref%(*}.${ref:(-2):1}" ] || { echo "$(basename "$f"): SEE ALSO $ref has no page"; return 1; }
		done
	done
}

@test "man: groff renders every page without warnings" {
	command -v groff >/dev/null || skip "groff is not installed"
	local f out
	for f in "$MAN"/*.1; do
		out=$(groff -man -Tutf8 -ww "$f" 2>&1 >/dev/null)
		[ -z "$out" ] || { echo "$(basename "$f"): $out"; return 1; }
		[ -n "$(groff -man -Tutf8 "$f" 2>/dev/null | tr -d '[:space:]')" ] || { echo "$(basename "$f"): renders empty"; return 1; }
	done
}

@test "man: mandoc -Tlint finds nothing in any page" {
	command -v mandoc >/dev/null || skip "mandoc is not installed"
	run mandoc -Tlint "$MAN"/*.1
	[ -z "$output" ] || { echo "$output"; return 1; }
}
