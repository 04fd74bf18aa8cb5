//go:build !linux

package lab

import (
	"context"
	"errors"
	"os/exec"
	"runtime"
)

// ErrUnsupported is what every lab function returns off Linux: network
// namespaces are Linux's.
var ErrUnsupported = errors.New("labs are network namespaces, which only Linux has, not " + runtime.GOOS)

// Up is not supported on this system.
func Up(c Config) (*Lab, error) { return nil, ErrUnsupported }

// Down is not supported on this system.
func Down(name string, notify func(string)) (Removed, error) {
	return Removed{Name: name}, ErrUnsupported
}

// DownAll is not supported on this system.
func DownAll(notify func(string)) ([]Removed, error) { return nil, ErrUnsupported }

// List is not supported on this system.
func List() ([]Status, error) { return nil, ErrUnsupported }

// Down is not supported on this system.
func (l *Lab) Down() error { return ErrUnsupported }

// SetLoss is not supported on this system.
func (l *Lab) SetLoss(pct float64) error { return ErrUnsupported }

// Do is not supported on this system.
func (h *Host) Do(fn func() error) error { return ErrUnsupported }

// Command returns a command that fails: there are no namespaces here.
func (h *Host) Command(ctx context.Context, argv ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "false")
}

// Exec is not supported on this system.
func Exec(netns, path string, argv []string) error { return ErrUnsupported }

// PIDsIn is not supported on this system.
func PIDsIn(ns string) ([]int, error) { return nil, ErrUnsupported }
