# ci-sandbox: a CI job or a build: no network, a read-only root, the current
# directory writable at /work, a size-limited /tmp, resource limits.
#
# Run it from the directory to build, with a root filesystem that has the
# tools:
#   cd ~/src/project && cloison run --rootfs /srv/rootfs/debian \
#       --profile ci-sandbox -- make -j4 test
# Only /work (the host's current directory) and /tmp can be written; /tmp
# is a tmpfs that goes away with the job.


# No network: a network namespace of its own with only lo.
net none

# The root filesystem is read-only; ${PWD} is cloison's working directory.
read-only
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

# Resource limits (cgroups): memory, processes, and a wall-clock limit
# after which the job is killed (exit status 124).
memory 2G
pids 1024
timeout 3600
