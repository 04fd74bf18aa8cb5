package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Everything that reaches a terminal is escaped: data, a peer's unix name,
// an error that quotes either. A byte or character that could move the
// cursor, end a line, or turn the text around (control characters, ESC,
// newline, the bidirectional overrides) is written as a Go escape, so a
// datagram or a name cannot forge log lines or rewrite the screen.

// showData renders received bytes for a terminal without garbling it: text
// as it is, anything with invalid UTF-8 or characters that are not
// printable as a Go quoted string, or a hex dump with -x.
func showData(b []byte, hexdump bool) string {
	if hexdump {
		return "\n" + strings.TrimRight(hex.Dump(b), "\n")
	}
	if plainText(b) {
		return string(b)
	}
	return strconv.Quote(string(b))
}

// plainText reports whether b shows as itself: valid UTF-8 of visible
// characters, spaces and tabs.
func plainText[T string | []byte](b T) bool {
	s := string(b)
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r != '\t' && !unicode.IsGraphic(r) {
			return false
		}
	}
	return true
}

// showName renders an address or a name for a terminal: as it is when it
// is plain text, Go-quoted otherwise.
func showName(s string) string {
	if plainText(s) && !strings.Contains(s, "\t") {
		return s
	}
	return strconv.Quote(s)
}

// termSafe escapes, in place, what in s is not plain text: for messages
// that quote names and data among words of their own.
func termSafe(s string) string {
	if plainText(s) && !strings.Contains(s, "\t") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == ' ' || unicode.IsGraphic(r):
			b.WriteString(s[i : i+n])
		default:
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += n
	}
	return b.String()
}

// jsonData adds data to a JSON event: "data" as a string when it is valid
// UTF-8, else "data_hex", so nothing is lost in replacement characters.
func jsonData(ev map[string]any, b []byte) {
	if utf8.Valid(b) {
		ev["data"] = string(b)
	} else {
		ev["data_hex"] = hex.EncodeToString(b)
	}
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// writeJSON writes v as one line of NDJSON. Every object gets a "time"
// field (RFC 3339, nanoseconds) when it has none, after its "event".
// Characters JSON may leave raw that a terminal would act on (the
// bidirectional overrides, line and paragraph separators) are escaped.
func writeJSON(w io.Writer, v any) error {
	_, err := w.Write(append(eventJSON(v, time.Now()), '\n'))
	return err
}

// eventJSON encodes v as writeJSON writes it, stamped with now.
func eventJSON(v any, now time.Time) []byte {
	stamp := now.Format(time.RFC3339Nano)
	if m, ok := v.(map[string]any); ok {
		if _, has := m["time"]; !has {
			m["time"] = stamp
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(map[string]any{"event": "error", "time": stamp, "error": "encoding JSON: " + err.Error()})
	}
	return escapeInvisible(addTime(b, stamp))
}

// addTime inserts "time":stamp into the JSON object b unless it has a
// "time" already: after its "event" when that comes first.
func addTime(b []byte, stamp string) []byte {
	var fields map[string]json.RawMessage
	if len(b) == 0 || b[0] != '{' || json.Unmarshal(b, &fields) != nil {
		return b
	}
	if _, ok := fields["time"]; ok {
		return b
	}
	field := []byte(`"time":` + strconv.Quote(stamp))
	at := 1
	if ev, ok := fields["event"]; ok && bytes.HasPrefix(b, append([]byte(`{"event":`), ev...)) {
		at = len(`{"event":`) + len(ev)
		field = append([]byte{','}, field...)
	} else if len(fields) > 0 {
		field = append(field, ',')
	}
	return append(b[:at:at], append(field, b[at:]...)...)
}

// escapeInvisible writes the format characters and separators that JSON
// leaves raw inside strings as \u escapes (they occur only in strings).
func escapeInvisible(b []byte) []byte {
	if utf8.Valid(b) && !bytes.ContainsFunc(b, invisible) {
		return b
	}
	var out bytes.Buffer
	for _, r := range string(b) {
		switch {
		case invisible(r) && r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&out, `\u%04x\u%04x`, r1, r2)
		case invisible(r):
			fmt.Fprintf(&out, `\u%04x`, r)
		default:
			out.WriteRune(r)
		}
	}
	return out.Bytes()
}

// invisible reports a character outside ASCII that a terminal may act on
// without showing it.
func invisible(r rune) bool {
	return r > unicode.MaxASCII && !unicode.IsGraphic(r)
}
