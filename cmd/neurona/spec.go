package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/neurona/neurona/callbacks"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/metrics"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/tensor"
)

// A spec is a training run described in YAML (see README.md, "Spec files").
type spec struct {
	file string // name used in errors
	dir  string // relative paths in the spec are relative to this

	name       string
	inputShape []int
	layers     []layerSpec
	compiled   bool
	loss       losses.Loss
	opt        optimizers.Optimizer
	metrics    []metrics.Metric

	data dataSpec
	fit  fitSpec
	out  outputs

	showPrediction *int      // print the prediction for this validation row
	input          []float32 // the input that 'neurona explain' walks through
	explainNames   []string  // optional names of the input's features
}

type layerSpec struct {
	class   string
	line    int
	layer   layers.Layer
	weights map[string]*tensor.Tensor // explicit weights by short name ("kernel")
}

type fitSpec struct {
	epochs, batchSize, verbose int
	noShuffle                  bool
	seed                       uint64
	callbacks                  []callbacks.Callback
}

// specError is an error at a line of a spec file.
type specError struct {
	file string
	line int
	msg  string
}

func (e *specError) Error() string {
	if e.line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.file, e.line, e.msg)
	}
	return fmt.Sprintf("%s: %s", e.file, e.msg)
}

func (s *spec) errorf(n *yaml.Node, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &specError{file: s.file, line: line, msg: fmt.Sprintf(format, args...)}
}

// loadSpecFile reads and checks a spec file.
func loadSpecFile(path string) (*spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseSpec(b, path, filepath.Dir(path))
}

// parseSpec parses a spec; file names it in errors and dir resolves its
// relative paths.
func parseSpec(src []byte, file, dir string) (*spec, error) {
	s := &spec{file: file, dir: dir}
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

func (s *spec) yamlError(err error) error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		var line int
		fmt.Sscan(m[1], &line)
		return &specError{file: s.file, line: line, msg: "not valid YAML: " + m[2]}
	}
	return &specError{file: s.file, msg: "not valid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// mapping returns the keys of a mapping node, rejecting unknown ones.
func (s *spec) mapping(n *yaml.Node, what string, valid ...string) (map[string]*yaml.Node, error) {
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
func (s *spec) decode(n *yaml.Node, key, want string, v any) error {
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
func (s *spec) classAndArgs(item *yaml.Node, what string) (string, *yaml.Node, error) {
	switch {
	case item.Kind == yaml.ScalarNode:
		return item.Value, nil, nil
	case item.Kind == yaml.MappingNode && len(item.Content) == 2:
		return item.Content[0].Value, item.Content[1], nil
	}
	return "", nil, s.errorf(item, "each %s is written as `- Name: {arguments}`", what)
}

func (s *spec) parseModel(n *yaml.Node) error {
	m, err := s.mapping(n, "model", "name", "input_shape", "layers")
	if err != nil {
		return err
	}
	if v, ok := m["name"]; ok {
		if err := s.decode(v, "model.name", "a string", &s.name); err != nil {
			return err
		}
	}
	if v, ok := m["input_shape"]; ok {
		if err := s.decode(v, "model.input_shape", "a list of positive integers such as [13]", &s.inputShape); err != nil {
			return err
		}
		for _, d := range s.inputShape {
			if d <= 0 {
				return s.errorf(v, "model.input_shape must hold positive integers, got %v", s.inputShape)
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
		ly := layerSpec{class: class, line: item.Line}
		cfg := json.RawMessage("{}")
		if args != nil && args.Kind == yaml.MappingNode {
			// Pull out explicit weights before the layer's own fields.
			for i := 0; i+1 < len(args.Content); i += 2 {
				if args.Content[i].Value != "weights" {
					continue
				}
				if ly.weights, err = s.parseWeights(args.Content[i+1]); err != nil {
					return err
				}
				args.Content = append(args.Content[:i:i], args.Content[i+2:]...)
				break
			}
		}
		if args != nil && !(args.Kind == yaml.ScalarNode && args.Tag == "!!null") {
			if args.Kind != yaml.MappingNode {
				return s.errorf(args, "the arguments of %s must be a mapping such as {units: 32}", class)
			}
			if cfg, err = toJSON(args); err != nil {
				return s.errorf(args, "%v", err)
			}
		}
		l, err := layers.FromConfig(layers.Config{ClassName: class, Config: cfg})
		if err != nil {
			return s.errorf(item, "%v", err)
		}
		ly.layer = l
		s.layers = append(s.layers, ly)
	}
	return nil
}

// parseWeights reads {kernel: [[...]], bias: [...]} into tensors.
func (s *spec) parseWeights(n *yaml.Node) (map[string]*tensor.Tensor, error) {
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
func (s *spec) nameAndConfig(n *yaml.Node, what string) (string, json.RawMessage, error) {
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

func (s *spec) parseCompile(n *yaml.Node) error {
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
	if s.loss, err = losses.Get(name, cfg); err != nil {
		return s.errorf(ln, "%v", err)
	}
	on, ok := m["optimizer"]
	if !ok {
		return s.errorf(n, "compile needs an optimizer (valid: %s)", strings.Join(optimizers.Names(), ", "))
	}
	if name, cfg, err = s.nameAndConfig(on, "compile.optimizer"); err != nil {
		return err
	}
	if s.opt, err = optimizers.Get(name, cfg); err != nil {
		return s.errorf(on, "%v", err)
	}
	if mn, ok := m["metrics"]; ok {
		var names []string
		if err := s.decode(mn, "compile.metrics", "a list of metric names", &names); err != nil {
			return err
		}
		for i, name := range names {
			mt, err := metrics.Get(name)
			if err != nil {
				return s.errorf(mn.Content[i], "%v", err)
			}
			s.metrics = append(s.metrics, mt)
		}
	}
	s.compiled = true
	return nil
}

func (s *spec) parseFit(n *yaml.Node) error {
	m, err := s.mapping(n, "fit", "epochs", "batch_size", "shuffle", "seed", "verbose", "callbacks")
	if err != nil {
		return err
	}
	s.fit = fitSpec{epochs: 1, batchSize: 32, verbose: 1}
	ints := []struct {
		key string
		dst *int
	}{{"epochs", &s.fit.epochs}, {"batch_size", &s.fit.batchSize}, {"verbose", &s.fit.verbose}}
	for _, f := range ints {
		if v, ok := m[f.key]; ok {
			if err := s.decode(v, "fit."+f.key, "an integer", f.dst); err != nil {
				return err
			}
		}
	}
	if s.fit.epochs < 0 || s.fit.batchSize <= 0 {
		return s.errorf(n, "fit.epochs must not be negative and fit.batch_size must be positive")
	}
	if s.fit.verbose < 0 || s.fit.verbose > 2 {
		return s.errorf(m["verbose"], "fit.verbose must be 0, 1 or 2")
	}
	if v, ok := m["shuffle"]; ok {
		shuffle := true
		if err := s.decode(v, "fit.shuffle", "true or false", &shuffle); err != nil {
			return err
		}
		s.fit.noShuffle = !shuffle
	}
	if v, ok := m["seed"]; ok {
		if err := s.decode(v, "fit.seed", "a non-negative integer", &s.fit.seed); err != nil {
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
			s.fit.callbacks = append(s.fit.callbacks, cb)
		}
	}
	return nil
}

// resolveCallbackPaths makes callbacks' file names relative to the spec.
func (s *spec) resolveCallbackPaths(cb callbacks.Callback) {
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
func (s *spec) path(p string) string {
	if p == "" || filepath.IsAbs(p) || s.dir == "" {
		return p
	}
	return filepath.Join(s.dir, p)
}

func (s *spec) parseOutput(n *yaml.Node) error {
	m, err := s.mapping(n, "output", "model", "history", "plot", "speed_plot", "tensorboard", "checkpoint", "show_prediction")
	if err != nil {
		return err
	}
	dst := map[string]*string{
		"model": &s.out.modelFile, "history": &s.out.history, "plot": &s.out.plot, "speed_plot": &s.out.speedPlot,
		"tensorboard": &s.out.tensorboard, "checkpoint": &s.out.checkpoint,
	}
	for k, v := range m {
		if k == "show_prediction" {
			row := 0
			if err := s.decode(v, "output.show_prediction", "a row number", &row); err != nil {
				return err
			}
			s.showPrediction = &row
			continue
		}
		if err := s.decode(v, "output."+k, "a file name", dst[k]); err != nil {
			return err
		}
		*dst[k] = s.path(*dst[k])
	}
	return nil
}

func (s *spec) parseExplain(n *yaml.Node) error {
	m, err := s.mapping(n, "explain", "input", "names")
	if err != nil {
		return err
	}
	v, ok := m["input"]
	if !ok {
		return s.errorf(n, "explain needs an input, e.g. input: [4.0, 3.0]")
	}
	if err := s.decode(v, "explain.input", "a list of numbers", &s.input); err != nil {
		return err
	}
	if v, ok := m["names"]; ok {
		if err := s.decode(v, "explain.names", "a list of names", &s.explainNames); err != nil {
			return err
		}
	}
	return nil
}

// buildModel builds the spec's model, with explicit weights applied and,
// when the spec has a compile section, compiled. seed draws the weights
// that are not given.
func (s *spec) buildModel(seed uint64) (*models.Sequential, error) {
	m := models.NewSequential()
	if s.name != "" {
		m.Name = s.name
	}
	m.Seed = seed
	if s.inputShape != nil {
		m.Add(&layers.Input{Shape: s.inputShape})
	}
	lines := map[string]int{}
	for _, l := range s.layers {
		m.Add(l.layer)
		lines[l.layer.LayerName()] = l.line
	}
	if err := m.Build(); err != nil {
		return nil, s.buildError(err, lines)
	}
	for _, l := range s.layers {
		if err := setWeights(l); err != nil {
			return nil, &specError{file: s.file, line: l.line, msg: err.Error()}
		}
	}
	if s.compiled {
		if err := m.Compile(s.loss, s.opt, s.metrics...); err != nil {
			return nil, s.buildError(err, lines)
		}
	}
	return m, nil
}

// buildError places a model-building error at the line of the layer it
// names.
func (s *spec) buildError(err error, lines map[string]int) error {
	msg := err.Error()
	if errors.Is(err, models.ErrNoInputShape) {
		return &specError{file: s.file, msg: "the model's input shape is unknown: set model.input_shape, e.g. input_shape: [13]"}
	}
	// The layer the message is about is the first one it names.
	best, at := "", len(msg)
	for n := range lines {
		if i := strings.Index(msg, fmt.Sprintf("%q", n)); i >= 0 && i < at {
			best, at = n, i
		}
	}
	if best != "" {
		return &specError{file: s.file, line: lines[best], msg: msg}
	}
	return &specError{file: s.file, msg: msg}
}

// setWeights copies a layer's explicit weights into it.
func setWeights(l layerSpec) error {
	if len(l.weights) == 0 {
		return nil
	}
	byShort := map[string]*layers.Weight{}
	var valid []string
	for _, w := range l.layer.Weights() {
		short := w.Name[strings.LastIndex(w.Name, "/")+1:]
		byShort[short] = w
		valid = append(valid, short)
	}
	for name, t := range l.weights {
		w, ok := byShort[name]
		if !ok {
			return fmt.Errorf("layer %s has no weight %q (valid: %s)", l.layer.LayerName(), name, strings.Join(valid, ", "))
		}
		if !tensor.SameShape(t, w.Var.Value) {
			return fmt.Errorf("weights.%s of layer %s has shape %s, the layer needs %s", name, l.layer.LayerName(), tensor.ShapeString(t.Shape), tensor.ShapeString(w.Var.Value.Shape))
		}
		w.Var.Value.CopyFrom(t)
	}
	return nil
}
