package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/neurona/neurona/callbacks"
	"github.com/neurona/neurona/datasets"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/metrics"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/tensor"
)

// A Spec is a training run described in YAML (see README.md, "Spec
// files"): a Sequential model or a graph of layers (Graph), how to compile
// and train it, its data and what to write. Parse or ParseFile reads one, Book one of the book's.
type Spec struct {
	File string // the spec's name in errors
	Dir  string // relative paths in the spec are relative to this; "" leaves them as they are

	Name       string // model.name; "" for the default
	InputShape []int  // model.input_shape (Sequential form); nil when not given
	// Compiled reports whether the spec has a compile section: Build then
	// compiles the model.
	Compiled bool

	Data   Data    // the data section; Data.Line is 0 when there is none
	Fit    Fit     // the fit section; the zero Fit when there is none
	Output Outputs // the output section, paths resolved against Dir

	// ShowPrediction, when not nil, is the validation row whose prediction
	// a run prints (output.show_prediction).
	ShowPrediction *int
	// ROCAUCEpoch, when not nil, asks for the ROC AUC of the validation
	// predictions at the end of training, as the book's sentiment
	// notebooks print it, with the weights that the ModelCheckpoint saved
	// at this epoch (counted from 1; 0 is the best val_loss epoch).
	ROCAUCEpoch  *int
	ExplainInput []float32 // explain.input: the input 'neurona explain' walks through
	ExplainNames []string  // explain.names: optional names of its features

	// MaxParams bounds the number of weights the model may have; 0 means
	// DefaultMaxParams. Build checks it on a shape-only build before it
	// allocates anything, so a spec that asks for a huge layer is refused
	// at once.
	MaxParams int

	layers    []layerSpec
	graph     *graphSpec // the model's graph; nil for a Sequential spec
	shapeOnly bool       // build with shape-only layers (checkParams)

	// The compile section, kept as written so that each Build makes its own
	// loss, optimizer and metrics.
	lossName, optName string
	lossCfg, optCfg   json.RawMessage
	metricNames       []string
}

type layerSpec struct {
	class   string
	line    int
	config  json.RawMessage           // the layer's arguments, without weights
	weights map[string]*tensor.Tensor // explicit weights by short name ("kernel")
	// name is the name a graph spec refers to the layer by: its own, or
	// the automatic name Keras gives it in a fresh session.
	name string
}

// Fit is a spec's fit section.
type Fit struct {
	Epochs, BatchSize, Verbose int
	NoShuffle                  bool // shuffle: false
	Seed                       uint64
	// Callbacks are made when the spec is parsed, with their paths resolved
	// against the spec's directory; they serve one training run.
	Callbacks []callbacks.Callback
}

// Outputs are the files a training run writes (the output section, or the
// command line's flags).
type Outputs struct {
	Plot, SpeedPlot, History, Checkpoint, Model, TensorBoard string
}

// Error is an error at a line of a spec file: "file:line: msg", or
// "file: msg" when Line is 0.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Errorf returns an error about the spec as a whole, named by its file.
func (s *Spec) Errorf(format string, args ...any) error {
	return &Error{File: s.File, Msg: fmt.Sprintf(format, args...)}
}

func (s *Spec) errorf(n *yaml.Node, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &Error{File: s.File, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// ParseFile reads and checks a spec file; its relative paths are relative
// to the file's directory.
func ParseFile(path string) (*Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(b, path, filepath.Dir(path))
}

// Parse parses and checks a spec; file names it in errors and dir resolves
// its relative paths ("" leaves them as they are).
func Parse(src []byte, file, dir string) (*Spec, error) {
	s := &Spec{File: file, Dir: dir}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, s.yamlError(err)
	}
	if len(doc.Content) == 0 {
		return nil, s.errorf(nil, "the spec is empty (it needs model, compile, data and fit)")
	}
	root := doc.Content[0]
	top, err := s.mapping(root, "the spec", "model", "compile", "data", "fit", "output", "explain")
	if err != nil {
		return nil, err
	}
	if n, ok := top["model"]; ok {
		if err := s.parseModel(n); err != nil {
			return nil, err
		}
	} else {
		return nil, s.errorf(root, "missing section \"model\"")
	}
	if n, ok := top["compile"]; ok {
		if err := s.parseCompile(n); err != nil {
			return nil, err
		}
	}
	if n, ok := top["data"]; ok {
		if err := s.parseData(n); err != nil {
			return nil, err
		}
	}
	if n, ok := top["fit"]; ok {
		if err := s.parseFit(n); err != nil {
			return nil, err
		}
	}
	if n, ok := top["output"]; ok {
		if err := s.parseOutput(n); err != nil {
			return nil, err
		}
	}
	if n, ok := top["explain"]; ok {
		if err := s.parseExplain(n); err != nil {
			return nil, err
		}
	}
	return s, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (s *Spec) yamlError(err error) error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		var line int
		fmt.Sscan(m[1], &line)
		return &Error{File: s.File, Line: line, Msg: "not valid YAML: " + m[2]}
	}
	return &Error{File: s.File, Msg: "not valid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// mapping returns the keys of a mapping node, rejecting unknown ones.
func (s *Spec) mapping(n *yaml.Node, what string, valid ...string) (map[string]*yaml.Node, error) {
	if n.Kind != yaml.MappingNode {
		return nil, s.errorf(n, "%s must be a mapping of %s", what, strings.Join(valid, ", "))
	}
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !contains(valid, k.Value) {
			return nil, s.errorf(k, "unknown key %q in %s (valid: %s)", k.Value, what, strings.Join(valid, ", "))
		}
		if _, dup := out[k.Value]; dup {
			return nil, s.errorf(k, "key %q given twice in %s", k.Value, what)
		}
		out[k.Value] = v
	}
	return out, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// decode decodes a scalar or sequence node into v, with a typed error.
func (s *Spec) decode(n *yaml.Node, key, want string, v any) error {
	if err := n.Decode(v); err != nil {
		return s.errorf(n, "%s must be %s, not %q", key, want, nodeText(n))
	}
	return nil
}

func nodeText(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return n.Value
	}
	b, _ := yaml.Marshal(n)
	return strings.TrimSpace(string(b))
}

// toJSON converts a YAML node to JSON.
func toJSON(n *yaml.Node) (json.RawMessage, error) {
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// classAndArgs reads a list item written as "Class" or "Class: {args}".
func (s *Spec) classAndArgs(item *yaml.Node, what string) (string, *yaml.Node, error) {
	switch {
	case item.Kind == yaml.ScalarNode:
		return item.Value, nil, nil
	case item.Kind == yaml.MappingNode && len(item.Content) == 2:
		return item.Content[0].Value, item.Content[1], nil
	}
	return "", nil, s.errorf(item, "each %s is written as `- Name: {arguments}`", what)
}

func (s *Spec) parseModel(n *yaml.Node) error {
	m, err := s.mapping(n, "model", "name", "input_shape", "inputs", "layers", "outputs")
	if err != nil {
		return err
	}
	if isGraph(m) {
		return s.parseGraph(n, m)
	}
	if v, ok := m["name"]; ok {
		if err := s.decode(v, "model.name", "a string", &s.Name); err != nil {
			return err
		}
	}
	if v, ok := m["input_shape"]; ok {
		if err := s.decode(v, "model.input_shape", "a list of positive integers such as [13]", &s.InputShape); err != nil {
			return err
		}
		for _, d := range s.InputShape {
			if d <= 0 {
				return s.errorf(v, "model.input_shape must hold positive integers, got %v", s.InputShape)
			}
		}
	}
	ls, ok := m["layers"]
	if !ok || ls.Kind != yaml.SequenceNode || len(ls.Content) == 0 {
		return s.errorf(n, "model.layers must list the layers, e.g. `- Dense: {units: 32, activation: relu}`")
	}
	for _, item := range ls.Content {
		class, args, err := s.classAndArgs(item, "layer")
		if err != nil {
			return err
		}
		ly, err := s.parseLayer(item, class, args)
		if err != nil {
			return err
		}
		s.layers = append(s.layers, ly)
	}
	return nil
}

// parseLayer reads one layer's class and arguments, with its explicit
// weights, and checks them by making the layer.
func (s *Spec) parseLayer(item *yaml.Node, class string, args *yaml.Node) (layerSpec, error) {
	if class == "Input" {
		class = "InputLayer" // keras.Input's layer
	}
	ly := layerSpec{class: class, line: item.Line}
	var err error
	cfg := json.RawMessage("{}")
	if args != nil && args.Kind == yaml.MappingNode {
		// Pull out explicit weights before the layer's own fields.
		for i := 0; i+1 < len(args.Content); i += 2 {
			if args.Content[i].Value != "weights" {
				continue
			}
			if ly.weights, err = s.parseWeights(args.Content[i+1]); err != nil {
				return ly, err
			}
			args.Content = append(args.Content[:i:i], args.Content[i+2:]...)
			break
		}
	}
	if args != nil && !(args.Kind == yaml.ScalarNode && args.Tag == "!!null") {
		if args.Kind != yaml.MappingNode {
			return ly, s.errorf(args, "the arguments of %s must be a mapping such as {units: 32}", class)
		}
		if cfg, err = toJSON(args); err != nil {
			return ly, s.errorf(args, "%v", err)
		}
	}
	l, err := layers.FromConfig(layers.Config{ClassName: class, Config: cfg})
	if err != nil {
		return ly, s.errorf(item, "%v", err)
	}
	// Each Build makes the layer anew from its config.
	ly.config, ly.name = cfg, l.LayerName()
	return ly, nil
}

// parseWeights reads {kernel: [[...]], bias: [...]} into tensors.
func (s *Spec) parseWeights(n *yaml.Node) (map[string]*tensor.Tensor, error) {
	if n.Kind != yaml.MappingNode {
		return nil, s.errorf(n, "weights must be a mapping such as {kernel: [[0.5, 1.5]], bias: [-0.9]}")
	}
	out := map[string]*tensor.Tensor{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var flat []float32
		var shape []int
		if err := flatten(v, &flat, &shape, 0); err != nil {
			return nil, s.errorf(v, "weights.%s: %v", k.Value, err)
		}
		out[k.Value] = tensor.FromSlice(flat, shape...)
	}
	return out, nil
}

// flatten reads nested YAML lists of numbers into flat data and a shape.
func flatten(n *yaml.Node, flat *[]float32, shape *[]int, depth int) error {
	if n.Kind == yaml.ScalarNode {
		var f float32
		if err := n.Decode(&f); err != nil {
			return fmt.Errorf("%q is not a number", n.Value)
		}
		*flat = append(*flat, f)
		if depth < len(*shape) {
			return errors.New("the nested lists are ragged")
		}
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return errors.New("must be a number or nested lists of numbers")
	}
	if depth == len(*shape) {
		*shape = append(*shape, len(n.Content))
	} else if (*shape)[depth] != len(n.Content) {
		return errors.New("the nested lists are ragged")
	}
	for _, c := range n.Content {
		if err := flatten(c, flat, shape, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// nameAndConfig reads "name" or {name: x, other: args} (loss, optimizer).
func (s *Spec) nameAndConfig(n *yaml.Node, what string) (string, json.RawMessage, error) {
	if n.Kind == yaml.ScalarNode {
		return n.Value, nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return "", nil, s.errorf(n, "%s must be a name or a mapping with a name", what)
	}
	name := ""
	var rest []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "name" {
			name = n.Content[i+1].Value
			continue
		}
		rest = append(rest, n.Content[i], n.Content[i+1])
	}
	if name == "" {
		return "", nil, s.errorf(n, "%s needs a name", what)
	}
	cfg, err := toJSON(&yaml.Node{Kind: yaml.MappingNode, Content: rest})
	if err != nil {
		return "", nil, s.errorf(n, "%v", err)
	}
	return name, cfg, nil
}

func (s *Spec) parseCompile(n *yaml.Node) error {
	m, err := s.mapping(n, "compile", "loss", "optimizer", "metrics")
	if err != nil {
		return err
	}
	ln, ok := m["loss"]
	if !ok {
		return s.errorf(n, "compile needs a loss (valid: %s)", strings.Join(losses.Names(), ", "))
	}
	name, cfg, err := s.nameAndConfig(ln, "compile.loss")
	if err != nil {
		return err
	}
	if _, err = losses.Get(name, cfg); err != nil {
		return s.errorf(ln, "%v", err)
	}
	s.lossName, s.lossCfg = name, cfg
	on, ok := m["optimizer"]
	if !ok {
		return s.errorf(n, "compile needs an optimizer (valid: %s)", strings.Join(optimizers.Names(), ", "))
	}
	if name, cfg, err = s.nameAndConfig(on, "compile.optimizer"); err != nil {
		return err
	}
	if _, err = optimizers.Get(name, cfg); err != nil {
		return s.errorf(on, "%v", err)
	}
	s.optName, s.optCfg = name, cfg
	if mn, ok := m["metrics"]; ok {
		var names []string
		if err := s.decode(mn, "compile.metrics", "a list of metric names", &names); err != nil {
			return err
		}
		for i, name := range names {
			if _, err := metrics.Get(name); err != nil {
				return s.errorf(mn.Content[i], "%v", err)
			}
		}
		s.metricNames = names
	}
	s.Compiled = true
	return nil
}

func (s *Spec) parseFit(n *yaml.Node) error {
	m, err := s.mapping(n, "fit", "epochs", "batch_size", "shuffle", "seed", "verbose", "callbacks")
	if err != nil {
		return err
	}
	s.Fit = Fit{Epochs: 1, BatchSize: 32, Verbose: 1}
	ints := []struct {
		key string
		dst *int
	}{{"epochs", &s.Fit.Epochs}, {"batch_size", &s.Fit.BatchSize}, {"verbose", &s.Fit.Verbose}}
	for _, f := range ints {
		if v, ok := m[f.key]; ok {
			if err := s.decode(v, "fit."+f.key, "an integer", f.dst); err != nil {
				return err
			}
		}
	}
	if s.Fit.Epochs < 0 || s.Fit.BatchSize <= 0 {
		return s.errorf(n, "fit.epochs must not be negative and fit.batch_size must be positive")
	}
	if s.Fit.Verbose < 0 || s.Fit.Verbose > 2 {
		return s.errorf(m["verbose"], "fit.verbose must be 0, 1 or 2")
	}
	if v, ok := m["shuffle"]; ok {
		shuffle := true
		if err := s.decode(v, "fit.shuffle", "true or false", &shuffle); err != nil {
			return err
		}
		s.Fit.NoShuffle = !shuffle
	}
	if v, ok := m["seed"]; ok {
		if err := s.decode(v, "fit.seed", "a non-negative integer", &s.Fit.Seed); err != nil {
			return err
		}
	}
	if cn, ok := m["callbacks"]; ok {
		if cn.Kind != yaml.SequenceNode {
			return s.errorf(cn, "fit.callbacks must list callbacks, e.g. `- EarlyStopping: {patience: 3}`")
		}
		for _, item := range cn.Content {
			class, args, err := s.classAndArgs(item, "callback")
			if err != nil {
				return err
			}
			var cfg json.RawMessage
			if args != nil {
				if cfg, err = toJSON(args); err != nil {
					return s.errorf(args, "%v", err)
				}
			}
			cb, err := callbacks.FromConfig(class, cfg)
			if err != nil {
				return s.errorf(item, "%v", err)
			}
			s.resolveCallbackPaths(cb)
			s.Fit.Callbacks = append(s.Fit.Callbacks, cb)
		}
	}
	return nil
}

// resolveCallbackPaths makes callbacks' file names relative to the spec.
func (s *Spec) resolveCallbackPaths(cb callbacks.Callback) {
	switch c := cb.(type) {
	case *callbacks.ModelCheckpoint:
		c.Filepath = s.path(c.Filepath)
	case *callbacks.CSVLogger:
		c.Filename = s.path(c.Filename)
	case *callbacks.TensorBoard:
		c.LogDir = s.path(c.LogDir)
	}
}

// path resolves a path in the spec against the spec's directory.
func (s *Spec) path(p string) string {
	if p == "" || filepath.IsAbs(p) || s.Dir == "" {
		return p
	}
	return filepath.Join(s.Dir, p)
}

func (s *Spec) parseOutput(n *yaml.Node) error {
	m, err := s.mapping(n, "output", "model", "history", "plot", "speed_plot", "tensorboard", "checkpoint", "show_prediction", "roc_auc")
	if err != nil {
		return err
	}
	dst := map[string]*string{
		"model": &s.Output.Model, "history": &s.Output.History, "plot": &s.Output.Plot, "speed_plot": &s.Output.SpeedPlot,
		"tensorboard": &s.Output.TensorBoard, "checkpoint": &s.Output.Checkpoint,
	}
	for k, v := range m {
		if k == "roc_auc" {
			e := 0
			if err := s.decode(v, "output.roc_auc", "an epoch number (0: the best val_loss epoch)", &e); err != nil {
				return err
			}
			if e < 0 {
				return s.errorf(v, "output.roc_auc: epoch %d: want 1 or more, or 0 for the best val_loss epoch", e)
			}
			s.ROCAUCEpoch = &e
			continue
		}
		if k == "show_prediction" {
			row := 0
			if err := s.decode(v, "output.show_prediction", "a row number", &row); err != nil {
				return err
			}
			s.ShowPrediction = &row
			continue
		}
		if err := s.decode(v, "output."+k, "a file name", dst[k]); err != nil {
			return err
		}
		*dst[k] = s.path(*dst[k])
	}
	return nil
}

func (s *Spec) parseExplain(n *yaml.Node) error {
	m, err := s.mapping(n, "explain", "input", "names")
	if err != nil {
		return err
	}
	v, ok := m["input"]
	if !ok {
		return s.errorf(n, "explain needs an input, e.g. input: [4.0, 3.0]")
	}
	if err := s.decode(v, "explain.input", "a list of numbers", &s.ExplainInput); err != nil {
		return err
	}
	if v, ok := m["names"]; ok {
		if err := s.decode(v, "explain.names", "a list of names", &s.ExplainNames); err != nil {
			return err
		}
	}
	return nil
}

// Build builds the spec's model, with explicit weights applied and, when
// the spec has a compile section, compiled: the graph's Model for a graph
// spec, the engine of the Sequential (its Model) otherwise. seed draws
// the weights that are not given. Each call makes a new model, with its
// own layers, loss, optimizer and metrics.
func (s *Spec) Build(seed uint64) (*models.Model, error) {
	if err := s.checkParams(); err != nil {
		return nil, err
	}
	var m *models.Model
	if s.graph == nil {
		seq, err := s.BuildSequential(seed)
		if err != nil {
			return nil, err
		}
		m = seq.Model
	} else {
		var lines map[string]int
		var err error
		if m, lines, err = s.buildGraph(seed); err != nil {
			return nil, err
		}
		if err := s.compile(m, lines); err != nil {
			return nil, err
		}
	}
	if err := s.checkData(m); err != nil {
		return nil, err
	}
	return m, nil
}

// CheckData checks the data that Data.Load read against a model built by
// Build before the data was loaded (Build checks it when the data is
// already loaded). See checkData.
func (s *Spec) CheckData(m *models.Model) error { return s.checkData(m) }

// checkData checks the CSV data that Data.Load read against the model: the
// number of feature columns against its input, and class labels against
// its classes when the loss takes sparse labels. Its errors name the file
// and say what to change, before fit would stop on the shapes.
func (s *Spec) checkData(m *models.Model) error {
	ld := s.Data.loaded
	if ld == nil || len(m.Inputs()) != 1 || len(m.Outputs()) != 1 {
		return nil
	}
	want := m.InputShape()
	if ld.sample != nil && !tensor.EqualShape(ld.sample, want) && s.Data.Text != "" {
		return s.Errorf("%s: the text column %q becomes sequences of %d token ids (data.maxlen), but the model's input expects samples of shape %s: set data.maxlen to the model's input length, or the model's input_shape (or the Embedding's input_length) to [%d]",
			ld.file, s.Data.Text, s.Data.MaxLen, tensor.ShapeString(want), s.Data.MaxLen)
	}
	if ld.sample != nil && !tensor.EqualShape(ld.sample, want) {
		have := fmt.Sprintf("%d feature columns (%s)", len(ld.columns), listNames(ld.columns))
		if len(ld.sample) != 1 || ld.sample[0] != len(ld.columns) {
			have += ", preprocessed to samples of shape " + tensor.ShapeString(ld.sample)
		}
		return s.Errorf("%s has %s, but the model's input expects %s (input_shape %v): choose the feature columns with data.features: [...], drop some with data.exclude: [...], or set model.input_shape to match (or leave it out to take it from the file)",
			ld.file, have, shapeWords(want), want)
	}
	if !s.Compiled {
		return nil
	}
	if l, err := losses.Get(s.lossName, s.lossCfg); err == nil {
		if sp, ok := l.(losses.Sparse); ok && sp.SparseTargets() {
			out := m.OutputShape()
			classes := out[len(out)-1]
			for _, ls := range ld.labels {
				if err := datasets.CheckLabels(ls.y, classes, ls.file, ls.column); err != nil {
					return s.Errorf("%v (the model's output has %d classes; the loss %s takes class indices 0 to %d)", err, classes, s.lossName, classes-1)
				}
			}
		}
	}
	return nil
}

// shapeWords describes a sample shape: "4 features" or "samples of shape
// (28, 28, 1)".
func shapeWords(shape []int) string {
	if len(shape) == 1 {
		return fmt.Sprintf("%d features", shape[0])
	}
	return "samples of shape " + tensor.ShapeString(shape)
}

// listNames lists names for a message, abbreviating a long list.
func listNames(names []string) string {
	if len(names) > 20 {
		return strings.Join(names[:20], ", ") + fmt.Sprintf(", ... (%d in all)", len(names))
	}
	return strings.Join(names, ", ")
}

// BuildSequential is Build for a Sequential spec, as a *models.Sequential;
// a graph spec is an error.
func (s *Spec) BuildSequential(seed uint64) (*models.Sequential, error) {
	if s.graph != nil {
		return nil, s.Errorf("the model is a graph (its layers name their inputs), not a Sequential stack")
	}
	if err := s.checkParams(); err != nil {
		return nil, err
	}
	m := models.NewSequential()
	if s.Name != "" {
		m.Name = s.Name
	}
	m.Seed = seed
	made := make([]layers.Layer, len(s.layers))
	lines := map[string]int{}
	for i, l := range s.layers {
		ly, err := layers.FromConfig(layers.Config{ClassName: l.class, Config: l.config})
		if err != nil {
			return nil, &Error{File: s.File, Line: l.line, Msg: err.Error()}
		}
		if s.shapeOnly {
			layers.SetShapeOnly(ly)
		}
		made[i] = ly
	}
	in := s.InputShape
	if in == nil && len(made) > 0 && made[0].InputSpec() == nil && s.Data.CSV != "" {
		// No input shape anywhere: the CSV's feature columns give it.
		var err error
		if in, err = s.Data.inputShape(); err != nil {
			return nil, s.Errorf("the model's input shape is unknown and cannot come from the data: %v; set model.input_shape, e.g. input_shape: [13]", err)
		}
	}
	if in != nil {
		m.Add(&layers.Input{Shape: in})
	}
	for i, ly := range made {
		m.Add(ly)
		lines[ly.LayerName()] = s.layers[i].line
	}
	if err := m.Build(); err != nil {
		return nil, s.buildError(err, lines)
	}
	if s.shapeOnly {
		return m, nil
	}
	for i, l := range s.layers {
		if err := setWeights(made[i], l.weights); err != nil {
			return nil, &Error{File: s.File, Line: l.line, Msg: err.Error()}
		}
	}
	if err := s.compile(m.Model, lines); err != nil {
		return nil, err
	}
	return m, nil
}

// buildGraph builds a graph spec's model, not compiled. lines maps the
// layers' names to their lines.
func (s *Spec) buildGraph(seed uint64) (*models.Model, map[string]int, error) {
	g := s.graph
	made := make([]layers.Layer, len(s.layers))
	lines := map[string]int{}
	for i, l := range s.layers {
		ly, err := layers.FromConfig(layers.Config{ClassName: l.class, Config: l.config})
		if err != nil {
			return nil, nil, &Error{File: s.File, Line: l.line, Msg: err.Error()}
		}
		if s.shapeOnly {
			layers.SetShapeOnly(ly)
		}
		made[i] = ly
	}
	ts := make([][]*layers.KerasTensor, len(g.nodes)) // each node's tensors
	// tensor returns tensor ti of node k, or an error at ref (the line
	// of user when ref is nil) when the node returns fewer.
	tensorOf := func(k, ti int, ref *yaml.Node, line int) (*layers.KerasTensor, error) {
		if ti < len(ts[k]) {
			return ts[k][ti], nil
		}
		l := made[g.nodes[k].layer]
		at, name := &yaml.Node{Line: line}, l.LayerName()
		if ref != nil {
			at, name = ref, ref.Value
		}
		if len(ts[k]) == 1 {
			return nil, s.errorf(at, "%q: layer %q (%s) returns one tensor, [0]", name, l.LayerName(), l.ClassName())
		}
		return nil, s.errorf(at, "%q: layer %q (%s) returns %d tensors, [0] to [%d]", name, l.LayerName(), l.ClassName(), len(ts[k]), len(ts[k])-1)
	}
	for k, n := range g.nodes {
		xs := make([]*layers.KerasTensor, len(n.inputs))
		for j, in := range n.inputs {
			x, err := tensorOf(in, n.tensors[j], n.refs[j], n.line)
			if err != nil {
				return nil, nil, err
			}
			xs[j] = x
		}
		ts[k] = layers.ApplyMulti(made[n.layer], xs...)
		if err := ts[k][0].Err(); err != nil {
			return nil, nil, &Error{File: s.File, Line: n.line, Msg: err.Error()}
		}
		lines[made[n.layer].LayerName()] = s.layers[n.layer].line
	}
	var outs []*layers.KerasTensor
	for i, k := range g.outputs {
		y, err := tensorOf(k, g.outTensor[i], g.outRefs[i], g.nodes[k].line)
		if err != nil {
			return nil, nil, err
		}
		outs = append(outs, y)
	}
	pick := func(ks []int) []*layers.KerasTensor {
		out := make([]*layers.KerasTensor, len(ks))
		for i, k := range ks {
			out[i] = ts[k][0]
		}
		return out
	}
	m, err := models.NewModel(pick(g.inputs), outs)
	if err != nil {
		return nil, nil, s.buildError(err, lines)
	}
	if s.Name != "" {
		m.Name = s.Name
	}
	m.Seed = seed
	explicit := false
	for _, l := range s.layers {
		explicit = explicit || len(l.weights) > 0 && !s.shapeOnly
	}
	if explicit {
		// Draw the other weights from the seed first, as a Sequential's
		// Build does, so that the explicit ones are not drawn over.
		if _, err := m.GetWeights(); err != nil {
			return nil, nil, s.buildError(err, lines)
		}
		for i, l := range s.layers {
			if err := setWeights(made[i], l.weights); err != nil {
				return nil, nil, &Error{File: s.File, Line: l.line, Msg: err.Error()}
			}
		}
	}
	return m, lines, nil
}

// DefaultMaxParams is the largest model a spec builds unless its MaxParams
// (the command's --max-params) says otherwise: a billion weights, 4 GB of
// float32, several times the largest network of the book.
const DefaultMaxParams = 1_000_000_000

// CheckParams builds the model with shape-only layers (nothing allocated)
// and refuses it when it has more weights than MaxParams allows. Build
// calls it; calling it first checks a spec before its data is loaded.
func (s *Spec) CheckParams() error { return s.checkParams() }

func (s *Spec) checkParams() error {
	if s.shapeOnly {
		return nil
	}
	limit := s.MaxParams
	if limit <= 0 {
		limit = DefaultMaxParams
	}
	dry := *s
	dry.shapeOnly = true
	defer layers.KeepNames()()
	var ls []layers.Layer
	if s.graph == nil {
		m, err := dry.BuildSequential(0)
		if err != nil {
			return err
		}
		ls = m.Layers()
	} else {
		m, _, err := dry.buildGraph(0)
		if err != nil {
			return err
		}
		ls = m.Layers()
	}
	total := 0
	for _, l := range ls {
		for _, shape := range layers.WeightShapes(l) {
			n := 1
			for _, d := range shape {
				n *= d // each weight is at most layers.MaxElements: no overflow
			}
			total += n
			if total > limit {
				return s.Errorf("the model has more than %s weights (layer %q alone has a weight of shape %s); raise the limit with --max-params if you mean it",
					commas(limit), l.LayerName(), tensor.ShapeString(shape))
			}
		}
	}
	return nil
}

// commas writes n with thousands separators.
func commas(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// compile compiles m as the compile section says, if there is one.
func (s *Spec) compile(m *models.Model, lines map[string]int) error {
	if !s.Compiled {
		return nil
	}
	loss, err := losses.Get(s.lossName, s.lossCfg)
	if err != nil {
		return s.Errorf("%v", err)
	}
	opt, err := optimizers.Get(s.optName, s.optCfg)
	if err != nil {
		return s.Errorf("%v", err)
	}
	var ms []metrics.Metric
	for _, name := range s.metricNames {
		mt, err := metrics.Get(name)
		if err != nil {
			return s.Errorf("%v", err)
		}
		ms = append(ms, mt)
	}
	if err := m.Compile(loss, opt, ms...); err != nil {
		return s.buildError(err, lines)
	}
	return nil
}

// buildError places a model-building error at the line of the layer it
// names.
func (s *Spec) buildError(err error, lines map[string]int) error {
	msg := err.Error()
	if errors.Is(err, models.ErrNoInputShape) {
		return &Error{File: s.File, Msg: "the model's input shape is unknown: set model.input_shape, e.g. input_shape: [13]"}
	}
	// The layer the message is about is the first one it names.
	best, at := "", len(msg)
	for n := range lines {
		if i := strings.Index(msg, fmt.Sprintf("%q", n)); i >= 0 && i < at {
			best, at = n, i
		}
	}
	if best != "" {
		return &Error{File: s.File, Line: lines[best], Msg: msg}
	}
	return &Error{File: s.File, Msg: msg}
}

// setWeights copies a layer's explicit weights into it.
func setWeights(l layers.Layer, weights map[string]*tensor.Tensor) error {
	if len(weights) == 0 {
		return nil
	}
	byShort := map[string]*layers.Weight{}
	var valid []string
	for _, w := range l.Weights() {
		short := w.Name[strings.LastIndex(w.Name, "/")+1:]
		byShort[short] = w
		valid = append(valid, short)
	}
	for name, t := range weights {
		w, ok := byShort[name]
		if !ok {
			return fmt.Errorf("layer %s has no weight %q (valid: %s)", l.LayerName(), name, strings.Join(valid, ", "))
		}
		if !tensor.SameShape(t, w.Var.Value) {
			return fmt.Errorf("weights.%s of layer %s has shape %s, the layer needs %s", name, l.LayerName(), tensor.ShapeString(t.Shape), tensor.ShapeString(w.Var.Value.Shape))
		}
		w.Var.Value.CopyFrom(t)
	}
	return nil
}

// Metadata returns the metadata to save with a model trained on the spec's
// data: its preprocessing under MetadataKey. Call it after Data.Load, which
// learns the standardization statistics.
func (s *Spec) Metadata() map[string]string {
	return map[string]string{MetadataKey: s.Data.Prep.Marshal()}
}

// FitConfig returns the fit section as models.FitConfig settings: batch
// size, epochs, verbosity, seed, shuffling and the data's validation split
// fraction. The callbacks, the output and the validation data are left for
// the caller to set. A spec without a fit section gives fit's defaults
// (1 epoch of batches of 32, verbose 1, seed 0).
func (s *Spec) FitConfig() models.FitConfig {
	f := s.Fit
	if f.BatchSize == 0 {
		f = Fit{Epochs: 1, BatchSize: 32, Verbose: 1}
	}
	return models.FitConfig{BatchSize: f.BatchSize, Epochs: f.Epochs, Verbose: f.Verbose, Seed: f.Seed,
		NoShuffle: f.NoShuffle, ValidationSplit: s.Data.ValidationSplit}
}
