# ci-sandbox: a CI job or a build: no network, a throw-away copy-on-write
# root, the current directory writable at /work, a size-limited /tmp,
# resource limits.
#
# Run it from the directory to build, with a root filesystem that has the
# tools:
#   cd ~/src/project && cloison run --rootfs /srv/rootfs/debian \
#       --profile ci-sandbox -- make -j4 test
# The job may write anywhere (install packages, edit /etc): its root is an
# overlay whose upper layer is a tmpfs that goes away with the job, the
# rootfs its read-only lower layer, never written (many jobs share one
# rootfs; none sees another's files).  Only /work (the host's current
# directory) outlives the job.  --overlay-dir DIR keeps a job's changes.
include default

# No network: a network namespace of its own with only lo.
net none

# Copy-on-write root (its tmpfs: half of the memory limit below at most);
# ${PWD} is cloison's working directory.
overlay
bind ${PWD}:/work
cwd /work
tmpfs /tmp:size=512M
env HOME=/tmp
env CI=true
hostname ci

# Privileges: Docker's capability set, no set-user-ID gain, Docker's
# default seccomp policy (all three are the defaults, stated here because a
# CI job depends on them).
no-new-privileges
seccomp default

# Resource limits (cgroups): memory, processes, and a wall-clock limit:
# SIGTERM at the deadline, SIGKILL 10 s later (timeout-grace), exit
# status 124.
memory 2G
pids 1024
timeout 3600
