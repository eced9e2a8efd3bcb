#!/usr/bin/env bats
# cloison bench: its correctness, never its timings (those are `make bench`'s).
# Each workload checks its result; a place that fails is reported as failed,
# not as a fast number; the JSON has the documented shape
# (tests/bench/check-bench-json) and the SVG one group per workload.

bats_require_minimum_version 1.5.0
load helpers

WORK="$TOP/build/cloison-bench-work"
CHECK="$TOP/tests/bench/check-bench-json"

setup() {
	TMP=$(mktemp -d /tmp/cloison-bench-test.XXXXXX)
	[ -x "$WORK" ] || {
		echo "$WORK is missing: make" >&2
		return 1
	}
}

teardown() {
	[ -z "${NS:-}" ] || ip netns del "$NS" 2>/dev/null || true
	rm -rf "$TMP"
}

# what a bench run must not leave: its directories, cgroups, processes
no_leftovers() {
	run -0 sh -c 'ls -d /var/tmp/cloison-bench.* /dev/shm/cloison-bench.* '"$TMP"'/cloison-bench.* 2>/dev/null; find /sys/fs/cgroup -maxdepth 6 -name "cloison-bench-density-*" 2>/dev/null; pgrep -x cloison-bench-w || true'
	[ -z "$output" ] || {
		echo "left behind: $output"
		return 1
	}
}

@test "smoke: --runs 1 --only syscalls,cpu: host and container figures, the VM column says why it is missing" {
	run "$CLOISON" bench --rootfs "$ROOTFS" --runs 1 --only syscalls,cpu --size 16 --dir "$TMP" \
		--json "$TMP/b.json" --svg "$TMP/b.svg"
	echo "$output"
	[ "$status" -eq 0 ]
	local m
	for m in getppid openclose walk sha256; do
		# a number in the host column, a number and a percentage in the container's
		[[ "$output" =~ $'\n'"$m "+[A-Za-z/]+" "+[0-9.e+]+" "+[0-9.e+]+" ("[0-9]+"%)" ]] || {
			echo "no figures for $m"
			return 1
		}
	done
	# a workload not asked for is not shown
	[[ "$output" != *memcpy* ]]
	# the host facts that explain the figures
	[[ "$output" == *"virtualisation: "* && "$output" == *"cgroups: "* && "$output" == *"kernel: Linux"* ]]
	run -0 "$CHECK" "$TMP/b.json" "$TMP/b.svg"
	# this host's /dev/kvm: either a VM column or the reason it has none
	run -0 python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for m in d["metrics"]:
    r = m["results"]
    assert r["host"]["status"] == "ok" and r["container"]["status"] == "ok", m
    assert r["vm"]["status"] in ("ok", "missing"), m
    if r["vm"]["status"] == "missing":
        assert "/dev/kvm" in r["vm"]["reason"] or "kernel" in r["vm"]["reason"], r["vm"]
print(len(d["metrics"]))' "$TMP/b.json"
	[ "$output" = 4 ]
	no_leftovers
}

@test "the workload binary checks its results: the SHA-256 is the expected one, bytes read back, FAIL when it cannot run" {
	run -0 "$WORK" -s 8 -t "$TMP" -d "$TMP" sha256 memcpy tmpfs disk fsync
	echo "$output"
	local want
	want=$(python3 -c 'import hashlib; b = bytes((j * 131 + 7) & 255 for j in range(4096)); print(hashlib.sha256(b * 2048).hexdigest())')
	[[ "$output" == *"sha256="$want* ]]
	[[ "$output" == *"memcpy "* && "$output" == *"tmpfs-read "* && "$output" == *"disk-read "* && "$output" == *"fsync "* ]]
	[[ "$output" != *FAIL* ]]
	[ -z "$(ls -A "$TMP")" ] # its files removed
	# a directory it cannot write: FAIL lines naming the workload, status 1
	run -1 "$WORK" -s 1 -t "$TMP/none" -d "$TMP/none" openclose disk
	[[ "$output" == *"FAIL openclose cannot create $TMP/none/cl-bench-open"* ]]
	[[ "$output" == *"FAIL disk-write cannot create $TMP/none/cl-bench-file"* ]]
	# no peer: FAIL, not a figure
	run -1 "$WORK" -s 1 -a 127.0.0.1 -p 1 tcp
	[[ "$output" == *"FAIL tcp-stream cannot connect to 127.0.0.1:1"* ]]
	run -2 "$WORK" bogus
	[[ "$output" == *"unknown workload bogus"* ]]
	# a link planted where a workload writes is removed, never followed
	mkdir "$TMP/d"
	echo precious >"$TMP/victim"
	ln -s "$TMP/victim" "$TMP/d/cl-bench-file"
	ln -s "$TMP/victim" "$TMP/d/cl-bench-fsync"
	run -0 "$WORK" -s 1 -d "$TMP/d" disk fsync
	run -0 cat "$TMP/victim"
	[ "$output" = precious ]
}

@test "a place that fails is reported as failed with its reason, never as a figure" {
	# a rootfs other users can reach: cloison run refuses it as root's jail
	mkdir -m 0755 "$TMP/pub"
	mkdir "$TMP/pub/rootfs"
	chmod 0755 "$TMP"
	run "$CLOISON" bench --rootfs "$TMP/pub/rootfs" --runs 2 --only getppid,faults --size 4 --dir "$TMP" --json "$TMP/f.json"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ $'\n'"getppid "+"ns/call "+[0-9.e+]+(" ±"[0-9]+"%")?" "+"FAILED" ]]
	[[ "$output" == *"FAILED (getppid container, faults container): cloison: rootfs $TMP/pub/rootfs can be reached by other host users"* ]]
	run -0 "$CHECK" "$TMP/f.json"
	run -0 python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for m in d["metrics"]:
    c = m["results"]["container"]
    assert c["status"] == "failed" and "samples" not in c and "rootfs" in c["reason"], c
    assert m["results"]["host"]["status"] == "ok"
assert d["goals"] == [], d["goals"]' "$TMP/f.json"
	chmod 0700 "$TMP"
	no_leftovers
}

@test "exec: cloison exec of true into a running container, against a plain fork+exec; the service gone after" {
	run "$CLOISON" bench --rootfs "$ROOTFS" --only exec --runs 1 --startup-runs 3 --dir "$TMP" --json "$TMP/e.json"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ $'\n'"exec "+"ms "+[0-9.e+]+[^$'\n']*" ("[0-9]+"%)" ]]
	run -0 "$CHECK" "$TMP/e.json"
	run -0 "$CLOISON" ps -a
	[[ "$output" != *cloison-bench-exec* ]]
	no_leftovers
}

@test "density: idle contexts counted in a 1 GiB cgroup up to the bound, the cgroup and the contexts gone after" {
	run "$CLOISON" bench --rootfs "$ROOTFS" --only density --density-max 3 --dir "$TMP" --json "$TMP/d.json"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ $'\n'"density "+"contexts "+"3 "+" "*"3 (100%)" ]]
	[[ "$output" == *"density, container: bound (--density-max 3) reached"* ]]
	run -0 "$CHECK" "$TMP/d.json"
	run -0 python3 -c '
import json, sys
d = {m["name"]: m["results"] for m in json.load(open(sys.argv[1]))["metrics"]}
assert d["idle-memory"]["host"]["median"] > 0 and d["idle-memory"]["container"]["median"] > 0
assert d["cloison-memory"]["host"]["status"] == "n/a"
assert d["cloison-memory"]["container"]["median"] > 0' "$TMP/d.json"
	no_leftovers
}

@test "tcp: the container reaches the bench's peer over the bridge (in a network namespace of the test's)" {
	NS=cltbench-$$
	ip netns add "$NS"
	ip netns exec "$NS" ip link set lo up
	CLOISON_NET_DIR="$TMP/net" run nsenter --net="/run/netns/$NS" "$CLOISON" bench --rootfs "$ROOTFS" \
		--runs 1 --only tcp --size 4 --dir "$TMP" --json "$TMP/t.json"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ $'\n'"tcp-stream "+"MiB/s "+[0-9.e+]+" "+[0-9.e+]+" (" ]]
	[[ "$output" =~ $'\n'"tcp-rr "+"us/round-trip "+[0-9.e+]+" "+[0-9.e+]+" (" ]]
	run -0 "$CHECK" "$TMP/t.json"
	no_leftovers
}

@test "vmexits: cloison's test guest measures port I/O, MMIO and cpuid exits, in the VM column only" {
	[ -r "$TOP/build/testguest.bzImage" ] || {
		echo "build/testguest.bzImage is missing: make" >&2
		return 1
	}
	[ -c /dev/kvm ] || {
		echo "no /dev/kvm" >&2
		return 1
	}
	run "$CLOISON" bench --runs 2 --only vmexits --dir "$TMP" --json "$TMP/v.json"
	echo "$output"
	[ "$status" -eq 0 ]
	local m
	for m in exit-pio exit-mmio exit-cpuid; do
		[[ "$output" =~ $'\n'"$m "+"ns/exit "+"n/a "+"n/a "+[0-9.e+]+" ±" ]] || {
			echo "no figure for $m"
			return 1
		}
	done
	run -0 "$CHECK" "$TMP/v.json"
	# no VMM left
	run -1 pgrep -f "testguest-bench-exits"
}

@test "interrupted: SIGINT ends the bench within its grace period, the context stopped, nothing left" {
	"$CLOISON" bench --rootfs "$ROOTFS" --runs 50 --only syscalls,cpu --size 16 --dir "$TMP" \
		>"$TMP/out" 2>"$TMP/err" &
	local pid=$! i
	# once the first counted run is done, a context is running or about to
	for ((i = 0; i < 600; i++)); do
		grep -q "run 1 of 50 done" "$TMP/err" && break
		sleep 0.1
	done
	run -0 grep -q "run 1 of 50 done" "$TMP/err"
	kill -INT "$pid"
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
	run -130 wait "$pid"
	run -0 cat "$TMP/err"
	[[ "$output" == *"cloison: bench interrupted"* ]]
	# no table from an interrupted bench
	run -0 cat "$TMP/out"
	[ -z "$output" ]
	no_leftovers
}

@test "bad options are refused, naming them, and leave nothing" {
	run -125 "$CLOISON" bench --only sha256,bogus --dir "$TMP"
	[[ "$output" == *"--only: unknown workload 'bogus'"* ]]
	run -125 "$CLOISON" bench --runs 0 --dir "$TMP"
	[[ "$output" == *"--runs 0: a whole number from 1"* ]]
	run -125 "$CLOISON" bench --size 12x --dir "$TMP"
	[[ "$output" == *"--size 12x"* ]]
	run -125 "$CLOISON" bench --rootfs "$TMP/nowhere" --dir "$TMP"
	[[ "$output" == *"--rootfs $TMP/nowhere"* ]]
	run -125 "$CLOISON" bench --dir "$TMP/nowhere" --only getppid
	[[ "$output" == *"--dir $TMP/nowhere: No such file or directory"* ]]
	# a directory others can write to and that is not sticky: another
	# user could swap the bench's directory for theirs
	mkdir -m 0777 "$TMP/open"
	run -125 "$CLOISON" bench --dir "$TMP/open" --only getppid
	[[ "$output" == *"--dir $TMP/open: another user can replace what the bench makes there"* ]]
	run -125 "$CLOISON" bench --startup-runs 0 --dir "$TMP"
	[[ "$output" == *"--startup-runs 0: a whole number from 1"* ]]
	run -125 "$CLOISON" bench extra
	[[ "$output" == *"bench takes no argument ('extra')"* ]]
	run -0 "$CLOISON" bench --help
	[[ "$output" == *"--only LIST"* && "$output" == *"cloison-bench(1)"* ]]
	no_leftovers
}
