// Package examples holds the book's networks as spec files, embedded so
// that 'neurona run NAME' needs no files on disk. Each specs/NAME.yaml is
// also a complete example of the spec format ('neurona train
// examples/specs/NAME.yaml' runs the same training).
//
// The Go programs in the subdirectories show the same networks written
// with the library.
package examples

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

//go:embed specs/*.yaml
var specs embed.FS

// ErrUnknown is wrapped by Spec's error for a name that is not an example.
var ErrUnknown = errors.New("unknown example")

// Spec returns the spec file of a book example.
func Spec(name string) ([]byte, error) {
	b, err := specs.ReadFile("specs/" + name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("%w %q (valid: %s)", ErrUnknown, name, strings.Join(Names(), ", "))
	}
	return b, nil
}

// Names lists the examples that train (their spec has a fit section),
// sorted. Other specs, such as forward-propagation.yaml for 'neurona
// explain', are files to read.
func Names() []string {
	entries, _ := fs.ReadDir(specs, "specs")
	var names []string
	for _, e := range entries {
		b, err := specs.ReadFile("specs/" + e.Name())
		if err != nil || !strings.Contains("\n"+string(b), "\nfit:") {
			continue
		}
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}
