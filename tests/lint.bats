#!/usr/bin/env bats
# Lint of the suites themselves: assertions that can never fail.
#
# bats runs a test with errexit, but bash ignores the status of a command
# negated with `!` (and of a pipeline starting with one) everywhere except
# as the last command: `! grep -q x file` in the middle of a test checks
# nothing.  Write `run ! cmd`, `[ ... ]`, or `! cmd || false` instead.
# (/work/shared/hooks/before-stop runs an awk check of the same rule.)

# dead_bangs FILE...: "FILE:LINE: text" for each `! cmd` line that is not
# the last command of its @test or function body and has no `||` after it.
dead_bangs() {
	awk '
	FNR == 1 { body = 0; cand = ""; here = "" }
	# inside a heredoc: skip to its terminator
	here != "" { t = $0; gsub(/^[ \t]+|[ \t]+$/, "", t); if (t == here) here = ""; next }
	/^@test .*\{[ \t]*$/ || /^(function[ \t]+)?[A-Za-z_][A-Za-z0-9_]*[ \t]*\(\)[ \t]*\{[ \t]*$/ { body = 1; cand = ""; next }
	body && /^\}[ \t]*$/ { body = 0; cand = ""; next }
	!body { next }
	/^[ \t]*(#|$)/ { next }
	{
		if (cand != "") print cand
		cand = ""
		if ($0 ~ /^[ \t]*![ \t]/ && $0 !~ /\|\|/) cand = FILENAME ":" FNR ": " $0
		if (match($0, /<<-?[ \t]*["\x27]?[A-Za-z_]+["\x27]?/)) {
			here = substr($0, RSTART, RLENGTH)
			sub(/^<<-?[ \t]*["\x27]?/, "", here)
			sub(/["\x27]$/, "", here)
		}
	}' "$@"
}

@test "lint: the check finds a dead \`! cmd\` and accepts the forms that can fail" {
	local f="$BATS_TEST_TMPDIR/sample.bats"
	# written with stand-ins: bats would take an @test line here for its own,
	# and the hook would flag the bangs
	sed -e 's/^\( *\)TEST /\1@test /' -e 's/NOT /! /' >"$f" <<-'EOF'
		TEST "dead" {
			run true
			NOT grep -q x /dev/null
			[ "$status" -eq 0 ]
		}
		TEST "in a loop, even at the end of its body" {
			for i in 1 2; do
				NOT false
			done
		}
		helper() {
			NOT pgrep -f never
			true
		}
		TEST "alive" {
			NOT grep -q x /dev/null || false
			run NOT false
			python3 - <<-'PY'
				NOT not shell
				x = 1
			PY
			# a comment
			NOT grep -q x /dev/null
		}
		last() {
			NOT grep -q x /dev/null
		}
	EOF
	run dead_bangs "$f"
	echo "$output"
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" == "$f:3: "* ]]
	[[ "${lines[1]}" == "$f:8: "* ]]
	[[ "${lines[2]}" == "$f:12: "* ]]
}

@test "lint: no \`! cmd\` assertion that bats would ignore, in any suite or helper" {
	cd "$BATS_TEST_DIRNAME/.."
	run dead_bangs tests/*.bats tests/*/*.bats tests/helpers.bash
	[ -z "$output" ] || { echo "these assertions can never fail (use run !, [ ], or ! cmd || false):"; echo "$output"; false; }
}

@test "lint: the project hook's own check (before-stop's awk) finds nothing either" {
	cd "$BATS_TEST_DIRNAME/.."
	run awk 'FNR==1{prev=""} /^[[:space:]]*$/{next}
		prev!="" && $0 !~ /^[[:space:]]*}[[:space:]]*$/ {print prev}
		{prev=""} /^[[:space:]]+! [^|&]*$/ {prev=FILENAME":"FNR": "$0}' tests/*.bats tests/*/*.bats
	[ -z "$output" ] || { echo "$output"; false; }
}

@test "the C sources are formatted as .clang-format says (make format fixes them)" {
	command -v clang-format >/dev/null || { echo "clang-format missing (make deps-test installs it)"; false; }
	local f bad=() n=0 top
	top="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
	while IFS= read -r f; do
		n=$((n + 1))
		clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
	done < <(find "$top/src" "$top/tests" -name '*.[ch]' | sort)
	# the sources were found (an unset directory once made this check nothing)
	[ "$n" -gt 100 ] || { echo "only $n C files under $top"; false; }
	[ "${#bad[@]}" -eq 0 ] || { printf 'not formatted (make format): %s\n' "${bad[@]}"; false; }
}
