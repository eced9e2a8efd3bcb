# service: a long-running daemon: an init that reaps and forwards signals,
# a private network namespace, a read-only root, and a data directory.
#
# The data directory is ${CLOISON_DATA} on the host (default
# /var/lib/cloison/data, which must exist), writable at /data:
#   mkdir -p /var/lib/cloison/data
#   cloison run --rootfs /srv/rootfs/web --profile service -- httpd -f -p 8080
include default

# PID 1 is cloison's tiny init: the daemon's orphans are reaped, SIGTERM
# reaches it with its default action.
init
hostname service

# A network namespace of its own (only lo here; give it a way out with the
# network settings of cloison.profile(5) when it must be reached).
net none

read-only
tmpfs /tmp:size=64M
tmpfs /run:size=16M
bind ${CLOISON_DATA:-/var/lib/cloison/data}:/data
cwd /data

# Enough to bind a low port and drop to another user, nothing more.
cap-drop ALL
cap-add NET_BIND_SERVICE
cap-add SETUID
cap-add SETGID
seccomp default
