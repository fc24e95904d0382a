package main

import (
	"encoding/json"
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"

	"github.com/neurona/neurona/datasets"
	"github.com/neurona/neurona/datasets/mnist"
	"github.com/neurona/neurona/preprocessing"
	"github.com/neurona/neurona/tensor"
)

// dataSpec is a spec's data section.
type dataSpec struct {
	line                      int
	builtin, csv, idx         string
	features, targets         []string
	delimiter                 string
	noHeader                  bool
	validationSplit           float64
	validationCSV, testCSV    string
	trainRows, validationRows int
	prep                      prepSpec
}

// prepSpec is the preprocessing, with what it learned from the training
// data (the standardization statistics). It is saved with the model, so
// that evaluate and predict apply the same steps.
type prepSpec struct {
	Features []string  `json:"features,omitempty"`
	Targets  []string  `json:"targets,omitempty"`
	Delim    string    `json:"delimiter,omitempty"`
	NoHeader bool      `json:"no_header,omitempty"`
	Flatten  bool      `json:"flatten,omitempty"`
	Reshape  []int     `json:"reshape,omitempty"`
	Scale    float64   `json:"scale,omitempty"`
	Std      bool      `json:"standardize,omitempty"`
	Mean     []float32 `json:"mean,omitempty"`
	Stddev   []float32 `json:"stddev,omitempty"`
	OneHot   int       `json:"one_hot,omitempty"`
}

// metadataKey is where the command keeps prepSpec in a saved model.
const metadataKey = "neurona.data"

func (s *spec) parseData(n *yaml.Node) error {
	m, err := s.mapping(n, "data", "builtin", "csv", "idx", "features", "targets", "delimiter", "header",
		"validation_split", "validation_csv", "test_csv", "train_rows", "validation_rows", "preprocessing")
	if err != nil {
		return err
	}
	d := &s.data
	d.line = n.Line
	sources := 0
	for _, k := range []struct {
		key string
		dst *string
	}{{"builtin", &d.builtin}, {"csv", &d.csv}, {"idx", &d.idx}, {"delimiter", &d.delimiter},
		{"validation_csv", &d.validationCSV}, {"test_csv", &d.testCSV}} {
		if v, ok := m[k.key]; ok {
			if err := s.decode(v, "data."+k.key, "a string", k.dst); err != nil {
				return err
			}
			if k.key == "builtin" || k.key == "csv" || k.key == "idx" {
				sources++
			}
		}
	}
	if sources != 1 {
		return s.errorf(n, "data needs exactly one source: builtin (boston, mnist), csv (a file) or idx (a directory)")
	}
	if d.builtin != "" && d.builtin != "boston" && d.builtin != "mnist" {
		return s.errorf(m["builtin"], "unknown builtin dataset %q (valid: boston, mnist)", d.builtin)
	}
	d.csv, d.idx, d.validationCSV, d.testCSV = s.path(d.csv), s.path(d.idx), s.path(d.validationCSV), s.path(d.testCSV)
	for _, k := range []struct {
		key string
		dst *[]string
	}{{"features", &d.features}, {"targets", &d.targets}} {
		if v, ok := m[k.key]; ok {
			if err := s.decode(v, "data."+k.key, "a list of column names", k.dst); err != nil {
				return err
			}
		}
	}
	if d.csv != "" && len(d.targets) == 0 {
		return s.errorf(n, "data.targets must name the CSV's target columns, e.g. targets: [price]")
	}
	if v, ok := m["header"]; ok {
		header := true
		if err := s.decode(v, "data.header", "true or false", &header); err != nil {
			return err
		}
		d.noHeader = !header
	}
	if v, ok := m["validation_split"]; ok {
		if err := s.decode(v, "data.validation_split", "a number in [0, 1)", &d.validationSplit); err != nil {
			return err
		}
		if !(d.validationSplit >= 0 && d.validationSplit < 1) {
			return s.errorf(v, "data.validation_split must be in [0, 1), got %v", d.validationSplit)
		}
	}
	for _, k := range []struct {
		key string
		dst *int
	}{{"train_rows", &d.trainRows}, {"validation_rows", &d.validationRows}} {
		if v, ok := m[k.key]; ok {
			if err := s.decode(v, "data."+k.key, "a positive integer", k.dst); err != nil {
				return err
			}
		}
	}
	if p, ok := m["preprocessing"]; ok {
		pm, err := s.mapping(p, "data.preprocessing", "flatten", "reshape", "scale", "standardize", "one_hot")
		if err != nil {
			return err
		}
		for k, v := range pm {
			switch k {
			case "flatten":
				err = s.decode(v, "preprocessing.flatten", "true or false", &d.prep.Flatten)
			case "reshape":
				err = s.decode(v, "preprocessing.reshape", "a shape such as [28, 28, 1]", &d.prep.Reshape)
			case "scale":
				err = s.decode(v, "preprocessing.scale", "a number such as 0.00392156862745098 (1/255)", &d.prep.Scale)
			case "standardize":
				err = s.decode(v, "preprocessing.standardize", "true or false", &d.prep.Std)
			case "one_hot":
				err = s.decode(v, "preprocessing.one_hot", "a number of classes", &d.prep.OneHot)
				if err == nil && d.prep.OneHot < 2 {
					err = s.errorf(v, "preprocessing.one_hot must be a number of classes (2 or more)")
				}
			}
			if err != nil {
				return err
			}
		}
	}
	d.prep.Features, d.prep.Targets, d.prep.Delim, d.prep.NoHeader = d.features, d.targets, d.delimiter, d.noHeader
	return nil
}

// csvOptions returns the options for reading a CSV file of this data.
func (p *prepSpec) csvOptions(name string, withTargets bool) datasets.CSVOptions {
	o := datasets.CSVOptions{Features: p.Features, NoHeader: p.NoHeader, Name: name}
	if withTargets {
		o.Targets = p.Targets
	}
	if p.Delim != "" {
		o.Delimiter = []rune(p.Delim)[0]
	}
	return o
}

func readCSVFile(path string, opts datasets.CSVOptions) (datasets.Split, error) {
	f, err := os.Open(path)
	if err != nil {
		return datasets.Split{}, err
	}
	defer f.Close()
	return datasets.ReadCSV(f, opts)
}

// csvColumns returns the feature columns that opts select in a CSV file.
func csvColumns(path string, opts datasets.CSVOptions) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := datasets.NewCSVReader(f, opts)
	if err != nil {
		return nil, err
	}
	return r.Columns(), nil
}

// load reads the data and preprocesses it: the training split, the
// validation split (empty when a validation split fraction is used) and
// the test split (empty when none).
func (d *dataSpec) load() (train, valid, test datasets.Split, err error) {
	switch {
	case d.builtin == "boston":
		train, valid, err = datasets.BostonHousing()
	case d.builtin == "mnist":
		train, valid, err = mnist.Load()
	case d.idx != "":
		train, valid, err = datasets.LoadIDXDir(d.idx)
	default:
		if train, err = readCSVFile(d.csv, d.prep.csvOptions(d.csv, true)); err != nil {
			return
		}
		// Record the feature columns the file gave, so that predict reads
		// the same ones whatever else its input holds.
		if d.prep.Features, err = csvColumns(d.csv, d.prep.csvOptions(d.csv, true)); err != nil {
			return
		}
		if d.validationCSV != "" {
			if valid, err = readCSVFile(d.validationCSV, d.prep.csvOptions(d.validationCSV, true)); err != nil {
				return
			}
		}
		if d.testCSV != "" {
			if test, err = readCSVFile(d.testCSV, d.prep.csvOptions(d.testCSV, true)); err != nil {
				return
			}
		}
	}
	if err != nil {
		return
	}
	if d.trainRows > 0 {
		train = train.Head(d.trainRows)
	}
	if d.validationRows > 0 && valid.X != nil {
		valid = valid.Head(d.validationRows)
	}
	if err = d.prep.fit(train); err != nil {
		return
	}
	name := d.csv
	if name == "" {
		name = "the training data"
	}
	for _, sp := range []struct {
		s    *datasets.Split
		name string
	}{{&train, name}, {&valid, or(d.validationCSV, "the validation data")}, {&test, d.testCSV}} {
		if sp.s.X == nil {
			continue
		}
		if err = d.prep.apply(sp.s, sp.name); err != nil {
			return
		}
	}
	return
}

// fit learns the standardization statistics from the training inputs.
func (p *prepSpec) fit(train datasets.Split) error {
	if !p.Std {
		return nil
	}
	x := train.X
	if p.Flatten {
		x = preprocessing.Flatten(x)
	}
	var st preprocessing.Standardizer
	if err := st.Fit(x); err != nil {
		return err
	}
	p.Mean, p.Stddev = st.Mean, st.Std
	if p.Scale != 0 { // statistics of the scaled data
		for i := range p.Mean {
			p.Mean[i] *= float32(p.Scale)
			p.Stddev[i] *= float32(p.Scale)
		}
	}
	return nil
}

// apply preprocesses a split in place: flatten, scale, standardize, one-hot.
func (p *prepSpec) apply(s *datasets.Split, name string) error {
	x, err := p.applyX(s.X)
	if err != nil {
		return err
	}
	s.X = x
	if p.OneHot > 0 && s.Y != nil {
		column := ""
		if len(p.Targets) == 1 {
			column = p.Targets[0]
		}
		if err := datasets.CheckLabels(s.Y, p.OneHot, name, column); err != nil {
			return err
		}
		if s.Y, err = preprocessing.ToCategorical(s.Y, p.OneHot); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// applyX preprocesses inputs.
func (p *prepSpec) applyX(x *tensor.Tensor) (*tensor.Tensor, error) {
	if p.Flatten {
		x = preprocessing.Flatten(x)
	}
	if p.Reshape != nil {
		size := 1
		for _, d := range p.Reshape {
			size *= d
		}
		if size <= 0 || x.RowSize() != size {
			return nil, fmt.Errorf("preprocessing.reshape: samples of shape %s cannot become %s", tensor.ShapeString(x.Shape[1:]), tensor.ShapeString(p.Reshape))
		}
		x = x.Reshape(append([]int{x.Rows()}, p.Reshape...)...)
	}
	if p.Scale != 0 {
		x = preprocessing.Scale(x, float32(p.Scale))
	}
	if p.Std {
		st := preprocessing.Standardizer{Mean: p.Mean, Std: p.Stddev}
		return st.Transform(x)
	}
	return x, nil
}

func (p *prepSpec) marshal() string {
	b, _ := json.Marshal(p)
	return string(b)
}

// prepFromModel returns the preprocessing saved with a model.
func prepFromModel(meta map[string]string, file string) (*prepSpec, error) {
	var p prepSpec
	s, ok := meta[metadataKey]
	if !ok {
		return &p, nil
	}
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return nil, fmt.Errorf("%s: bad %s metadata: %w", file, metadataKey, err)
	}
	return &p, nil
}

func or(s, def string) string {
	if s != "" {
		return s
	}
	return def
}
