package echo

import (
	"context"
	"fmt"
	"runtime"

	"github.com/socklab/socklab/families"
)

// servePinned is Serve for ServeAll's worker i: with cfg.CPUs it first
// locks the goroutine to its thread and pins the thread to its CPU. When
// Serve returns it gives the thread back its CPUs before unlocking, so no
// other goroutine inherits the affinity. (Leaving the thread locked for the
// runtime to end is not enough: the main thread is never ended, and a
// worker may be running on it.)
func servePinned(ctx context.Context, c families.Conn, cfg ServerConfig, i int) (Stats, error) {
	if len(cfg.CPUs) > 0 {
		cpu := cfg.CPUs[i%len(cfg.CPUs)]
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		restore, err := pinThread(cpu)
		if err != nil {
			return Stats{}, fmt.Errorf("pin worker %d to CPU %d: %w", i, cpu, err)
		}
		defer restore()
	}
	return Serve(ctx, c, cfg)
}
