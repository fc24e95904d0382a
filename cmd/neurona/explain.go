package main

import "io"

func explainCommand(args []string, stdout, stderr io.Writer) error {
	return usagef("explain: not yet")
}
