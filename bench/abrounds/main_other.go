//go:build !linux

// Command abrounds compares echo servers and load generators with
// alternating rounds; it reads /proc and pins with taskset, so it runs on
// Linux only.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "abrounds: Linux only (it reads /proc/stat and pins with taskset)")
	os.Exit(2)
}
