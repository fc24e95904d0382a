package spec

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

// Data is a spec's data section, its paths resolved against the spec's
// directory. Exactly one of Builtin ("boston" or "mnist"), CSV (a file) and
// IDX (a directory of MNIST-format files) is set.
type Data struct {
	Line                      int // the section's line; 0 when the spec has none
	Builtin, CSV, IDX         string
	Features, Targets         []string // CSV columns; no Features means every column but the targets
	Delimiter                 string
	NoHeader                  bool
	ValidationSplit           float64 // the fraction of the training data that fit holds out
	ValidationCSV, TestCSV    string
	TrainRows, ValidationRows int // when positive, only the first rows are used
	Prep                      Preprocessing
}

// Preprocessing is the data's preprocessing, with what it learned from the
// training data (the standardization statistics) once Data.Load has run.
// It is saved with the model (Spec.Metadata), so that evaluate and predict
// apply the same steps.
type Preprocessing struct {
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

// MetadataKey is the key of a saved model's metadata under which the
// preprocessing is kept, as JSON.
const MetadataKey = "neurona.data"

func (s *Spec) parseData(n *yaml.Node) error {
	m, err := s.mapping(n, "data", "builtin", "csv", "idx", "features", "targets", "delimiter", "header",
		"validation_split", "validation_csv", "test_csv", "train_rows", "validation_rows", "preprocessing")
	if err != nil {
		return err
	}
	d := &s.Data
	d.Line = n.Line
	sources := 0
	for _, k := range []struct {
		key string
		dst *string
	}{{"builtin", &d.Builtin}, {"csv", &d.CSV}, {"idx", &d.IDX}, {"delimiter", &d.Delimiter},
		{"validation_csv", &d.ValidationCSV}, {"test_csv", &d.TestCSV}} {
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
	if d.Builtin != "" && d.Builtin != "boston" && d.Builtin != "mnist" {
		return s.errorf(m["builtin"], "unknown builtin dataset %q (valid: boston, mnist)", d.Builtin)
	}
	d.CSV, d.IDX, d.ValidationCSV, d.TestCSV = s.path(d.CSV), s.path(d.IDX), s.path(d.ValidationCSV), s.path(d.TestCSV)
	for _, k := range []struct {
		key string
		dst *[]string
	}{{"features", &d.Features}, {"targets", &d.Targets}} {
		if v, ok := m[k.key]; ok {
			if err := s.decode(v, "data."+k.key, "a list of column names", k.dst); err != nil {
				return err
			}
		}
	}
	if d.CSV != "" && len(d.Targets) == 0 {
		return s.errorf(n, "data.targets must name the CSV's target columns, e.g. targets: [price]")
	}
	if v, ok := m["header"]; ok {
		header := true
		if err := s.decode(v, "data.header", "true or false", &header); err != nil {
			return err
		}
		d.NoHeader = !header
	}
	if v, ok := m["validation_split"]; ok {
		if err := s.decode(v, "data.validation_split", "a number in [0, 1)", &d.ValidationSplit); err != nil {
			return err
		}
		if !(d.ValidationSplit >= 0 && d.ValidationSplit < 1) {
			return s.errorf(v, "data.validation_split must be in [0, 1), got %v", d.ValidationSplit)
		}
	}
	for _, k := range []struct {
		key string
		dst *int
	}{{"train_rows", &d.TrainRows}, {"validation_rows", &d.ValidationRows}} {
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
				err = s.decode(v, "preprocessing.flatten", "true or false", &d.Prep.Flatten)
			case "reshape":
				err = s.decode(v, "preprocessing.reshape", "a shape such as [28, 28, 1]", &d.Prep.Reshape)
			case "scale":
				err = s.decode(v, "preprocessing.scale", "a number such as 0.00392156862745098 (1/255)", &d.Prep.Scale)
			case "standardize":
				err = s.decode(v, "preprocessing.standardize", "true or false", &d.Prep.Std)
			case "one_hot":
				err = s.decode(v, "preprocessing.one_hot", "a number of classes", &d.Prep.OneHot)
				if err == nil && d.Prep.OneHot < 2 {
					err = s.errorf(v, "preprocessing.one_hot must be a number of classes (2 or more)")
				}
			}
			if err != nil {
				return err
			}
		}
	}
	d.Prep.Features, d.Prep.Targets, d.Prep.Delim, d.Prep.NoHeader = d.Features, d.Targets, d.Delimiter, d.NoHeader
	return nil
}

// CSVOptions returns the options for reading a CSV file of this data; name
// names the file in errors, and withTargets reads the target columns too.
func (p *Preprocessing) CSVOptions(name string, withTargets bool) datasets.CSVOptions {
	o := datasets.CSVOptions{Features: p.Features, NoHeader: p.NoHeader, Name: name}
	if withTargets {
		o.Targets = p.Targets
	}
	if p.Delim != "" {
		o.Delimiter = []rune(p.Delim)[0]
	}
	return o
}

// ReadCSV reads a CSV file of this data, unpreprocessed (see Apply), with
// the target columns when withTargets is set.
func (p *Preprocessing) ReadCSV(path string, withTargets bool) (datasets.Split, error) {
	return readCSVFile(path, p.CSVOptions(path, withTargets))
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

// Load reads the data and preprocesses it: the training split, the
// validation split (empty when a validation split fraction is used) and
// the test split (empty when none). The MNIST data's test set is its
// validation split. Load learns the standardization statistics into d.Prep.
func (d *Data) Load() (train, valid, test datasets.Split, err error) {
	switch {
	case d.Builtin == "boston":
		train, valid, err = datasets.BostonHousing()
	case d.Builtin == "mnist":
		train, valid, err = mnist.Load()
	case d.IDX != "":
		train, valid, err = datasets.LoadIDXDir(d.IDX)
	default:
		if train, err = readCSVFile(d.CSV, d.Prep.CSVOptions(d.CSV, true)); err != nil {
			return
		}
		// Record the feature columns the file gave, so that predict reads
		// the same ones whatever else its input holds.
		if d.Prep.Features, err = csvColumns(d.CSV, d.Prep.CSVOptions(d.CSV, true)); err != nil {
			return
		}
		if d.ValidationCSV != "" {
			if valid, err = readCSVFile(d.ValidationCSV, d.Prep.CSVOptions(d.ValidationCSV, true)); err != nil {
				return
			}
		}
		if d.TestCSV != "" {
			if test, err = readCSVFile(d.TestCSV, d.Prep.CSVOptions(d.TestCSV, true)); err != nil {
				return
			}
		}
	}
	if err != nil {
		return
	}
	if d.TrainRows > 0 {
		train = train.Head(d.TrainRows)
	}
	if d.ValidationRows > 0 && valid.X != nil {
		valid = valid.Head(d.ValidationRows)
	}
	if err = d.Prep.fit(train); err != nil {
		return
	}
	name := d.CSV
	if name == "" {
		name = "the training data"
	}
	for _, sp := range []struct {
		s    *datasets.Split
		name string
	}{{&train, name}, {&valid, or(d.ValidationCSV, "the validation data")}, {&test, d.TestCSV}} {
		if sp.s.X == nil {
			continue
		}
		if err = d.Prep.Apply(sp.s, sp.name); err != nil {
			return
		}
	}
	return
}

// fit learns the standardization statistics from the training inputs.
func (p *Preprocessing) fit(train datasets.Split) error {
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

// Apply preprocesses a split in place: flatten, scale, standardize, one-hot.
func (p *Preprocessing) Apply(s *datasets.Split, name string) error {
	x, err := p.ApplyX(s.X)
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

// ApplyX preprocesses inputs.
func (p *Preprocessing) ApplyX(x *tensor.Tensor) (*tensor.Tensor, error) {
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

// Marshal returns the preprocessing as the JSON kept under MetadataKey.
func (p *Preprocessing) Marshal() string {
	b, _ := json.Marshal(p)
	return string(b)
}

// PreprocessingFromMetadata returns the preprocessing saved in a model's
// metadata (an empty one when there is none); file names the model in errors.
func PreprocessingFromMetadata(meta map[string]string, file string) (*Preprocessing, error) {
	var p Preprocessing
	s, ok := meta[MetadataKey]
	if !ok {
		return &p, nil
	}
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return nil, fmt.Errorf("%s: bad %s metadata: %w", file, MetadataKey, err)
	}
	return &p, nil
}

func or(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// Describe names the data's source: "the builtin dataset boston", a CSV
// file or an IDX directory.
func (d *Data) Describe() string {
	switch {
	case d.Builtin != "":
		return "the builtin dataset " + d.Builtin
	case d.CSV != "":
		return d.CSV
	}
	return d.IDX
}

// UseIDX makes MNIST data (builtin mnist, or an IDX directory) come from
// the IDX files of dir instead. Other data cannot be replaced: UseIDX
// returns an error and leaves d as it is.
func (d *Data) UseIDX(dir string) error {
	if d.Builtin != "mnist" && d.IDX == "" {
		return fmt.Errorf("MNIST-format IDX files replace MNIST data; this spec reads %s", d.Describe())
	}
	d.Builtin, d.IDX = "", dir
	return nil
}
