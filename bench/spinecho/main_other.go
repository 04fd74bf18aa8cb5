//go:build !linux

// Command spinecho is a Linux experiment (recvmmsg, ppoll).
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "spinecho: Linux only")
	os.Exit(2)
}
