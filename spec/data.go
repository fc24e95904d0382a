package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

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
	Exclude                   []string // columns that are not features (an ID)
	TargetsCSV                string   // a second file holding the targets, row by row
	Delimiter                 string
	NoHeader                  bool
	SkipRows                  int     // lines before the header
	ValidationSplit           float64 // the fraction of the training data that fit holds out
	ValidationCSV, TestCSV    string
	TrainRows, ValidationRows int // when positive, only the first rows are used
	Prep                      Preprocessing
	// Text data sets (builtin imdb and rt-polarity): the vocabulary
	// (num_words), the ids turned into the OOV mark (skip_top, IMDB only)
	// and the length every sequence is padded or truncated to (maxlen,
	// Keras's pad_sequences with padding and truncating 'pre').
	NumWords, SkipTop, MaxLen int
	// Text is the CSV's column of raw text (data.text), the model's one
	// input: a Tokenizer with the settings below (and NumWords), fitted on
	// the training rows, turns each text into token ids, padded or
	// truncated to MaxLen ('pre' unless Padding or Truncating is "post").
	Text                string
	Padding, Truncating string
	OOVToken            string
	NoLower, CharLevel  bool
	Filters             *string // nil means Keras's default filters
	// IMDBPath is imdb.npz's path (data.path); when empty, the file comes
	// from IMDBDir, the cache directory ("" means datasets.DataDir()).
	IMDBPath, IMDBDir string
	// ImageDir is the directory of builtin flowers17's image_NNNN.jpg files
	// (data.dir); when empty they come from the cache directory,
	// downloaded when absent.
	ImageDir string
	// Seed seeds the shuffle that builtin flowers17 applies when loading
	// (data.seed, tflearn's permutation); without it (SeedSet false) the
	// fit's seed is used.
	Seed    uint32
	SeedSet bool

	loaded *loadedData // set by Load for CSV data
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
	// SkipRows and TargetsCSV are the data's skip_rows and whether its
	// targets came from a second file (targets_csv).
	SkipRows   int  `json:"skip_rows,omitempty"`
	TargetsCSV bool `json:"targets_csv,omitempty"`
	// Classes are the class names of a target column of names, sorted:
	// label k is Classes[k].
	Classes []string `json:"classes,omitempty"`
	// StdTargets standardizes the targets with TargetMean and TargetStd,
	// learned from the training rows; predictions are inverted (InvertY).
	StdTargets bool      `json:"standardize_targets,omitempty"`
	TargetMean []float32 `json:"target_mean,omitempty"`
	TargetStd  []float32 `json:"target_stddev,omitempty"`
	// FittedOn says which rows the statistics (and the tokenizer) were
	// learned from.
	FittedOn string `json:"fitted_on,omitempty"`
	// Text is the column of raw text (data.text). Tokenizer is the
	// Tokenizer fitted on the training rows' texts, as Keras's
	// Tokenizer.to_json() writes it; the texts' token ids are padded or
	// truncated to MaxLen ('pre' unless Padding or Truncating is "post").
	Text       string          `json:"text,omitempty"`
	Tokenizer  json.RawMessage `json:"tokenizer,omitempty"`
	MaxLen     int             `json:"maxlen,omitempty"`
	Padding    string          `json:"padding,omitempty"`
	Truncating string          `json:"truncating,omitempty"`

	tok *preprocessing.Tokenizer // Tokenizer, fitted or read back
}

// dataKeys and prepKeys are the keys of the data section and of its
// preprocessing (the README documents each one).
var (
	dataKeys = []string{"builtin", "csv", "idx", "features", "targets", "exclude", "targets_csv", "delimiter", "header", "skip_rows",
		"validation_split", "validation_csv", "test_csv", "train_rows", "validation_rows", "preprocessing",
		"num_words", "skip_top", "maxlen", "path", "dir", "seed",
		"text", "padding", "truncating", "oov_token", "lower", "char_level", "filters"}
	prepKeys = []string{"flatten", "reshape", "scale", "standardize", "standardize_targets", "one_hot"}
)

// loadedData is what Load learned about the CSV data, for Build to check
// it against the model.
type loadedData struct {
	file    string
	columns []string // the feature columns
	sample  []int    // the shape of one preprocessed sample
	labels  []labelSet
}

type labelSet struct {
	y      *tensor.Tensor
	file   string
	column string
}

// parseDelimiter reads data.delimiter: one character, "tab" or
// "whitespace".
func parseDelimiter(d string) (r rune, whitespace bool, ok bool) {
	switch d {
	case "":
		return 0, false, true
	case "whitespace":
		return 0, true, true
	case "tab":
		return '\t', false, true
	}
	rs := []rune(d)
	if len(rs) != 1 || rs[0] == '\r' || rs[0] == '\n' || rs[0] == '"' || rs[0] == utf8.RuneError {
		return 0, false, false
	}
	return rs[0], false, true
}

// MetadataKey is the key of a saved model's metadata under which the
// preprocessing is kept, as JSON.
const MetadataKey = "neurona.data"

func (s *Spec) parseData(n *yaml.Node) error {
	m, err := s.mapping(n, "data", dataKeys...)
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
		{"validation_csv", &d.ValidationCSV}, {"test_csv", &d.TestCSV}, {"targets_csv", &d.TargetsCSV}} {
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
		return s.errorf(n, "data needs exactly one source: builtin (boston, mnist, imdb, rt-polarity, flowers17), csv (a file) or idx (a directory)")
	}
	if d.Builtin != "" && !slices.Contains(builtins, d.Builtin) {
		return s.errorf(m["builtin"], "unknown builtin dataset %q (valid: %s)", d.Builtin, strings.Join(builtins, ", "))
	}
	if err := s.parseTextData(n, m); err != nil {
		return err
	}
	if err := s.parseImageData(m); err != nil {
		return err
	}
	d.CSV, d.IDX, d.ValidationCSV, d.TestCSV = s.path(d.CSV), s.path(d.IDX), s.path(d.ValidationCSV), s.path(d.TestCSV)
	if v, ok := m["delimiter"]; ok {
		if _, _, ok := parseDelimiter(d.Delimiter); !ok {
			return s.errorf(v, "data.delimiter must be one character such as \",\", \";\" or \"|\", \"tab\" (or \"\\t\") for tabs, or \"whitespace\" for any run of spaces and tabs; got %q", d.Delimiter)
		}
	}
	if d.TargetsCSV != "" {
		if d.CSV == "" {
			return s.errorf(m["targets_csv"], "data.targets_csv holds the targets of data.csv: set csv too")
		}
		if d.ValidationCSV != "" || d.TestCSV != "" {
			return s.errorf(m["targets_csv"], "data.targets_csv cannot be combined with validation_csv or test_csv (their targets would need files of their own): use validation_split")
		}
		d.TargetsCSV = s.path(d.TargetsCSV)
	}
	for _, k := range []struct {
		key string
		dst *[]string
	}{{"features", &d.Features}, {"targets", &d.Targets}, {"exclude", &d.Exclude}} {
		if v, ok := m[k.key]; ok {
			if err := s.decode(v, "data."+k.key, "a list of column names", k.dst); err != nil {
				return err
			}
		}
	}
	if err := s.checkTextKeys(m); err != nil {
		return err
	}
	if d.CSV != "" && len(d.Targets) == 0 && d.TargetsCSV == "" {
		return s.errorf(n, "data.targets must name the CSV's target columns, e.g. targets: [price] (or data.targets_csv a file of targets)")
	}
	if len(d.Exclude) > 0 && len(d.Features) > 0 {
		return s.errorf(m["exclude"], "data.exclude drops columns from the default features: it cannot be combined with data.features, which lists them")
	}
	if v, ok := m["skip_rows"]; ok {
		if err := s.decode(v, "data.skip_rows", "a number of lines", &d.SkipRows); err != nil {
			return err
		}
		if d.SkipRows < 0 {
			return s.errorf(v, "data.skip_rows must not be negative, got %d", d.SkipRows)
		}
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
		pm, err := s.mapping(p, "data.preprocessing", prepKeys...)
		if err != nil {
			return err
		}
		for k, v := range pm {
			if d.Text != "" && (k == "flatten" || k == "reshape" || k == "scale" || k == "standardize") {
				return s.errorf(v, "preprocessing.%s applies to numeric features; a text column's token ids are used as they are (with data.text, preprocessing takes one_hot and standardize_targets)", k)
			}
			switch k {
			case "flatten":
				err = s.decode(v, "preprocessing.flatten", "true or false", &d.Prep.Flatten)
			case "reshape":
				err = s.decode(v, "preprocessing.reshape", "a shape such as [28, 28, 1]", &d.Prep.Reshape)
			case "scale":
				err = s.decode(v, "preprocessing.scale", "a number such as 0.00392156862745098 (1/255)", &d.Prep.Scale)
			case "standardize":
				err = s.decode(v, "preprocessing.standardize", "true or false", &d.Prep.Std)
			case "standardize_targets":
				err = s.decode(v, "preprocessing.standardize_targets", "true or false", &d.Prep.StdTargets)
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
		if d.Prep.StdTargets && d.Prep.OneHot > 0 {
			return s.errorf(p, "preprocessing.standardize_targets is for regression targets; one_hot makes class labels: use one of them")
		}
	}
	d.Prep.Features, d.Prep.Targets, d.Prep.Delim, d.Prep.NoHeader = d.Features, d.Targets, d.Delimiter, d.NoHeader
	d.Prep.SkipRows, d.Prep.TargetsCSV = d.SkipRows, d.TargetsCSV != ""
	if d.Text != "" {
		d.Prep.Features = nil
		d.Prep.Text, d.Prep.MaxLen, d.Prep.Padding, d.Prep.Truncating = d.Text, d.MaxLen, d.Padding, d.Truncating
	}
	return nil
}

// builtins are the builtin data sets.
var builtins = []string{"boston", "mnist", "imdb", "rt-polarity", "flowers17"}

// isText tells the builtin text data sets.
func isText(builtin string) bool { return builtin == "imdb" || builtin == "rt-polarity" }

// parseTextData reads the keys of text data (the builtin text data sets
// and a CSV's text column): text, num_words, skip_top, maxlen, (IMDB)
// path, and the text column's tokenizer and padding settings.
func (s *Spec) parseTextData(n *yaml.Node, m map[string]*yaml.Node) error {
	d := &s.Data
	if v, ok := m["text"]; ok {
		if err := s.decode(v, "data.text", "a column name", &d.Text); err != nil {
			return err
		}
		if d.CSV == "" {
			return s.errorf(v, "data.text names the column of raw text of a CSV or TSV file: it needs data.csv")
		}
		if strings.TrimSpace(d.Text) == "" {
			return s.errorf(v, "data.text must name a column of raw text, e.g. text: sentence")
		}
	}
	text := isText(d.Builtin) || d.Text != ""
	for _, k := range []struct {
		key string
		dst *int
	}{{"num_words", &d.NumWords}, {"skip_top", &d.SkipTop}, {"maxlen", &d.MaxLen}} {
		v, ok := m[k.key]
		if !ok {
			continue
		}
		if !text {
			return s.errorf(v, "data.%s is for text data: builtin imdb or rt-polarity, or a CSV's text column (data.text)", k.key)
		}
		if err := s.decode(v, "data."+k.key, "a positive integer", k.dst); err != nil {
			return err
		}
		if *k.dst < 0 || (*k.dst == 0 && k.key == "maxlen") {
			return s.errorf(v, "data.%s must be positive, got %d", k.key, *k.dst)
		}
	}
	if v, ok := m["path"]; ok {
		if d.Builtin != "imdb" {
			return s.errorf(v, "data.path is imdb.npz's path, for builtin imdb")
		}
		if err := s.decode(v, "data.path", "a file name", &d.IMDBPath); err != nil {
			return err
		}
		d.IMDBPath = s.path(d.IMDBPath)
	}
	if isText(d.Builtin) && d.MaxLen == 0 {
		return s.errorf(n, "data.maxlen must give the length sequences are padded to (builtin %s), e.g. maxlen: 100", d.Builtin)
	}
	if (d.Builtin == "rt-polarity" || d.Text != "") && d.SkipTop > 0 {
		return s.errorf(m["skip_top"], "data.skip_top is for builtin imdb")
	}
	if d.Text != "" && d.MaxLen == 0 {
		return s.errorf(n, "data.maxlen must give the length the texts' token ids are padded or truncated to (data.text), e.g. maxlen: 100")
	}
	return s.parseTokenizerKeys(m)
}

// parseTokenizerKeys reads the tokenizer and padding settings of a CSV's
// text column: padding, truncating, oov_token, lower, char_level and
// filters.
func (s *Spec) parseTokenizerKeys(m map[string]*yaml.Node) error {
	d := &s.Data
	for _, key := range []string{"padding", "truncating", "oov_token", "lower", "char_level", "filters"} {
		v, ok := m[key]
		if !ok {
			continue
		}
		if d.Text == "" {
			return s.errorf(v, "data.%s is a tokenizer setting for a CSV's text column: it needs data.text", key)
		}
		var err error
		switch key {
		case "padding", "truncating":
			dst := &d.Padding
			if key == "truncating" {
				dst = &d.Truncating
			}
			if err = s.decode(v, "data."+key, `"pre" or "post"`, dst); err == nil && *dst != "pre" && *dst != "post" {
				err = s.errorf(v, "data.%s must be \"pre\" (the default) or \"post\", got %q", key, *dst)
			}
		case "oov_token":
			err = s.decode(v, "data.oov_token", "a word such as \"<OOV>\"", &d.OOVToken)
		case "lower":
			lower := true
			err = s.decode(v, "data.lower", "true or false", &lower)
			d.NoLower = !lower
		case "char_level":
			err = s.decode(v, "data.char_level", "true or false", &d.CharLevel)
		case "filters":
			var f string
			err = s.decode(v, "data.filters", "a string of the characters to remove (\"\" for none)", &f)
			d.Filters = &f
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// checkTextKeys refuses the keys that a CSV's text column cannot take.
func (s *Spec) checkTextKeys(m map[string]*yaml.Node) error {
	d := &s.Data
	if d.Text == "" {
		return nil
	}
	if v, ok := m["features"]; ok {
		return s.errorf(v, "data.text is the model's one input: it cannot be combined with data.features (numeric feature columns)")
	}
	if v, ok := m["exclude"]; ok {
		return s.errorf(v, "data.exclude drops columns from the default features; with data.text only the text column and the targets are read: leave exclude out")
	}
	if v, ok := m["targets_csv"]; ok {
		return s.errorf(v, "data.targets_csv cannot be combined with data.text: put the target columns beside the text column")
	}
	if d.Delimiter == "whitespace" {
		return s.errorf(m["delimiter"], "data.delimiter whitespace would split the texts at their spaces: use tab (a TSV file) or one character such as \",\" with data.text")
	}
	return nil
}

// parseImageData reads the keys of the image data set flowers17: dir and
// seed.
func (s *Spec) parseImageData(m map[string]*yaml.Node) error {
	d := &s.Data
	if v, ok := m["dir"]; ok {
		if d.Builtin != "flowers17" {
			return s.errorf(v, "data.dir is the directory of the flowers17 images, for builtin flowers17")
		}
		if err := s.decode(v, "data.dir", "a directory", &d.ImageDir); err != nil {
			return err
		}
		d.ImageDir = s.path(d.ImageDir)
	}
	if v, ok := m["seed"]; ok {
		if d.Builtin != "flowers17" {
			return s.errorf(v, "data.seed seeds the shuffle of builtin flowers17 when it loads")
		}
		if err := s.decode(v, "data.seed", "a seed (0 to 4294967295)", &d.Seed); err != nil {
			return err
		}
		d.SeedSet = true
	}
	return nil
}

// UseImageDir makes builtin flowers17 read its images from dir; other
// data cannot be replaced so: UseImageDir returns an error and leaves d as
// it is.
func (d *Data) UseImageDir(dir string) error {
	if d.Builtin != "flowers17" {
		return fmt.Errorf("a directory of image_NNNN.jpg files replaces flowers17 data; this spec reads %s", d.Describe())
	}
	d.ImageDir = dir
	return nil
}

// IMDBURL is where builtin imdb downloads imdb.npz from when it is not in
// the cache directory (a variable for tests).
var IMDBURL = datasets.IMDBURL

// loadIMDB reads IMDB as the notebooks do: load_data(num_words, skip_top),
// then pad_sequences(maxlen, padding='pre', truncating='pre'). Without
// the file (and no download), its error is one line that says where to put
// imdb.npz or to pass --data rt-polarity.
func (d *Data) loadIMDB() (train, valid datasets.Split, err error) {
	dir := d.IMDBDir
	if dir == "" {
		dir = datasets.DataDir()
	}
	tr, te, err := datasets.IMDB(datasets.IMDBOptions{NumWords: d.NumWords, SkipTop: d.SkipTop, Path: d.IMDBPath, Dir: dir, URL: IMDBURL})
	if err != nil {
		where := filepath.Join(dir, "imdb.npz")
		if d.IMDBPath != "" {
			where = d.IMDBPath
		}
		if _, serr := os.Stat(where); errors.Is(serr, os.ErrNotExist) {
			return train, valid, fmt.Errorf("IMDB: no %s (and it could not be downloaded from %s): put Keras's imdb.npz in %s (the cache directory; $NEURONA_DATA or --data-dir names another) or pass --data rt-polarity to train on the embedded sentences", where, IMDBURL, dir)
		}
		return train, valid, fmt.Errorf("IMDB: %s", oneLine(err.Error()))
	}
	if train, err = padSplit(tr.X, tr.Y, d.MaxLen); err != nil {
		return
	}
	valid, err = padSplit(te.X, te.Y, d.MaxLen)
	return
}

// loadRTPolarity reads the embedded sentence polarity data
// (datasets.RTPolarity's 90/10 split): a Tokenizer keeping num_words,
// fitted on the training sentences, turns both splits into sequences,
// padded to maxlen.
func (d *Data) loadRTPolarity() (train, valid datasets.Split, err error) {
	tr, va, err := datasets.RTPolarity()
	if err != nil {
		return
	}
	tok := &preprocessing.Tokenizer{NumWords: d.NumWords}
	tok.FitOnTexts(tr.Texts)
	if train, err = padSplit(tok.TextsToSequences(tr.Texts), tr.Labels, d.MaxLen); err != nil {
		return
	}
	valid, err = padSplit(tok.TextsToSequences(va.Texts), va.Labels, d.MaxLen)
	return
}

// padSplit pads sequences to maxlen ('pre', 'pre') with labels as an
// (n, 1) tensor.
func padSplit(x [][]int, labels []int, maxlen int) (datasets.Split, error) {
	xt, err := preprocessing.PadSequences(x, preprocessing.PadOptions{MaxLen: maxlen})
	if err != nil {
		return datasets.Split{}, err
	}
	y := make([]float32, len(labels))
	for i, l := range labels {
		y[i] = float32(l)
	}
	return datasets.Split{X: xt, Y: tensor.FromSlice(y, len(y), 1)}, nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// CSVOptions returns the options for reading a CSV file of this data; name
// names the file in errors, and withTargets reads the target columns too.
func (p *Preprocessing) CSVOptions(name string, withTargets bool) datasets.CSVOptions {
	o := datasets.CSVOptions{Features: p.Features, NoHeader: p.NoHeader, Name: name, SkipRows: p.SkipRows, Text: p.Text}
	if p.Text != "" {
		o.Features = nil
	}
	if withTargets {
		o.Targets, o.Classes = p.Targets, p.Classes
	}
	if r, ws, ok := parseDelimiter(p.Delim); ok {
		o.Delimiter, o.Whitespace = r, ws
	} else if p.Delim != "" {
		o.Delimiter = []rune(p.Delim)[0] // a model saved before delimiters were checked
	}
	return o
}

// ReadCSV reads a CSV file of this data, unpreprocessed (see Apply), with
// the target columns when withTargets is set. For text data (a text
// column), the texts are read and encoded (EncodeTexts): X holds their
// padded token ids.
func (p *Preprocessing) ReadCSV(path string, withTargets bool) (datasets.Split, error) {
	if p.Text == "" {
		return readCSVFile(path, p.CSVOptions(path, withTargets))
	}
	texts, y, _, err := readCSVText(path, p.CSVOptions(path, withTargets), false)
	if err != nil {
		return datasets.Split{}, err
	}
	x, err := p.EncodeTexts(texts)
	if err != nil {
		return datasets.Split{}, fmt.Errorf("%s: %w", path, err)
	}
	return datasets.Split{X: x, Y: y}, nil
}

// readCSVText reads a CSV file's text column and its targets; with
// detect, a target column of names gives class labels and their names.
func readCSVText(path string, opts datasets.CSVOptions, detect bool) ([]string, *tensor.Tensor, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, nil, err
	}
	defer f.Close()
	if detect {
		return datasets.ReadCSVTextClasses(f, opts)
	}
	texts, y, err := datasets.ReadCSVText(f, opts)
	return texts, y, nil, err
}

// tokenizer returns the text column's tokenizer: the fitted one, or the
// one saved in Tokenizer.
func (p *Preprocessing) tokenizer() (*preprocessing.Tokenizer, error) {
	if p.tok != nil {
		return p.tok, nil
	}
	if len(p.Tokenizer) == 0 {
		return nil, fmt.Errorf("the data's text column %q has no fitted tokenizer", p.Text)
	}
	t, err := preprocessing.TokenizerFromJSON(p.Tokenizer)
	if err != nil {
		return nil, err
	}
	p.tok = t
	return t, nil
}

// EncodeTexts turns raw texts into the model's input, as the training
// texts were: the fitted tokenizer's ids (words it does not know become
// its OOV token, or are dropped without one), padded or truncated to
// MaxLen, as an (n, MaxLen) tensor. A text without known words, an empty
// one among them, gives a row of padding (zeros), as in Keras.
func (p *Preprocessing) EncodeTexts(texts []string) (*tensor.Tensor, error) {
	if p.Text == "" {
		return nil, errors.New("the data has no text column")
	}
	t, err := p.tokenizer()
	if err != nil {
		return nil, err
	}
	if p.MaxLen <= 0 {
		return nil, fmt.Errorf("the text column %q has no maxlen (got %d)", p.Text, p.MaxLen)
	}
	return preprocessing.PadSequences(t.TextsToSequences(texts), preprocessing.PadOptions{MaxLen: p.MaxLen, Padding: p.Padding, Truncating: p.Truncating})
}

func readCSVFile(path string, opts datasets.CSVOptions) (datasets.Split, error) {
	s, _, err := readCSVClasses(path, opts, false)
	return s, err
}

// readCSVClasses reads a CSV file; with detect, a target column of names
// gives class labels and their names.
func readCSVClasses(path string, opts datasets.CSVOptions, detect bool) (datasets.Split, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return datasets.Split{}, nil, err
	}
	defer f.Close()
	if detect {
		return datasets.ReadCSVClasses(f, opts)
	}
	s, err := datasets.ReadCSV(f, opts)
	return s, nil, err
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
	case d.Builtin == "imdb":
		train, valid, err = d.loadIMDB()
	case d.Builtin == "rt-polarity":
		train, valid, err = d.loadRTPolarity()
	case d.Builtin == "flowers17":
		// tflearn's oxflower17.load_data(one_hot=True): the whole set,
		// shuffled; the spec's validation_split holds out its end.
		train, err = datasets.Flowers17(datasets.Flowers17Options{Dir: d.ImageDir, Seed: d.Seed})
	case d.IDX != "":
		train, valid, err = datasets.LoadIDXDir(d.IDX)
	case d.Text != "":
		train, valid, test, err = d.loadText()
	default:
		if train, err = d.loadCSV(); err != nil {
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
	// The statistics are learned from the training rows: with a validation
	// split, fit holds out the last rows (before shuffling, as Keras does),
	// so they are left out here too.
	fitRows, err := d.fitRows(train.Len())
	if err != nil {
		return
	}
	if d.Prep.Std || d.Prep.StdTargets || d.Text != "" {
		d.Prep.FittedOn = d.fittedOn(fitRows, train.Len())
	}
	if err = d.Prep.fit(train.Head(fitRows)); err != nil {
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
		if d.loaded != nil && sp.s.Y != nil && d.Prep.OneHot == 0 && !d.Prep.StdTargets && len(d.Prep.Targets) == 1 {
			d.loaded.labels = append(d.loaded.labels, labelSet{y: sp.s.Y, file: sp.name, column: d.Prep.Targets[0]})
		}
		if err = d.Prep.Apply(sp.s, sp.name); err != nil {
			return
		}
		if sp.s == &train && d.loaded != nil {
			d.loaded.sample = train.X.Shape[1:]
		}
	}
	return
}

// fitRows returns the number of training rows that the statistics are
// learned from: with a validation split, fit holds out the last rows
// (before shuffling, as Keras does), so they are left out.
func (d *Data) fitRows(n int) (int, error) {
	if d.ValidationSplit == 0 {
		return n, nil
	}
	fit := int(float64(n) * (1 - d.ValidationSplit))
	if fit == 0 {
		return 0, fmt.Errorf("%s: validation_split %v of %d rows leaves no training rows", d.Describe(), d.ValidationSplit, n)
	}
	return fit, nil
}

// fittedOn is Preprocessing.FittedOn's note.
func (d *Data) fittedOn(fitRows, n int) string {
	s := fmt.Sprintf("the first %d of %d rows of %s", fitRows, n, d.Describe())
	if fitRows < n {
		s += fmt.Sprintf(" (validation_split holds out the last %d)", n-fitRows)
	}
	return s
}

// loadText reads CSV data with a text column: the training file's texts
// and targets (its classes recorded in d.Prep), fits the tokenizer on the
// training rows (not the rows validation_split holds out, nor the
// validation or test files), and encodes every split's texts
// (EncodeTexts).
func (d *Data) loadText() (train, valid, test datasets.Split, err error) {
	opts := d.Prep.CSVOptions(d.CSV, true)
	opts.Classes = nil
	d.Prep.Classes = nil
	texts, y, classes, err := readCSVText(d.CSV, opts, true)
	if err != nil {
		return
	}
	if err = d.checkClasses(classes); err != nil {
		return
	}
	d.Prep.Classes = classes
	if d.TrainRows > 0 && d.TrainRows < len(texts) {
		texts, y = texts[:d.TrainRows], headRows(y, d.TrainRows)
	}
	fitRows, err := d.fitRows(len(texts))
	if err != nil {
		return
	}
	tok := &preprocessing.Tokenizer{NumWords: d.NumWords, Filters: d.Filters, NoLower: d.NoLower, CharLevel: d.CharLevel, OOVToken: d.OOVToken}
	tok.FitOnTexts(texts[:fitRows])
	if len(tok.WordIndex()) == 0 || (d.OOVToken != "" && len(tok.WordIndex()) == 1) {
		err = fmt.Errorf("%s: column %q: the texts of the %d training rows hold no words once the tokenizer's filters and split are applied: check data.text names the column of text (and data.delimiter the file's delimiter)", d.CSV, d.Text, fitRows)
		return
	}
	if d.Prep.Tokenizer, err = tok.ToJSON(); err != nil {
		return
	}
	d.Prep.tok = tok
	if train.X, err = d.Prep.EncodeTexts(texts); err != nil {
		err = fmt.Errorf("%s: %w", d.CSV, err)
		return
	}
	train.Y = y
	for _, sp := range []struct {
		s    *datasets.Split
		path string
		rows int
	}{{&valid, d.ValidationCSV, d.ValidationRows}, {&test, d.TestCSV, 0}} {
		if sp.path == "" {
			continue
		}
		vt, vy, _, rerr := readCSVText(sp.path, d.Prep.CSVOptions(sp.path, true), false)
		if rerr != nil {
			err = rerr
			return
		}
		if sp.rows > 0 && sp.rows < len(vt) {
			vt, vy = vt[:sp.rows], headRows(vy, sp.rows)
		}
		if sp.s.X, err = d.Prep.EncodeTexts(vt); err != nil {
			err = fmt.Errorf("%s: %w", sp.path, err)
			return
		}
		sp.s.Y = vy
	}
	d.loaded = &loadedData{file: d.CSV, columns: []string{d.Text}}
	return
}

// headRows returns the first n rows of t (nil stays nil).
func headRows(t *tensor.Tensor, n int) *tensor.Tensor { return datasets.Split{X: t}.Head(n).X }

// checkClasses checks the class names of a target column against the
// preprocessing.
func (d *Data) checkClasses(classes []string) error {
	if classes == nil {
		return nil
	}
	if d.Prep.StdTargets {
		return fmt.Errorf("%s: column %q holds class names (%s), which preprocessing.standardize_targets cannot standardize", d.CSV, d.Prep.Targets[0], strings.Join(firstN(classes, 5), ", "))
	}
	if d.Prep.OneHot > 0 && d.Prep.OneHot != len(classes) {
		return fmt.Errorf("%s: column %q holds %d class names (%s) but preprocessing says one_hot: %d: set one_hot: %d", d.CSV, d.Prep.Targets[0], len(classes), strings.Join(firstN(classes, 5), ", "), d.Prep.OneHot, len(classes))
	}
	return nil
}

// loadCSV reads the training CSV file, with its targets from the same file
// or from TargetsCSV, and records its columns and classes in d.Prep.
func (d *Data) loadCSV() (datasets.Split, error) {
	opts := d.Prep.CSVOptions(d.CSV, d.TargetsCSV == "")
	opts.Exclude = d.Exclude
	opts.Classes = nil
	d.Prep.Classes = nil
	train, classes, err := readCSVClasses(d.CSV, opts, true)
	if err != nil {
		return train, err
	}
	// Record the feature columns the file gave, so that predict reads
	// the same ones whatever else its input holds.
	if d.Prep.Features, err = csvColumns(d.CSV, opts); err != nil {
		return train, err
	}
	if d.TargetsCSV != "" {
		// The targets file has the data file's form (delimiter, header,
		// skip_rows); its columns are the targets (all of them unless
		// data.targets names some).
		topts := d.Prep.CSVOptions(d.TargetsCSV, false)
		topts.Features = d.Targets
		y, err := readCSVFile(d.TargetsCSV, topts)
		if err != nil {
			return train, err
		}
		if y.Len() != train.Len() {
			return train, fmt.Errorf("%s has %d data rows but its targets file %s has %d: data.targets_csv is joined row by row, so both need the same rows", d.CSV, train.Len(), d.TargetsCSV, y.Len())
		}
		if d.Prep.Targets, err = csvColumns(d.TargetsCSV, topts); err != nil {
			return train, err
		}
		train.Y = y.X
	}
	if err := d.checkClasses(classes); err != nil {
		return train, err
	}
	d.Prep.Classes = classes
	d.loaded = &loadedData{file: d.CSV, columns: slices.Clone(d.Prep.Features)}
	return train, nil
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return append(slices.Clip(s[:n]), "...")
	}
	return s
}

// inputShape returns the shape of one sample of the CSV data, from its
// header: the number of feature columns, or preprocessing.reshape's shape.
func (d *Data) inputShape() ([]int, error) {
	if d.loaded != nil && d.loaded.sample != nil {
		return d.loaded.sample, nil
	}
	if d.Text != "" {
		return []int{d.MaxLen}, nil
	}
	opts := d.Prep.CSVOptions(d.CSV, d.TargetsCSV == "")
	opts.Exclude, opts.Classes = d.Exclude, nil
	cols, err := csvColumns(d.CSV, opts)
	if err != nil {
		return nil, err
	}
	if d.Prep.Reshape != nil {
		return d.Prep.Reshape, nil
	}
	return []int{len(cols)}, nil
}

// fit learns the standardization statistics from the training rows.
func (p *Preprocessing) fit(train datasets.Split) error {
	p.TargetMean, p.TargetStd = nil, nil
	if p.StdTargets {
		if train.Y == nil {
			return fmt.Errorf("preprocessing.standardize_targets: the data has no targets")
		}
		var st preprocessing.Standardizer
		if err := st.Fit(train.Y); err != nil {
			return fmt.Errorf("preprocessing.standardize_targets: %w", err)
		}
		p.TargetMean, p.TargetStd = st.Mean, st.Std
	}
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
	if p.StdTargets && s.Y != nil {
		st := preprocessing.Standardizer{Mean: p.TargetMean, Std: p.TargetStd}
		if s.Y, err = st.Transform(s.Y); err != nil {
			return fmt.Errorf("%s: targets: %w", name, err)
		}
	}
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

// InvertY brings predictions of standardized targets (standardize_targets)
// back to the targets' units, in place; other predictions are left as
// they are.
func (p *Preprocessing) InvertY(y *tensor.Tensor) error {
	if !p.StdTargets {
		return nil
	}
	k := len(p.TargetMean)
	if k == 0 || len(p.TargetStd) != k || y.RowSize() != k {
		return fmt.Errorf("the model's %d outputs do not match its %d standardized targets", y.RowSize(), k)
	}
	for i, v := range y.Data {
		y.Data[i] = v*p.TargetStd[i%k] + p.TargetMean[i%k]
	}
	return nil
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

// RTPolarityMaxLen is the length --data rt-polarity pads the sentences to:
// 60 tokens holds all but a few of rt-polarity's sentences (Kim 2014's
// longest is 56), where IMDB's 100 to 400 would be mostly padding.
const RTPolarityMaxLen = 60

// UseRTPolarity makes a spec that reads builtin imdb train the same
// architecture on the embedded rt-polarity sentences instead: the same
// num_words (the Embedding's input_dim, so the parameter counts are the
// book's), no skip_top, and sequences padded to maxlen, which becomes the
// length of the model's input (the Embedding's input_length or the Input's
// shape).
func (s *Spec) UseRTPolarity(maxlen int) error {
	if s.Data.Builtin != "imdb" && s.Data.Builtin != "rt-polarity" {
		return fmt.Errorf("rt-polarity replaces IMDB data; this spec reads %s", s.Data.Describe())
	}
	if maxlen <= 0 {
		return fmt.Errorf("rt-polarity: maxlen must be positive, got %d", maxlen)
	}
	for i := range s.layers {
		ly := &s.layers[i]
		var key string
		var val any
		switch ly.class {
		case "Embedding":
			key, val = "input_length", maxlen
		case "InputLayer":
			key, val = "shape", []int{maxlen}
		default:
			continue
		}
		var cfg map[string]json.RawMessage
		if err := json.Unmarshal(ly.config, &cfg); err != nil {
			return err
		}
		if _, ok := cfg[key]; !ok {
			continue // an Embedding after an Input takes its length
		}
		b, _ := json.Marshal(val)
		cfg[key] = b
		nc, err := json.Marshal(cfg)
		if err != nil {
			return err
		}
		ly.config = nc
	}
	s.Data.Builtin, s.Data.SkipTop, s.Data.MaxLen, s.Data.IMDBPath = "rt-polarity", 0, maxlen, ""
	return nil
}
