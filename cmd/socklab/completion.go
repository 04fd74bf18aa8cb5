package main

import (
	"fmt"
	"io"
	"os"

	"github.com/alecthomas/kong"
	"github.com/posener/complete"
	"github.com/willabides/kongplete"
)

// completionCmd is socklab completion.
type completionCmd struct {
	Shell string `arg:"" enum:"bash,zsh,fish" help:"The shell: bash, zsh or fish."`
}

// Help is socklab completion's detailed help.
func (completionCmd) Help() string {
	return `Prints the shell code that makes TAB complete socklab's commands, families, flags and
their values. The completions come from socklab itself, so they always match the
binary: the shell runs socklab with COMP_LINE set to the line so far.

  bash:  source <(socklab completion bash)           (add it to ~/.bashrc)
  zsh:   source <(socklab completion zsh)            (add it to ~/.zshrc)
  fish:  socklab completion fish | source            (or save it as
         ~/.config/fish/completions/socklab.fish)`
}

func (c *completionCmd) Run(app *App) error {
	_, err := io.WriteString(app.Stdout, completionScripts[c.Shell])
	return err
}

// bashCompletion asks socklab for the words that complete the line up to
// the cursor; -o default falls back to file names when it has none.
const bashCompletion = `_socklab() {
    local IFS=$'\n'
    COMPREPLY=($(COMP_LINE="$COMP_LINE" COMP_POINT="$COMP_POINT" "${COMP_WORDS[0]}" 2>/dev/null))
}
complete -o default -F _socklab socklab
`

// completionScripts is the code each shell sources. zsh runs the bash
// function through its bash completion emulation.
var completionScripts = map[string]string{
	"bash": "# bash completion for socklab: source <(socklab completion bash)\n" + bashCompletion,
	"zsh": "# zsh completion for socklab: source <(socklab completion zsh)\n" +
		"autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n" + bashCompletion,
	"fish": `# fish completion for socklab: socklab completion fish | source
function __socklab_complete
    set -lx COMP_LINE (commandline -cp)
    test -z (commandline -ct)
    and set COMP_LINE "$COMP_LINE "
    set -lx COMP_POINT (string length -- "$COMP_LINE")
    socklab 2>/dev/null
end
complete -c socklab -f -a '(__socklab_complete)'
`,
}

// The values of socklab socket's --family, --type and --proto offered on
// TAB: each is a name families.ParseFamily, ParseType or ParseProto takes
// (completion_test checks it); the AF_/SOCK_/IPPROTO_ names work too.
var (
	familyWords = []string{"inet", "inet6", "unix"}
	typeWords   = []string{"dgram", "raw", "stream", "seqpacket"}
	protoWords  = []string{"udp", "icmp", "icmpv6", "raw"}
)

// completeLine answers a shell's completion request, made by running
// socklab with COMP_LINE set: it prints the words that complete the line,
// one a line, and reports true. Without COMP_LINE it does nothing and
// reports false.
func completeLine(parser *kong.Kong, stdout io.Writer) bool {
	if os.Getenv("COMP_LINE") == "" {
		return false
	}
	cmd, err := kongplete.Command(parser,
		kongplete.WithPredictor("json", complete.PredictFiles("*.json")),
		kongplete.WithPredictor("svg", complete.PredictFiles("*.svg")))
	if err != nil {
		fmt.Fprintln(parser.Stderr, "socklab: completion:", err)
		return true
	}
	if s, ok := cmd.Sub["socket"]; ok {
		s.GlobalFlags["--family"] = complete.PredictSet(familyWords...)
		s.GlobalFlags["--type"] = complete.PredictSet(typeWords...)
		s.GlobalFlags["--proto"] = complete.PredictSet(protoWords...)
	}
	c := complete.New("socklab", cmd)
	c.Out = stdout
	return c.Complete()
}
