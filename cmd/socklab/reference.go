package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/alecthomas/kong"
)

// helpCmd is socklab help: one command's help, or every command's.
type helpCmd struct {
	Command  []string `arg:"" optional:"" name:"COMMAND" help:"The command, e.g. udp4 serve (default: socklab itself)."`
	All      bool     `help:"Print the help of every command, socklab's first, each as its --help prints it."`
	Markdown bool     `help:"With --all: print Markdown wrapped at 100 columns, as docs/reference.md is made."`
}

// Help is socklab help's detailed help.
func (helpCmd) Help() string {
	return `socklab help udp4 serve prints what socklab udp4 serve --help prints. With --all it
prints every command's help, from the same command model the parser uses, so the
reference cannot fall behind the binary: docs/reference.md is

  socklab help --all --markdown > docs/reference.md

and a test fails when the file and the binary differ.`
}

// referenceColumns is the width the Markdown reference is wrapped at.
const referenceColumns = "100"

func (c *helpCmd) Run(kctx *kong.Context, app *App) error {
	k := kctx.Kong
	if !c.All {
		return printHelp(k, c.Command)
	}
	if c.Markdown {
		// The file must not depend on the terminal of whoever made it;
		// kong reads the width from COLUMNS first.
		os.Setenv("COLUMNS", referenceColumns)
		fmt.Fprint(app.Stdout, "# socklab command reference\n\n"+
			"Every command's `--help`, generated from socklab's command model by\n"+
			"`socklab help --all --markdown > docs/reference.md`. A test fails when this\n"+
			"file and the binary differ: regenerate it after changing a command.\n")
	}
	for _, path := range helpPaths(k.Model.Node, nil) {
		line := strings.Join(append([]string{"socklab"}, path...), " ")
		if c.Markdown {
			fmt.Fprintf(app.Stdout, "\n## %s\n\n```text\n", line)
		} else {
			fmt.Fprintf(app.Stdout, "$ %s --help\n", line)
		}
		if err := printHelp(k, path); err != nil {
			return err
		}
		if c.Markdown {
			fmt.Fprint(app.Stdout, "```\n")
		} else {
			fmt.Fprintln(app.Stdout)
		}
	}
	return nil
}

// printHelp prints the help of the command at path, as --help does.
func printHelp(k *kong.Kong, path []string) error {
	ctx, err := kong.Trace(k, path)
	if err == nil {
		err = ctx.Error
	}
	if err != nil {
		return fmt.Errorf("help %s: %w", strings.Join(path, " "), err)
	}
	return ctx.PrintUsage(false)
}

// helpPaths is the argument path of every visible command under n, n's
// own first, depth first in the order of the command tree.
func helpPaths(n *kong.Node, path []string) [][]string {
	if n.Hidden {
		return nil
	}
	if n.Type == kong.CommandNode || n.Type == kong.ArgumentNode {
		path = append(append([]string(nil), path...), n.Name)
	}
	paths := [][]string{path}
	for _, child := range n.Children {
		paths = append(paths, helpPaths(child, path)...)
	}
	return paths
}
