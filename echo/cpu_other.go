//go:build !linux

package echo

// benchCPUTime is not measured on systems other than Linux.
func benchCPUTime() benchCPU { return benchCPU{} }
