package main

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// svgParts parses the SVG file at path with encoding/xml, failing the test
// when it is not well-formed, and counts its elements by class, with the
// texts of those that have one.
func svgParts(t *testing.T, path string) (count map[string]int, texts map[string][]string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	count, texts = map[string]int{}, map[string][]string{}
	var open []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return count, texts
		}
		if err != nil {
			t.Fatalf("%s is not well-formed XML: %v", path, err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			class := ""
			for _, a := range tok.Attr {
				if a.Name.Local == "class" {
					class = a.Value
				}
			}
			count[class]++
			open = append(open, class)
		case xml.EndElement:
			open = open[:len(open)-1]
		case xml.CharData:
			if len(open) > 0 && strings.TrimSpace(string(tok)) != "" {
				c := open[len(open)-1]
				texts[c] = append(texts[c], string(tok))
			}
		}
	}
}

// TestDiagram: serve and send draw what happened, as a user opens it: the
// SVG parses, with one arrow per datagram (the server's summary counts
// them), the server's and the clients' lifelines, and the calls that made
// and ended the socket; the Mermaid text has one message per datagram.
func TestDiagram(t *testing.T) {
	dir := t.TempDir()
	svg, mmd := filepath.Join(dir, "serve.svg"), filepath.Join(dir, "send.mmd")
	srv := startServer(t, "udp4", "serve", "--bind", "127.0.0.1:0", "--diagram", svg)
	mustSucceed(t, socklab(t, "udp4", "send", "--diagram", mmd, srv.addr, "one", "two"), "send one two")
	mustSucceed(t, socklab(t, "udp4", "send", srv.addr, "three"), "send three")
	n := srv.stopServer(os.Interrupt)
	if n[0] != "3" {
		t.Fatalf("the server saw %s datagrams, want 3", n[0])
	}
	count, texts := svgParts(t, svg)
	if count["arrow"] != 6 || len(texts["arrow-label"]) != 6 {
		t.Errorf("the SVG has %d arrows and %d arrow labels, want 6: three datagrams in, three replies out", count["arrow"], len(texts["arrow-label"]))
	}
	for _, l := range texts["arrow-label"] {
		if !regexp.MustCompile(`^\d+ bytes, \d+\.\d{3} ms$`).MatchString(l) {
			t.Errorf("arrow label %q does not give the size and time", l)
		}
	}
	boxes := strings.Join(texts["box-label"], "|")
	for _, re := range []string{`^socklab udp4 serve \(fd \d+\)\|client 127\.0\.0\.1:\d+\|client 127\.0\.0\.1:\d+\|`, `\|socket\(\) = \d+\|bind\(127\.0\.0\.1:0\)\|recvmsg\|sendmsg\|`, `\|close\(\)$`} {
		if !regexp.MustCompile(re).MatchString(boxes) {
			t.Errorf("the boxes %q do not match %q", boxes, re)
		}
	}
	if count["lifeline"] != 3 {
		t.Errorf("%d lifelines, want the server and its two clients", count["lifeline"])
	}
	b, err := os.ReadFile(mmd)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	msgs := regexp.MustCompile(`(?m)^    (S0->>P0: sendmsg|P0->>S0: recvmsg): \d+ bytes, [\d.]+ ms$`).FindAllString(text, -1)
	if !strings.HasPrefix(text, "sequenceDiagram\n") || len(msgs) != 4 || !strings.Contains(text, "participant P0 as server "+srv.addr) {
		t.Errorf("Mermaid text: want a sequenceDiagram with the server and 4 messages:\n%s", text)
	}
}

// TestDiagramRefusesOtherFiles: --diagram names what it writes.
func TestDiagramRefusesOtherFiles(t *testing.T) {
	r := socklab(t, "udp4", "send", "--diagram", filepath.Join(t.TempDir(), "x.png"), "127.0.0.1:9", "x")
	checkOneLineError(t, r, "--diagram", ".svg", ".mmd")
}
