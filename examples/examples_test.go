// Package examples holds small runnable programs on socklab's packages; this
// test builds and runs them against each other.
package examples

import (
	"bufio"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func build(t *testing.T, dir, pkg string) string {
	t.Helper()
	out := filepath.Join(dir, filepath.Base(pkg))
	if b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

func freeUDPPort(t *testing.T) string {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().String()
}

func TestSeedClientAgainstSeedServer(t *testing.T) {
	dir := t.TempDir()
	server := build(t, dir, "./seed-server")
	client := build(t, dir, "./seed-client")
	addr := freeUDPPort(t)

	srv := exec.Command(server, addr)
	stdout, _ := srv.StdoutPipe()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() || lines.Text() != "waiting for message..." {
		t.Fatalf("server's first line %q, want waiting for message...", lines.Text())
	}

	cl := exec.Command(client, addr)
	cl.Stdin = strings.NewReader("hello\nsecond line\n\n")
	out, err := cl.CombinedOutput()
	if err != nil {
		t.Fatalf("client: %v\n%s", err, out)
	}
	re := regexp.MustCompile(`^Wanna send: Response: \[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\] hello
Wanna send: Response: \[[^]]+\] second line
Wanna send: $`)
	if !re.Match(out) {
		t.Errorf("client output:\n%s", out)
	}

	got := make(chan []string)
	go func() {
		var l []string
		for len(l) < 4 && lines.Scan() {
			l = append(l, lines.Text())
		}
		got <- l
	}()
	select {
	case l := <-got:
		if len(l) < 4 || !strings.HasPrefix(l[0], "Got message from 127.0.0.1:") || l[1] != "Received message: hello" || l[3] != "Received message: second line" {
			t.Errorf("server printed %q", l)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("server printed nothing for the client's messages")
	}
}
