package rawsock

import "syscall"

var errEMSGSIZE = syscall.EMSGSIZE
