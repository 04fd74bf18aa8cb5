package main

import (
	"slices"
	"strings"

	"github.com/alecthomas/kong"
)

// Flags go anywhere on socklab's command line, as with ping and ncat:
// "socklab udp4 send 127.0.0.1:9 --timeout 1s hi" is "socklab udp4 send
// --timeout 1s 127.0.0.1:9 hi". kong stops a list of positional arguments at
// the first flag, so interspersed moves every flag, with its value, before
// the positional arguments of its command, and passes those after a "--"
// of its own. A "--" of the user's ends the flags: what follows is
// positional whatever it looks like ("send ADDR -- -hello" sends "-hello"),
// and is never taken for an address. A passthrough argument (lab exec's
// command) takes everything after its start, flags included.

// argv is a command line split for kong.
type argv struct {
	// args is what kong parses: commands and flags, then "--" and the
	// positional arguments.
	args []string
	// positional are the positional arguments in order, and beforeDash how
	// many of them came before the user's "--" (all of them without one).
	positional []string
	beforeDash int
}

// interspersed splits args on the command tree of model. A flag it does
// not know is left for kong to refuse, with its name.
func interspersed(model *kong.Application, args []string) argv {
	var a argv
	node := model.Node
	for i := 0; i < len(args); i++ {
		arg := args[i]
		switch {
		case arg == "--":
			a.beforeDash = len(a.positional)
			a.positional = append(a.positional, args[i+1:]...)
			return a.done()
		case strings.HasPrefix(arg, "-") && arg != "-":
			n := flagArgs(node, args[i:])
			a.args = append(a.args, args[i:i+n]...)
			i += n - 1
		case len(a.positional) == 0 && child(node, arg) != nil:
			node = child(node, arg)
			a.args = append(a.args, arg)
		default:
			a.positional = append(a.positional, arg)
			if pt := passthroughAt(node); pt >= 0 && len(a.positional) > pt {
				// A passthrough argument (lab exec's command) takes the
				// rest as it is, flags included, as kong does.
				a.positional = append(a.positional, args[i+1:]...)
				a.beforeDash = len(a.positional)
				return a.done()
			}
		}
	}
	a.beforeDash = len(a.positional)
	return a.done()
}

// done appends the positional arguments to args after a "--".
func (a argv) done() argv {
	if len(a.positional) > 0 {
		a.args = append(append(a.args, "--"), a.positional...)
	}
	return a
}

// passthroughAt is the index of node's passthrough positional argument,
// or -1 when it has none.
func passthroughAt(node *kong.Node) int {
	for i, p := range node.Positional {
		if p.Passthrough {
			return i
		}
	}
	return -1
}

// child returns node's subcommand called name, or nil.
func child(node *kong.Node, name string) *kong.Node {
	for _, c := range node.Children {
		if c.Type == kong.CommandNode && (c.Name == name || slices.Contains(c.Aliases, name)) {
			return c
		}
	}
	return nil
}

// flagArgs returns how many of args, which start with a flag, that flag
// takes: 2 when it wants a value that is the next argument, else 1.
func flagArgs(node *kong.Node, args []string) int {
	arg := args[0]
	var f *kong.Flag
	if name, ok := strings.CutPrefix(arg, "--"); ok {
		if strings.Contains(name, "=") {
			return 1
		}
		f = findFlag(node, func(f *kong.Flag) bool { return f.Name == name || slices.Contains(f.Aliases, name) })
	} else {
		// A cluster of short flags: booleans, then perhaps one that takes
		// the rest of the cluster, or the next argument, as its value.
		for j, r := range arg[1:] {
			f = findFlag(node, func(f *kong.Flag) bool { return f.Short == r })
			if f == nil || !takesValue(f) {
				continue
			}
			if j+1 < len(arg)-1 {
				return 1 // -d5: the value is in the cluster
			}
			break
		}
	}
	if f != nil && takesValue(f) && len(args) > 1 {
		return 2
	}
	return 1
}

// findFlag returns the first flag in node's scope that match accepts.
func findFlag(node *kong.Node, match func(*kong.Flag) bool) *kong.Flag {
	for _, group := range node.AllFlags(false) {
		for _, f := range group {
			if match(f) {
				return f
			}
		}
	}
	return nil
}

func takesValue(f *kong.Flag) bool { return !f.IsBool() && !f.IsCounter() }
