package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestTerminalEscapes: what could act on a terminal is escaped in names,
// messages and data; plain text is left alone.
func TestTerminalEscapes(t *testing.T) {
	for in, want := range map[string]string{
		"plain text, ünïcode": "plain text, ünïcode",
		"a\nb":                `a\nb`,
		"esc\x1b[2J":          `esc\x1b[2J`,
		"bidi\u202eevil":      `bidi\u202eevil`,
		"bad\xffutf8":         `bad\xffutf8`,
		"tab\there":           `tab\there`,
		"line\u2028separator": `line\u2028separator`,
	} {
		if got := termSafe(in); got != want {
			t.Errorf("termSafe(%q) = %q, want %q", in, got, want)
		}
	}
	if got := showName("@x\ny"); got != `"@x\ny"` {
		t.Errorf("showName quotes a name with a newline: got %s", got)
	}
	if got := showName("/tmp/a b.sock"); got != "/tmp/a b.sock" {
		t.Errorf("showName(%q) = %s, want it as it is", "/tmp/a b.sock", got)
	}
	if got := showData([]byte("x\u202ey"), false); got != `"x\u202ey"` {
		t.Errorf("showData of a bidi override: %s", got)
	}
}

// TestEventJSON: every object gets a time after its event, unless it has
// one; characters a terminal acts on are escaped, and the line stays JSON.
func TestEventJSON(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 5, time.UTC)
	type ev struct {
		Event string `json:"event"`
		Name  string `json:"name"`
	}
	for _, c := range []struct {
		in   any
		want string
	}{
		{ev{"family", "udp4"}, `{"event":"family","time":"2026-11-26T12:00:00.000000005Z","name":"udp4"}`},
		{map[string]any{"event": "x"}, `{"event":"x","time":"2026-11-26T12:00:00.000000005Z"}`},
		{map[string]any{"event": "x", "time": "then"}, `{"event":"x","time":"then"}`},
		{struct{ A int }{1}, `{"time":"2026-11-26T12:00:00.000000005Z","A":1}`},
		{ev{"d", "a\u202eb\u2066c\U000e0001"}, `{"event":"d","time":"2026-11-26T12:00:00.000000005Z","name":"a\u202eb\u2066c\udb40\udc01"}`},
	} {
		got := string(eventJSON(c.in, now))
		if got != c.want {
			t.Errorf("eventJSON(%v) = %s, want %s", c.in, got, c.want)
		}
		var back map[string]any
		if err := json.Unmarshal([]byte(got), &back); err != nil || strings.ContainsRune(got, '\u202e') {
			t.Errorf("%s is not JSON, or keeps a raw override: %v", got, err)
		}
	}
}
