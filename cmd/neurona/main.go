// Command neurona trains the book's networks from the command line.
//
// Usage:
//
//	neurona run NAME [flags]   train a book example (see neurona examples)
//	neurona examples           list the book examples
//
// Results and progress go to stdout, diagnostics to stderr. The exit code
// is 0 on success, 1 on an error (a diverged run included), 2 on a usage
// error and 130 when interrupted (SIGINT, SIGTERM or SIGHUP).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/neurona/neurona/examples"
	"github.com/neurona/neurona/layers"
)

// Exit codes.
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitInterrupted = 130
)

func main() {
	// SIGTERM (kill, a scheduler) and SIGHUP (a closed terminal) stop a
	// run as Ctrl-C does.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `neurona trains neural networks with Keras's concepts, from one binary.

Usage:
  neurona run NAME [flags]          train a book example by name
  neurona train SPEC.yaml [flags]   train the model a spec file describes
  neurona summary SPEC.yaml|MODEL|NAME
                                    print a model's summary table
  neurona evaluate MODEL DATA.csv   print a saved model's loss and metrics on a CSV file
  neurona predict MODEL INPUT.csv   write predictions as CSV on stdout
  neurona export MODEL --format onnx [-o FILE]
                                    write a saved model as an ONNX model
  neurona explain SPEC.yaml         walk through a forward pass, neuron by neuron
  neurona explain --model FILE --row N DATA.csv
                                    the same for a saved model and a row of a CSV file
  neurona plot LOG.csv              draw learning curves from a CSV history
  neurona import FILE.keras|FILE.h5 --out MODEL [--spec SPEC.yaml|NAME]
                                    convert a Keras model (.h5 weights need --spec)
  neurona dashboard DIR             serve past runs in the browser
  neurona examples                  list the book examples
  neurona help [COMMAND]            show a command's help

Run 'neurona COMMAND --help' for a command's flags.
`

// usageError is an error in the command line (exit code 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// run executes the command line args and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "neurona: internal error: %v\n", r)
			code = exitError
		}
	}()
	// Each run is a program of its own: Keras's automatic layer names
	// start again from dense_1, as in a fresh Python session.
	layers.ResetNames()
	err := dispatch(ctx, args, stdout, stderr)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(stderr, "neurona: interrupted: %v\n", err)
		return exitInterrupted
	}
	fmt.Fprintf(stderr, "neurona: %v\n", err)
	var ue *usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitError
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usagef("no command given")
	}
	switch args[0] {
	case "-h", "--help", "-help", "help":
		if len(args) > 1 && args[0] == "help" {
			return dispatch(ctx, []string{args[1], "--help"}, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return nil
	case "run":
		return runCommand(ctx, args[1:], stdout, stderr)
	case "train":
		return trainCommand(ctx, args[1:], stdout, stderr)
	case "summary":
		return summaryCommand(args[1:], stdout, stderr)
	case "evaluate":
		return evaluateCommand(args[1:], stdout, stderr)
	case "predict":
		return predictCommand(args[1:], stdout, stderr)
	case "explain":
		return explainCommand(args[1:], stdout, stderr)
	case "export":
		return exportCommand(args[1:], stdout, stderr)
	case "examples":
		if len(args) > 1 {
			if args[1] == "-h" || args[1] == "--help" || args[1] == "-help" {
				fmt.Fprint(stdout, "Usage: neurona examples\n\nLists the book's networks that 'neurona run NAME' trains, with what the book reports,\nthen those that 'neurona summary NAME' prints but that do not train yet.\n")
				return nil
			}
			return usagef("examples: unexpected argument %q", args[1])
		}
		return examplesCommand(stdout)
	case "dashboard":
		return dashboardCommand(ctx, args[1:], stdout, stderr)
	case "plot":
		return plotCommand(args[1:], stdout, stderr)
	case "import":
		return importCommand(args[1:], stdout, stderr)
	}
	fmt.Fprint(stderr, usage)
	return usagef("unknown command %q", args[0])
}

func examplesCommand(stdout io.Writer) error {
	for _, name := range examples.Names() {
		src, err := examples.Spec(name)
		if err != nil {
			return err
		}
		// The spec's opening comment says what the example is and what the
		// book reports.
		var about []string
		for _, line := range strings.Split(string(src), "\n") {
			text, ok := strings.CutPrefix(line, "#")
			if !ok {
				break
			}
			about = append(about, strings.TrimSpace(text))
		}
		fmt.Fprintf(stdout, "%-15s %s\n", name, strings.Join(about, " "))
	}
	fmt.Fprintf(stdout, "%-15s %s\n", "cartpole", cartpoleAbout) // cartpole.go: an agent, not a spec
	fmt.Fprintf(stdout, "%-15s %s\n", "gan-awkward", ganAwkwardAbout)
	fmt.Fprintf(stdout, "%-15s %s\n", "weight-init", weightInitAbout)
	// Examples written in Go that do not train yet: 'neurona summary NAME'.
	for _, name := range examples.SummaryOnlyNames() {
		fmt.Fprintf(stdout, "%-15s %s\n", name, examples.SummaryOnlyAbout(name))
	}
	return nil
}
