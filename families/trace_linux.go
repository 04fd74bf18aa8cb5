package families

import (
	"syscall"
	"time"
)

// trace reports a call to the Tracer; callers check tracer first, so that
// the arguments are built only when someone listens.
func trace(t *Tracer, name string, fd int, ret int, err error, args ...string) {
	c := Call{Time: time.Now(), Name: name, Fd: fd, Args: args, Ret: ret}
	if e, ok := err.(syscall.Errno); ok && e != 0 {
		c.Errno, c.Ret = e, -1
	} else if err != nil {
		c.Ret = -1
	}
	(*t)(c)
}
