// Package spec reads neurona's YAML model specs (see README.md, "Spec
// files"): a Sequential model, or a graph of layers as Keras's functional
// API builds (README.md, "Graphs"), with its compile, data, fit, output
// and explain sections. It builds the compiled model and loads the data,
// preprocessed. The neurona command is a thin layer over it.
//
// The book's networks (Deep Learning Illustrated, Krohn 2019) are defined
// once, as the specs embedded by package examples; Book returns one parsed:
//
//	s, err := spec.Book("regression")
//	train, valid, _, err := s.Data.Load()
//	m, err := s.Build(seed) // compiled, weights drawn from seed
//	cfg := s.FitConfig()
//	cfg.ValidationX, cfg.ValidationY = valid.X, valid.Y
//	h, err := m.Fit(ctx, train.X, train.Y, cfg)
//
// Errors about a spec are *Error values that name the file and, where
// there is one, the line.
package spec
