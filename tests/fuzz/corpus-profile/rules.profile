deny socket arg0 == AF_NETLINK
syscall errno:EACCES open arg1 & O_WRONLY == 1 arg2 > 7
seccomp allow-abi i386
env A=${HOME:-x}$$
