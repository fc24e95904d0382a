package models

import (
	"fmt"
	"testing"
	"time"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/metrics"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/saving"
)

// fuzzSeeds returns the contents of the files of a few models: a
// Sequential and a graph with branches, a shared layer and a nested model.
func fuzzSeeds(f *testing.F) []*saving.File {
	seq := NewSequential(&layers.Dense{Units: 4, Activation: activations.ReLU, InputDim: 3}, &layers.BatchNormalization{}, &layers.Dense{Units: 1})
	if err := seq.Compile(losses.MeanSquaredError{}, &optimizers.Adam{}, metrics.MAE()); err != nil {
		f.Fatal(err)
	}
	inner := layers.NewInput(5)
	nested, err := NewModel([]*layers.KerasTensor{inner}, []*layers.KerasTensor{layers.Apply(&layers.Dense{Units: 2, Activation: activations.Softmax}, inner)})
	if err != nil {
		f.Fatal(err)
	}
	in := layers.NewInput(3)
	shared := &layers.Dense{Units: 3}
	h := layers.Apply(shared, layers.Apply(shared, in))
	merged := layers.Apply(&layers.Concatenate{}, h, layers.Apply(&layers.Dense{Units: 2}, in))
	g, err := NewModel([]*layers.KerasTensor{in}, []*layers.KerasTensor{layers.Apply(nested, merged)})
	if err != nil {
		f.Fatal(err)
	}
	if err := g.Compile(losses.CategoricalCrossentropy{}, &optimizers.RMSprop{ClipValue: 1}, &metrics.CategoricalAccuracy{Label: "acc"}); err != nil {
		f.Fatal(err)
	}
	var files []*saving.File
	for _, m := range []*Model{seq.Model, g} {
		entries, meta, err := m.fileContents(true)
		if err != nil {
			f.Fatal(err)
		}
		files = append(files, &saving.File{Metadata: meta, Entries: entries})
	}
	return files
}

// FuzzModelConfig mutates the JSON config and compile sections of a model
// file (the weights stay those of a real model): loading must return a
// model or an error, never panic, hang or allocate what the config claims
// without the file holding it.
func FuzzModelConfig(f *testing.F) {
	files := fuzzSeeds(f)
	for i, file := range files {
		f.Add(uint8(i), file.Metadata["config"], file.Metadata["compile"])
	}
	f.Fuzz(func(t *testing.T, which uint8, config, compile string) {
		base := files[int(which)%len(files)]
		meta := map[string]string{}
		for k, v := range base.Metadata {
			meta[k] = v
		}
		meta["config"], meta["compile"] = config, compile
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-done:
			case <-time.After(2 * time.Second):
				panic(fmt.Sprintf("slow input: config %q compile %q", config, compile))
			}
		}()
		m, err := fromFile(&saving.File{Metadata: meta, Entries: base.Entries})
		if err != nil {
			return
		}
		// A model that loads must hold together: its summary and weights.
		var sink discard
		if err := m.Summary(sink); err != nil {
			t.Fatalf("loaded, but Summary fails: %v", err)
		}
		if _, err := m.GetWeights(); err != nil {
			t.Fatalf("loaded, but GetWeights fails: %v", err)
		}
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
