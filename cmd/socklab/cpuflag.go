package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/alecthomas/kong"
)

// cpuFlags is serve's --cpu, embedded in serveFlags.
type cpuFlags struct {
	CPU cpuList `name:"cpu" placeholder:"LIST" help:"Pin each serving thread to a CPU of LIST (0,2 or 0-3): worker i to the i-th, round robin (Linux)."`
}

// cpuList is a CPU list as taskset and /proc write it: "0", "0,2", "0-3,6".
type cpuList []int

// maxCPU is CPU_SETSIZE, the most CPUs an affinity mask holds.
const maxCPU = 1024

// Decode reads --cpu's value.
func (l *cpuList) Decode(ctx *kong.DecodeContext) error {
	s, err := popText(ctx, "cpu list")
	if err != nil {
		return err
	}
	cpus, err := parseCPUList(s)
	if err != nil {
		return err
	}
	*l = cpus
	return nil
}

// parseCPUList parses "0,2,4-6" into [0 2 4 5 6].
func parseCPUList(s string) ([]int, error) {
	var cpus []int
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err1 := strconv.Atoi(lo)
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.Atoi(hi)
		}
		if err1 != nil || err2 != nil || a < 0 || b < a || b >= maxCPU {
			return nil, fmt.Errorf("%q: want CPU numbers and ranges such as 0,2 or 0-3 (0 to %d)", s, maxCPU-1)
		}
		for c := a; c <= b; c++ {
			cpus = append(cpus, c)
		}
	}
	return cpus, nil
}
