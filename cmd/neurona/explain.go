package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/neurona/neurona/datasets"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/spec"
	"github.com/neurona/neurona/tensor"
)

// explainCommand walks through one forward pass, layer by layer and neuron
// by neuron, as the book's forward-propagation example does by hand.
func explainCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "text", "output format: text or json")
	modelFile := fs.String("model", "", "a saved model to explain, on a row of the CSV file named (instead of a spec)")
	row := fs.Int("row", 0, "with --model: the CSV data row to explain, numbered from 0 (row 0 is the first row after the header)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: neurona explain SPEC.yaml [flags]
       neurona explain --model FILE [--row N] DATA.csv [flags]

Walks through one forward pass, layer by layer and neuron by neuron: for
each neuron z = w·x + b written out with the numbers, then the activation
and its value. The first form explains the spec's model (usually with
explicit weights) on the spec's explain.input; the second explains a saved
model on row N of a CSV file (rows are numbered from 0, the first row after
the header), read with the preprocessing saved with the model.

Hidden neurons are named a1, a2, ... across the hidden layers; the output
neuron is "output" (y1, y2, ... when there are several).
Layers: Dense, Activation, Dropout, BatchNormalization and Input.

Flags:
`)
		fs.PrintDefaults()
	}
	path, err := parseInterleaved(fs, "explain", args, "a spec file, or --model FILE and a CSV file")
	if err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return usagef("explain: --format must be text or json, not %q", *format)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	isSpec := func(p string) bool {
		ext := strings.ToLower(filepath.Ext(p))
		return ext == ".yaml" || ext == ".yml"
	}

	var ex *explanation
	if *modelFile == "" {
		if set["row"] {
			return usagef("explain: --row goes with --model: neurona explain --model FILE --row N DATA.csv")
		}
		if !isSpec(path) {
			return usagef("explain: %s is not a spec (.yaml); explain a saved model with neurona explain --model %s --row N DATA.csv", path, path)
		}
		if ex, err = explainSpec(path); err != nil {
			return err
		}
	} else {
		if *row < 0 {
			return usagef("explain: --row must not be negative (rows are numbered from 0)")
		}
		if isSpec(path) {
			return usagef("explain: with --model, name a CSV file of data, not the spec %s", path)
		}
		if ex, err = explainRow(*modelFile, path, *row); err != nil {
			return err
		}
	}
	if *format == "json" {
		b, err := json.MarshalIndent(ex, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	_, err = io.WriteString(stdout, ex.text())
	return err
}

// parseInterleaved parses flags before and after one positional argument,
// as in 'explain --model m.nrn --row 3 data.csv --format json'.
func parseInterleaved(fs *flag.FlagSet, cmd string, args []string, what string) (string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return "", err
			}
			return "", usagef("%s: %v", cmd, err)
		}
		if fs.NArg() == 0 {
			break
		}
		if n := len(args) - fs.NArg(); n > 0 && args[n-1] == "--" {
			pos = append(pos, fs.Args()...) // no flags after "--"
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	switch len(pos) {
	case 0:
		fs.Usage()
		return "", usagef("%s: name %s", cmd, what)
	case 1:
		return pos[0], nil
	}
	return "", usagef("%s: unexpected argument %q", cmd, pos[1])
}

// explainSpec explains a spec's model on its explain.input.
func explainSpec(path string) (*explanation, error) {
	s, err := spec.ParseFile(path)
	if err != nil {
		return nil, err
	}
	if len(s.ExplainInput) == 0 {
		return nil, s.Errorf("explain.input is missing: add explain: {input: [4.0, 3.0]} with one value per model input")
	}
	if s.Graph() {
		return nil, s.Errorf("explain walks through Sequential stacks, and this spec's model is a graph (its layers name their inputs)")
	}
	m, err := s.BuildSequential(s.Fit.Seed)
	if err != nil {
		return nil, err
	}
	if err := checkExplainInput(m, len(s.ExplainInput), "explain.input"); err != nil {
		return nil, s.Errorf("%s", err.Error())
	}
	names := s.ExplainNames
	if names == nil {
		names = numbered("x", len(s.ExplainInput))
	} else if len(names) != len(s.ExplainInput) {
		return nil, s.Errorf("explain.names has %d names but explain.input has %d values", len(names), len(s.ExplainInput))
	}
	x := make([]float64, len(s.ExplainInput))
	for i, v := range s.ExplainInput {
		x[i] = float64(v)
	}
	return explainModel(m, x, names)
}

// checkExplainInput checks that a model takes a flat input of n values.
func checkExplainInput(m *models.Sequential, n int, what string) error {
	in := m.InputShape()
	if len(in) != 1 {
		return fmt.Errorf("explain walks through models with a flat input; this model's input has shape %s", tensor.ShapeString(in))
	}
	if n != in[0] {
		return fmt.Errorf("%s has %d values but the model takes %d inputs", what, n, in[0])
	}
	return nil
}

// explainRow explains a saved model on a row of a CSV file, read and
// preprocessed as the model's training data was.
func explainRow(modelFile, csvFile string, row int) (*explanation, error) {
	m, err := models.LoadSequential(modelFile)
	if err != nil {
		return nil, err
	}
	p, err := spec.PreprocessingFromMetadata(m.Metadata, modelFile)
	if err != nil {
		return nil, err
	}
	if p.Text != "" {
		return nil, fmt.Errorf("%s was trained on the text column %q (data.text): explain shows the arithmetic on a row of numeric features, and a text's token ids are not such a row", modelFile, p.Text)
	}
	src, err := readCSVRow(csvFile, p, row)
	if err != nil {
		return nil, err
	}
	if err := checkExplainInput(m, len(src.Values), fmt.Sprintf("%s (feature columns %s)", csvFile, strings.Join(src.Columns, ", "))); err != nil {
		return nil, err
	}
	raw := tensor.FromSlice(slices.Clone(src.raw), 1, len(src.raw))
	in, err := p.ApplyX(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", csvFile, err)
	}
	x := make([]float64, len(in.Data))
	for i, v := range in.Data {
		x[i] = float64(v)
	}
	if p.Scale != 0 || p.Std {
		src.Preprocessing = describePrep(p)
		src.prep = p
	}
	ex, err := explainModel(m, x, src.Columns)
	if err != nil {
		return nil, err
	}
	ex.Source = src
	return ex, nil
}

// readCSVRow reads data row row (0-based) of a CSV file with a model's
// saved CSV options. When the file has the target columns, they are read
// too (and are not taken as features).
func readCSVRow(path string, p *spec.Preprocessing, row int) (*explainSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	opts := p.CSVOptions(path, false)
	if len(p.Targets) > 0 {
		// Read the targets when the file has them, so that a file with
		// every column (features and targets) can be explained as it is.
		all := opts
		all.Features = nil // every column
		r, err := datasets.NewCSVReader(f, all)
		if err != nil {
			return nil, err
		}
		have := true
		for _, t := range p.Targets {
			have = have && slices.Contains(r.Columns(), t)
		}
		if have {
			opts = p.CSVOptions(path, true)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
	}
	r, err := datasets.NewCSVReader(f, opts)
	if err != nil {
		return nil, err
	}
	src := &explainSource{File: path, Row: row, Columns: r.Columns()}
	n := 0
	for {
		x, y, err := r.Next(4096)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if row < n+x.Rows() {
			src.raw = slices.Clone(x.Row(row - n))
			src.Values = nums32(src.raw)
			if y != nil {
				src.Targets = &namedValues{Names: opts.Targets, Values: nums32(y.Row(row - n))}
			}
			return src, nil
		}
		n += x.Rows()
	}
	return nil, fmt.Errorf("%s: row %d is out of range: the file has %d data rows, numbered from 0 to %d", path, row, n, n-1)
}

func describePrep(p *spec.Preprocessing) string {
	var steps []string
	if p.Scale != 0 {
		steps = append(steps, "scaled by "+fmtNum(p.Scale))
	}
	if p.Std {
		steps = append(steps, "standardized with the training data's mean and standard deviation")
	}
	return strings.Join(steps, ", then ")
}

// num is a value of the walk-through. It is computed in float64 and
// written to JSON at float32 precision, the model's own, as the shortest
// decimal that reads back the same (1.6, not 1.600000023841858).
// Non-finite values are written as null.
type num float64

func (v num) MarshalJSON() ([]byte, error) {
	f := float32(v)
	if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		return []byte("null"), nil
	}
	return json.Marshal(f)
}

func nums32(v []float32) []num {
	out := make([]num, len(v))
	for i, x := range v {
		out[i] = num(x)
	}
	return out
}

// An explanation is the walk-through of one forward pass.
type explanation struct {
	Source *explainSource `json:"source,omitempty"`
	Input  namedValues    `json:"input"`
	Layers []explainLayer `json:"layers"`
	Output namedValues    `json:"output"`

	finalAct string // the activation that produced the output, if any
}

type namedValues struct {
	Names  []string `json:"names"`
	Values []num    `json:"values"`
}

// explainSource is the CSV row an explanation starts from.
type explainSource struct {
	File          string       `json:"file"`
	Row           int          `json:"row"`
	Columns       []string     `json:"columns"`
	Values        []num        `json:"values"`
	Targets       *namedValues `json:"targets,omitempty"`
	Preprocessing string       `json:"preprocessing,omitempty"`

	raw  []float32
	prep *spec.Preprocessing
}

type explainLayer struct {
	Name       string `json:"name"`
	Class      string `json:"class"`
	Activation string `json:"activation,omitempty"`
	Rate       *num   `json:"rate,omitempty"`    // Dropout
	Epsilon    *num   `json:"epsilon,omitempty"` // BatchNormalization
	Note       string `json:"note,omitempty"`
	// ExpSum is Σ e^z over the layer's neurons, for softmax.
	ExpSum  *num            `json:"exp_sum,omitempty"`
	Neurons []explainNeuron `json:"neurons"`
}

type explainNeuron struct {
	Name string `json:"name"`
	// Dense: the layer's inputs, this neuron's weights and bias, and z.
	Inputs  []num `json:"inputs,omitempty"`
	Weights []num `json:"weights,omitempty"`
	Bias    *num  `json:"bias,omitempty"`
	// Activation, Dropout and BatchNormalization: the neuron's value
	// before the layer.
	Input *num `json:"input,omitempty"`
	// BatchNormalization: the moving statistics, gamma and beta.
	MovingMean     *num   `json:"moving_mean,omitempty"`
	MovingVariance *num   `json:"moving_variance,omitempty"`
	Gamma          *num   `json:"gamma,omitempty"`
	Beta           *num   `json:"beta,omitempty"`
	Z              *num   `json:"z,omitempty"`
	Activation     string `json:"activation,omitempty"`
	Output         num    `json:"output"`
}

func ptr(v float64) *num { n := num(v); return &n }

// explainModel runs the forward pass of m on x in float64, recording every
// neuron's computation. names name the inputs.
func explainModel(m *models.Sequential, x []float64, names []string) (*explanation, error) {
	if err := m.Build(); err != nil {
		return nil, err
	}
	if err := checkExplainInput(m, len(x), "the input"); err != nil {
		return nil, err
	}
	ls := m.Layers()
	lastDense := -1
	for i, l := range ls {
		switch l.(type) {
		case *layers.Dense:
			lastDense = i
		case *layers.Activation, *layers.Dropout, *layers.BatchNormalization:
		default:
			return nil, fmt.Errorf("layer %s (%s) is not supported by explain, which walks through Dense, Activation, Dropout, BatchNormalization and Input layers",
				l.LayerName(), l.ClassName())
		}
	}
	ex := &explanation{Input: namedValues{Names: names, Values: make([]num, len(x))}}
	for i, v := range x {
		ex.Input.Values[i] = num(v)
	}
	hidden := 0
	for i, l := range ls {
		var el explainLayer
		var err error
		switch l := l.(type) {
		case *layers.Dense:
			var out []string
			switch {
			case i < lastDense:
				for range l.Units {
					hidden++
					out = append(out, "a"+strconv.Itoa(hidden))
				}
			case l.Units == 1:
				out = []string{"output"}
			default:
				out = numbered("y", l.Units)
			}
			el, x, err = explainDense(l, x, out)
			names = out
			ex.finalAct = el.Activation
		case *layers.Activation:
			act := string(l.Activation)
			if act == "" {
				act = "linear"
			}
			el = explainLayer{Name: l.LayerName(), Class: l.ClassName(), Activation: act}
			z := x
			x = make([]float64, len(z))
			for j := range z {
				el.Neurons = append(el.Neurons, explainNeuron{Name: names[j], Input: ptr(z[j]), Activation: act})
			}
			err = activate(&el, z, x)
			if act != "linear" {
				ex.finalAct = act
			}
		case *layers.Dropout:
			el = explainLayer{Name: l.LayerName(), Class: l.ClassName(), Rate: ptr(float64(l.Rate)),
				Note: "the identity at inference: dropout only acts in training"}
			for j, v := range x {
				el.Neurons = append(el.Neurons, explainNeuron{Name: names[j], Input: ptr(v), Output: num(v)})
			}
		case *layers.BatchNormalization:
			el, x, err = explainBatchNorm(l, x, names)
			ex.finalAct = ""
		}
		if err != nil {
			return nil, err
		}
		ex.Layers = append(ex.Layers, el)
	}
	ex.Output = namedValues{Names: names, Values: make([]num, len(x))}
	for i, v := range x {
		ex.Output.Values[i] = num(v)
	}
	return ex, nil
}

// layerWeights returns a built layer's weights by short name ("kernel").
func layerWeights(l layers.Layer) map[string]*tensor.Tensor {
	ws := map[string]*tensor.Tensor{}
	for _, w := range l.Weights() {
		ws[w.Name[strings.LastIndex(w.Name, "/")+1:]] = w.Var.Value
	}
	return ws
}

func explainDense(l *layers.Dense, x []float64, names []string) (explainLayer, []float64, error) {
	act := string(l.Activation)
	if act == "" {
		act = "linear"
	}
	el := explainLayer{Name: l.LayerName(), Class: l.ClassName(), Activation: act}
	ws := layerWeights(l)
	kernel, bias := ws["kernel"], ws["bias"]
	if kernel == nil || kernel.Dims() != 2 || kernel.Dim(0) != len(x) || kernel.Dim(1) != l.Units {
		return el, nil, fmt.Errorf("layer %s (Dense): the kernel does not match %d inputs and %d units", l.LayerName(), len(x), l.Units)
	}
	inputs := make([]num, len(x))
	for i, v := range x {
		inputs[i] = num(v)
	}
	z := make([]float64, l.Units)
	for j := range l.Units {
		n := explainNeuron{Name: names[j], Inputs: inputs, Weights: make([]num, len(x)), Activation: act}
		var s float64
		for i, v := range x {
			w := kernel.Data[i*l.Units+j]
			n.Weights[i] = num(w)
			s += float64(w) * v
		}
		if bias != nil {
			b := float64(bias.Data[j])
			n.Bias = ptr(b)
			s += b
		}
		z[j] = s
		n.Z = ptr(s)
		el.Neurons = append(el.Neurons, n)
	}
	out := make([]float64, l.Units)
	err := activate(&el, z, out)
	return el, out, err
}

// activate computes out = act(z) for the layer's neurons and records it.
func activate(el *explainLayer, z, out []float64) error {
	switch el.Activation {
	case "linear":
		copy(out, z)
	case "relu":
		for i, v := range z {
			out[i] = max(v, 0)
		}
	case "sigmoid":
		for i, v := range z {
			out[i] = 1 / (1 + math.Exp(-v))
		}
	case "tanh":
		for i, v := range z {
			out[i] = math.Tanh(v)
		}
	case "softmax":
		mx := math.Inf(-1)
		for _, v := range z {
			mx = max(mx, v)
		}
		var s float64
		for i, v := range z {
			out[i] = math.Exp(v - mx)
			s += out[i]
		}
		for i := range out {
			out[i] /= s
		}
		el.ExpSum = ptr(s * math.Exp(mx))
	default:
		return fmt.Errorf("layer %s: explain does not know the activation %q", el.Name, el.Activation)
	}
	for i := range el.Neurons {
		el.Neurons[i].Output = num(out[i])
	}
	return nil
}

func explainBatchNorm(l *layers.BatchNormalization, x []float64, names []string) (explainLayer, []float64, error) {
	eps := float64(l.Epsilon)
	if eps == 0 {
		eps = 1e-3
	}
	el := explainLayer{Name: l.LayerName(), Class: l.ClassName(), Epsilon: ptr(eps)}
	ws := layerWeights(l)
	for _, k := range []string{"gamma", "beta", "moving_mean", "moving_variance"} {
		if t := ws[k]; t == nil || t.Size() != len(x) {
			return el, nil, fmt.Errorf("layer %s (BatchNormalization): %s does not match %d features", l.LayerName(), k, len(x))
		}
	}
	out := make([]float64, len(x))
	for j, v := range x {
		g, b := float64(ws["gamma"].Data[j]), float64(ws["beta"].Data[j])
		mm, mv := float64(ws["moving_mean"].Data[j]), float64(ws["moving_variance"].Data[j])
		out[j] = (v-mm)/math.Sqrt(mv+eps)*g + b
		el.Neurons = append(el.Neurons, explainNeuron{Name: names[j], Input: ptr(v),
			MovingMean: ptr(mm), MovingVariance: ptr(mv), Gamma: ptr(g), Beta: ptr(b), Output: num(out[j])})
	}
	return el, out, nil
}

func numbered(prefix string, n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = prefix + strconv.Itoa(i+1)
	}
	return names
}

// fmtNum writes a number with up to 4 decimals and no trailing zeros
// (1.6, -0.5, 0.1192); numbers too small or too large for that are
// written with an exponent.
func fmtNum(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	if a := math.Abs(v); a != 0 && (a < 0.00005 || a >= 1e9) {
		m, e, _ := strings.Cut(strconv.FormatFloat(v, 'e', 3, 64), "e")
		return trimZeros(m) + "e" + e
	}
	s := trimZeros(strconv.FormatFloat(v, 'f', 4, 64))
	if s == "-0" {
		s = "0"
	}
	return s
}

func trimZeros(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// paren writes a number, in parentheses when negative: 3, (-0.9).
func paren(v float64) string {
	s := fmtNum(v)
	if strings.HasPrefix(s, "-") {
		return "(" + s + ")"
	}
	return s
}

// text renders the explanation for reading.
func (ex *explanation) text() string {
	var b strings.Builder
	pr := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	if s := ex.Source; s != nil {
		pr("Row %d of %s: %s\n", s.Row, s.File, pairs(s.Columns, s.Values))
		if s.prep != nil {
			pr("Preprocessing saved with the model: %s\n", s.Preprocessing)
			for i, v := range s.Values {
				pr("  %s = %s = %s\n", s.Columns[i], prepFormula(s.prep, i, float64(v)), fmtNum(float64(ex.Input.Values[i])))
			}
		}
	}
	pr("Input: %s\n", pairs(ex.Input.Names, ex.Input.Values))
	for _, l := range ex.Layers {
		pr("\n")
		switch l.Class {
		case "Dense":
			pr("Layer %s (Dense, %s):\n", l.Name, l.Activation)
			for _, n := range l.Neurons {
				pr("  %s: z = %s = %s", n.Name, denseTerms(n), fmtNum(float64(*n.Z)))
				if l.Activation == "softmax" {
					pr("\n")
					continue
				}
				pr(";  %s = %s\n", n.Name, activationFormula(l.Activation, float64(*n.Z), float64(n.Output)))
			}
		case "Activation":
			pr("Layer %s (Activation, %s):\n", l.Name, l.Activation)
			if l.Activation != "softmax" {
				for _, n := range l.Neurons {
					pr("  %s = %s\n", n.Name, activationFormula(l.Activation, float64(*n.Input), float64(n.Output)))
				}
			}
		case "Dropout":
			pr("Layer %s (Dropout, rate %s): %s\n", l.Name, fmtNum(float64(*l.Rate)), l.Note)
			var names []string
			var vals []num
			for _, n := range l.Neurons {
				names, vals = append(names, n.Name), append(vals, n.Output)
			}
			pr("  %s\n", pairs(names, vals))
		case "BatchNormalization":
			pr("Layer %s (BatchNormalization): (x - moving mean)/√(moving variance + ε)·γ + β, with ε = %s\n", l.Name, fmtNum(float64(*l.Epsilon)))
			for _, n := range l.Neurons {
				pr("  %s = (%s - %s)/√(%s + %s)·%s + %s = %s\n", n.Name, fmtNum(float64(*n.Input)), paren(float64(*n.MovingMean)),
					fmtNum(float64(*n.MovingVariance)), fmtNum(float64(*l.Epsilon)), paren(float64(*n.Gamma)), paren(float64(*n.Beta)), fmtNum(float64(n.Output)))
			}
		}
		if l.Activation == "softmax" {
			pr("%s", softmaxText(l))
		}
	}
	pr("\n")
	out := ex.Output
	if len(out.Values) == 1 {
		pr("Output: %s\n", fmtNum(float64(out.Values[0])))
	} else {
		pr("Output: %s\n", pairs(out.Names, out.Values))
	}
	instance := "the instance (" + joinNums(ex.Input.Values) + ")"
	if ex.Source != nil {
		instance = fmt.Sprintf("row %d of %s", ex.Source.Row, ex.Source.File)
	}
	switch {
	case ex.finalAct == "sigmoid" && len(out.Values) == 1:
		v := fmtNum(float64(out.Values[0]))
		pr("The output %s is the probability that %s belongs to the class.\n", v, instance)
	case ex.finalAct == "softmax" && len(out.Values) > 1:
		best := 0
		for i, v := range out.Values {
			if v > out.Values[best] {
				best = i
			}
		}
		pr("The outputs are the probabilities of the %d classes for %s; the most probable is %s (class %d) with %s.\n",
			len(out.Values), instance, out.Names[best], best, fmtNum(float64(out.Values[best])))
	}
	if s := ex.Source; s != nil && s.Targets != nil {
		pr("The file's target for row %d: %s\n", s.Row, pairs(s.Targets.Names, s.Targets.Values))
	}
	return b.String()
}

// prepFormula writes the preprocessing of raw value v of feature i.
func prepFormula(p *spec.Preprocessing, i int, v float64) string {
	s := fmtNum(v)
	if p.Scale != 0 {
		s = paren(v) + "·" + fmtNum(p.Scale)
	}
	if p.Std && i < len(p.Mean) && i < len(p.Stddev) {
		s = "(" + s + " - " + paren(float64(p.Mean[i])) + ")/" + fmtNum(float64(p.Stddev[i]))
	}
	return s
}

// denseTerms writes w1·x1 + w2·x2 + ... + b with the numbers.
func denseTerms(n explainNeuron) string {
	var b strings.Builder
	for i, w := range n.Weights {
		if i == 0 {
			b.WriteString(fmtNum(float64(w)))
		} else {
			b.WriteString(" + " + paren(float64(w)))
		}
		b.WriteString("·" + paren(float64(n.Inputs[i])))
	}
	if n.Bias != nil {
		b.WriteString(" + " + paren(float64(*n.Bias)))
	}
	return b.String()
}

// activationFormula writes act(z) = ... = v.
func activationFormula(act string, z, v float64) string {
	zs, vs := fmtNum(z), fmtNum(v)
	switch act {
	case "relu":
		return fmt.Sprintf("relu(%s) = max(%s, 0) = %s", zs, zs, vs)
	case "sigmoid":
		return fmt.Sprintf("sigmoid(%s) = 1/(1+e^%s) = %s", zs, fmtNum(-z), vs)
	}
	return fmt.Sprintf("%s(%s) = %s", act, zs, vs)
}

// softmaxText writes a softmax layer's normalization.
func softmaxText(l explainLayer) string {
	var b strings.Builder
	var terms, values []string
	for _, n := range l.Neurons {
		z := n.Z
		if z == nil {
			z = n.Input
		}
		terms = append(terms, "e^"+paren(float64(*z)))
		values = append(values, fmtNum(math.Exp(float64(*z))))
	}
	sum := fmtNum(float64(*l.ExpSum))
	fmt.Fprintf(&b, "  softmax: each output is e^z / (%s) = e^z / (%s) = e^z / %s\n",
		strings.Join(terms, " + "), strings.Join(values, " + "), sum)
	for i, n := range l.Neurons {
		fmt.Fprintf(&b, "  %s = %s / %s = %s / %s = %s\n", n.Name, terms[i], sum, values[i], sum, fmtNum(float64(n.Output)))
	}
	return b.String()
}

func pairs(names []string, values []num) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = names[i] + " = " + fmtNum(float64(v))
	}
	return strings.Join(parts, ", ")
}

func joinNums(values []num) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = fmtNum(float64(v))
	}
	return strings.Join(parts, ", ")
}
