package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/spec"
)

const importUsage = `Usage: neurona import FILE.keras --out MODEL.nrn
       neurona import FILE.h5 --spec SPEC.yaml|NAME --out MODEL.nrn

Converts a Keras model into a neurona model file (written atomically), for
neurona summary, evaluate and predict.

A Keras 3 .keras archive (model.save("x.keras")) carries its architecture
and weights: its Sequential or functional model is rebuilt from
config.json, for the layers neurona has.

A Keras 2 .h5 weights file (model.save_weights("x.h5")) carries no
architecture: --spec names a spec file or a book example (neurona examples)
whose model has the same layers with the same names (Keras 2's automatic
names dense_1, batch_normalization_1, … are neurona's); its weights are
loaded layer by layer by name.

Flags:
`

func importCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "the neurona model file to write (required)")
	specName := fs.String("spec", "", "for a .h5 weights file: the spec file or book example with the model's architecture")
	maxParams := fs.Int("max-params", spec.DefaultMaxParams, "refuse a --spec model with more weights than this")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), importUsage)
		fs.PrintDefaults()
	}
	path, err := parseArgs(fs, "import", args, "a .keras or .h5 file")
	if err != nil {
		return err
	}
	if *out == "" {
		return usagef("import: --out names the model file to write")
	}
	var m *models.Model
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".keras":
		if *specName != "" {
			return usagef("import: a .keras file carries its architecture: --spec is for .h5 weights files")
		}
		if m, err = models.LoadKeras(path); err != nil {
			return err
		}
	case ".h5", ".hdf5":
		if *specName == "" {
			return usagef("import: %s is a weights file without an architecture: name it with --spec SPEC.yaml or a book example", path)
		}
		if m, err = specModel(*specName, *maxParams); err != nil {
			return err
		}
		if err := m.LoadKerasWeights(path); err != nil {
			return err
		}
	default:
		return usagef("import: %s: want a .keras archive or a .h5 weights file", path)
	}
	if err := m.Save(*out); err != nil {
		return err
	}
	total, _ := m.CountParams()
	fmt.Fprintf(stdout, "imported %s: %s with %d layers and %d weights to %s\n", path, m.ClassName(), len(m.Layers()), total, *out)
	return nil
}

// specModel builds the model of a spec file or of a book example, with the
// spec's preprocessing saved when it needs no statistics of the data.
func specModel(name string, maxParams int) (*models.Model, error) {
	var s *spec.Spec
	var err error
	if _, statErr := os.Stat(name); errors.Is(statErr, os.ErrNotExist) && !strings.ContainsAny(name, `/\.`) {
		s, err = spec.Book(name)
	} else {
		s, err = spec.ParseFile(name)
	}
	if err != nil {
		return nil, err
	}
	s.MaxParams = maxParams
	m, err := s.Build(s.Fit.Seed)
	if err != nil {
		return nil, err
	}
	if s.Data.Line > 0 && !s.Data.Prep.Std && !s.Data.Prep.StdTargets {
		m.Metadata = s.Metadata()
	}
	return m, nil
}
