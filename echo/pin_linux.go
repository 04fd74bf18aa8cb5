package echo

import (
	"os"

	"golang.org/x/sys/unix"
)

// pinThread pins the calling thread to cpu (sched_setaffinity of thread 0,
// the caller).
func pinThread(cpu int) error {
	var set unix.CPUSet
	set.Set(cpu)
	return os.NewSyscallError("sched_setaffinity", unix.SchedSetaffinity(0, &set))
}
