package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ticksPerSecond is USER_HZ, the unit of /proc/stat and /proc/PID/stat
// (100 on every Linux build that matters).
const ticksPerSecond = 100

// cpuTimes is what /proc/stat says of the measuring CPUs, in ticks:
// busy is user+nice+system+irq+softirq, steal what the hypervisor gave to
// other guests.
type cpuTimes struct {
	busy, steal int64
}

// readCPUs sums /proc/stat's lines of the CPUs in cpus.
func readCPUs(cpus []int) cpuTimes {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuTimes{}
	}
	var t cpuTimes
	for line := range bytes.Lines(b) {
		f := strings.Fields(string(line))
		if len(f) < 9 || !strings.HasPrefix(f[0], "cpu") || f[0] == "cpu" {
			continue
		}
		n, err := strconv.Atoi(f[0][3:])
		if err != nil || !slices.Contains(cpus, n) {
			continue
		}
		v := make([]int64, 9)
		for i := 1; i < 9; i++ {
			v[i], _ = strconv.ParseInt(f[i], 10, 64)
		}
		// user nice system idle iowait irq softirq steal
		t.busy += v[1] + v[2] + v[3] + v[6] + v[7]
		t.steal += v[8]
	}
	return t
}

// procTicks is a process's utime+stime in ticks (all its threads), 0 when
// it is gone.
func procTicks(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// the command name, in parentheses, may hold spaces: skip past it
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s
}

// kernelHelpers are the PIDs of the per-CPU kernel threads that do the
// measured work's deferred packet processing (ksoftirqd/N): their CPU time
// is the workload's, not a disturbance.
func kernelHelpers(cpus []int) []int {
	want := map[string]bool{}
	for _, c := range cpus {
		want["ksoftirqd/"+strconv.Itoa(c)+"\n"] = true
	}
	matches, _ := filepath.Glob("/proc/[0-9]*/comm")
	var pids []int
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil || !want[string(b)] {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(m))); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// snapshot is the CPU accounting at one moment: the CPUs and the
// processes that are ours.
type snapshot struct {
	cpu   cpuTimes
	procs map[int]int64
}

func takeSnapshot(cpus, pids []int) snapshot {
	s := snapshot{cpu: readCPUs(cpus), procs: make(map[int]int64, len(pids))}
	for _, p := range pids {
		s.procs[p] = procTicks(p)
	}
	return s
}

// usage is what happened on the measuring CPUs between two snapshots.
type usage struct {
	busy  int64         // ticks the CPUs were busy
	ours  int64         // ticks our processes (servers, kernel helpers) used
	proc  map[int]int64 // ticks per process
	steal int64
}

func since(a, b snapshot) usage {
	u := usage{busy: b.cpu.busy - a.cpu.busy, steal: b.cpu.steal - a.cpu.steal, proc: map[int]int64{}}
	for p, t := range b.procs {
		d := t - a.procs[p]
		u.proc[p] = d
		u.ours += d
	}
	return u
}

// others is the CPU time, in ticks, that neither our processes nor the
// client (clientCPU) used on the measuring CPUs, plus the steal: the
// disturbance of a run.
func (u usage) others(clientCPU time.Duration) int64 {
	client := int64(clientCPU * ticksPerSecond / time.Second)
	return max(0, u.busy-u.ours-client) + u.steal
}
