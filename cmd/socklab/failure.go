package main

import (
	"errors"
	"reflect"
	"slices"
	"strings"

	"github.com/alecthomas/kong"
	"github.com/socklab/socklab/families"
)

// Exit statuses, as README documents them.
const (
	exitOK          = 0   // done, every message answered
	exitFailure     = 1   // a runtime failure: no reply, refused, output lost
	exitUsage       = 2   // the command line is wrong: nothing was done
	exitInterrupted = 130 // stopped by a signal, as a shell reports SIGINT
)

// errInterrupted ends a command stopped by SIGINT, SIGTERM, SIGHUP or
// SIGQUIT: exit 130.
var errInterrupted = errors.New("interrupted")

// reportedError is a failure the command has told already, line by line
// (send's lost replies): it sets the exit status and prints nothing more.
type reportedError struct{ error }

// exitCode is the exit status for err.
func exitCode(err error) int {
	var ue usageError
	var pe *kong.ParseError
	var ae *addrError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue), errors.As(err, &pe), errors.As(err, &ae), errors.Is(err, families.ErrBadAddress):
		return exitUsage
	case errors.Is(err, errInterrupted):
		return exitInterrupted
	}
	return exitFailure
}

// fail tells err: one line on stderr, and with --json an "error" event on
// stdout too. A library error's hint names the settings to change in
// library words; the flags that set them are added beside the words.
func (app *App) fail(err error) { app.report(err, "", nil) }

// report is fail with a prefix for the line ("message 2: ") and fields
// for the event.
func (app *App) report(err error, prefix string, fields map[string]any) {
	msg := app.explain(err)
	app.noteLines(prefix + msg)
	if !app.jsonOn() {
		return
	}
	ev := map[string]any{"event": "error", "error": msg, "exit": exitCode(err)}
	var fe *families.Error
	if errors.As(err, &fe) {
		ev["op"], ev["socket"], ev["addr"], ev["hint"] = fe.Op, fe.Spec.String(), fe.Addr, app.annotate(fe)
		if c := families.Cause(fe.Err); c != nil {
			ev["cause"] = c.Error()
		}
	}
	for k, v := range fields {
		ev[k] = v
	}
	app.writeJSON(ev)
}

// explain is err's text with the flags of its hint's terms added.
func (app *App) explain(err error) string {
	msg := err.Error()
	var fe *families.Error
	if errors.As(err, &fe) && fe.Hint != "" {
		msg = strings.Replace(msg, "("+fe.Hint+")", "("+app.annotate(fe)+")", 1)
	}
	return msg
}

// annotate returns fe's hint with each of its terms followed by the flag
// that sets it, or by the command that does it: "a longer timeout
// (--timeout)", "start an echo server (socklab udp4 serve) there".
func (app *App) annotate(fe *families.Error) string {
	hint := fe.Hint
	for _, t := range fe.Terms {
		how := app.termFlag(t, fe)
		if how == "" {
			continue
		}
		if i := strings.Index(hint, string(t)); i >= 0 {
			end := i + len(t)
			hint = hint[:end] + " (" + how + ")" + hint[end:]
		}
	}
	return hint
}

// termFlags are the flags that set each term, by name, in order of
// preference.
var termFlags = map[families.Term][]string{
	families.TermLocal:      {"bind"},
	families.TermPeer:       {"to"},
	families.TermTimeout:    {"timeout"},
	families.TermRetries:    {"retries"},
	families.TermSize:       {"size"},
	families.TermPacketSize: {"size"},
	families.TermInterval:   {"interval"},
	families.TermEchoID:     {"id", "echo-id"},
	families.TermProto:      {"proto"},
	families.TermTTL:        {"ttl"},
	families.TermFragment:   {"frag-offset"},
	families.TermSockets:    {"workers"},
	families.TermDescriptor: {"fd"},
	families.TermBroadcast:  {"broadcast"},
	families.TermDF:         {"df"},
}

// termFlag is how this command line sets t in fe: a flag of the command
// that ran, the serve command at fe's address for TermServer, or "" when it
// has none.
func (app *App) termFlag(t families.Term, fe *families.Error) string {
	if t == families.TermServer {
		if app.Def == nil || app.Def.Open == nil {
			return ""
		}
		cmd := "socklab " + app.Def.Name + " serve"
		if fe.Addr != "" {
			cmd += " --bind " + shellWord(fe.Addr)
		}
		return cmd
	}
	if app.kctx == nil {
		return ""
	}
	for _, name := range termFlags[t] {
		for _, f := range app.kctx.Flags() {
			if f.Name == name && !f.Hidden {
				return flagSpelling(f)
			}
		}
	}
	return ""
}

// jsonOn reports whether the command that runs prints --json.
func (app *App) jsonOn() bool {
	if app.kctx == nil {
		// The command line did not parse: it asked for JSON if it says so
		// among its flags.
		return slices.Contains(app.argv.args, "--json")
	}
	for _, f := range app.kctx.Flags() {
		if f.Name == "json" && f.Target.IsValid() && f.Target.Kind() == reflect.Bool && f.Target.Bool() {
			return true
		}
	}
	return false
}
