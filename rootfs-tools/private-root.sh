# Sourced by the mkrootfs-* tools: where a root filesystem DIR really lives.
#
# A jail whose root is host root (no --userns) writes into its rootfs as host
# root: a set-user-ID file or a device node made there would be any host
# user's to use if they could reach it.  So the root is built in a private
# store beside DIR, .cloison-private/ (mode 0700, root's), and DIR is a
# symlink to it: root (and cloison) use DIR as before, other host users cannot
# follow it.  cloison refuses a writable rootfs that others can reach
# (cloison-run(1), --allow-shared-rootfs).
#
# private_root DIR: prints the store path for DIR, creating the store.
private_root() {
	_parent=$(dirname -- "$1")
	_name=$(basename -- "$1")
	mkdir -p -- "$_parent/.cloison-private"
	chown 0:0 -- "$_parent/.cloison-private"
	chmod 0700 -- "$_parent/.cloison-private"
	echo "$_parent/.cloison-private/$_name"
}

# publish_root DIR STORE: DIR becomes a relative symlink to STORE (replacing
# an old real directory or link of that name).
publish_root() {
	if [ -L "$1" ] || [ ! -e "$1" ]; then
		ln -sfn -- ".cloison-private/$(basename -- "$2")" "$1"
	else
		rm -rf -- "$1"
		ln -s -- ".cloison-private/$(basename -- "$2")" "$1"
	fi
}
