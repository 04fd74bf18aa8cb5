package echo

import (
	"context"
	"fmt"
	"runtime"

	"github.com/socklab/socklab/families"
)

// servePinned is Serve for ServeAll's worker i: with cfg.CPUs it first
// locks the goroutine to its thread and pins the thread to its CPU. The
// goroutine never unlocks: when it returns, the runtime ends the thread,
// so no other goroutine inherits the affinity.
func servePinned(ctx context.Context, c families.Conn, cfg ServerConfig, i int) (Stats, error) {
	if len(cfg.CPUs) > 0 {
		cpu := cfg.CPUs[i%len(cfg.CPUs)]
		runtime.LockOSThread()
		if err := pinThread(cpu); err != nil {
			return Stats{}, fmt.Errorf("pin worker %d to CPU %d: %w", i, cpu, err)
		}
	}
	return Serve(ctx, c, cfg)
}
