package echo

import (
	"os"

	"golang.org/x/sys/unix"
)

// pinThread pins the calling thread to cpu (sched_setaffinity of thread 0,
// the caller) and returns the function that gives the thread back the CPUs
// it had.
func pinThread(cpu int) (restore func(), err error) {
	var old, set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		return nil, os.NewSyscallError("sched_getaffinity", err)
	}
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return nil, os.NewSyscallError("sched_setaffinity", err)
	}
	return func() { unix.SchedSetaffinity(0, &old) }, nil
}
