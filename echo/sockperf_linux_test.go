package echo_test

import (
	"context"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/socklab/socklab/echo"
	"github.com/socklab/socklab/echo/echotest"
	"github.com/socklab/socklab/families"
)

// TestSockperfInterop drives socklab's server with Debian's sockperf client,
// as it would drive `sockperf server`: ping-pong (every message answered)
// and under-load (only some ask for an answer), on the batch and the plain
// path.
func TestSockperfInterop(t *testing.T) {
	bin, err := exec.LookPath("sockperf")
	if err != nil {
		t.Skip("sockperf is not installed (apt-get install -y sockperf):", err)
	}
	if testing.Short() {
		t.Skip("each sockperf run takes 3s (warm-up included)")
	}
	for _, plain := range []bool{false, true} {
		for _, mode := range []string{"ping-pong", "under-load"} {
			name := mode + "/batch"
			if plain {
				if mode == "under-load" {
					continue // the protocol code is shared; one plain run is enough
				}
				name = mode + "/plain"
			}
			t.Run(name, func(t *testing.T) {
				srv := echotest.Start(t, families.UDP4(), "127.0.0.1:0", echo.ServerConfig{Reply: echo.ReplySockperf, Quiet: true, Plain: plain})
				port := strconv.Itoa(srv.Addr().(*net.UDPAddr).Port)
				args := []string{mode, "-i", "127.0.0.1", "-p", port, "-t", "1", "-m", "64"}
				if mode == "under-load" {
					args = append(args, "--mps", "5000") // interop, not load: the machine may be busy
				}
				cctx, ccancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer ccancel()
				out, err := exec.CommandContext(cctx, bin, args...).CombinedOutput()
				st := srv.Stop()
				if err != nil {
					t.Fatalf("sockperf %s: %v\n%s", strings.Join(args, " "), err, out)
				}
				text := string(out)
				if !strings.Contains(text, "Summary: Latency is") || strings.Contains(text, "No messages were received") {
					t.Fatalf("sockperf %s measured nothing:\n%s", mode, text)
				}
				for _, line := range strings.Split(text, "\n") {
					if strings.Contains(line, "Summary:") || strings.Contains(line, "dropped messages") {
						t.Log(strings.TrimSpace(line))
					}
				}
				if st.Datagrams == 0 || st.Peers != 1 {
					t.Errorf("server stats %+v, want datagrams from one peer", st)
				}
			})
		}
	}
}
