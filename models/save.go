package models

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/metrics"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/saving"
	"github.com/neurona/neurona/tensor"
)

// FileFormat is the value of the "format" metadata key of neurona's model
// files (see docs/file-format.md).
const FileFormat = "neurona/1"

// modelConfig is a model's architecture, in Keras's
// {"class_name": ..., "config": {...}} shape: a Sequential's layers in
// order, or a Model's layers with their inbound nodes (Keras's functional
// config), nested models inline.
type modelConfig struct {
	ClassName string      `json:"class_name"`
	Config    modelFields `json:"config"`
}

type modelFields struct {
	Name   string       `json:"name"`
	Seed   uint64       `json:"seed"`
	Frozen bool         `json:"frozen,omitempty"`
	Layers []layerEntry `json:"layers"`
	Inputs []tensorRef  `json:"input_layers,omitempty"`
	Output []tensorRef  `json:"output_layers,omitempty"`
}

// layerEntry is one layer of a model config: its class and config (a
// nested model's is a whole model config), and for a graph, where it was
// applied.
type layerEntry struct {
	ClassName string          `json:"class_name"`
	Config    json.RawMessage `json:"config"`
	Name      string          `json:"name,omitempty"`
	Inbound   [][]tensorRef   `json:"inbound_nodes,omitempty"`
}

// tensorRef is Keras's [layer_name, node_index, tensor_index].
type tensorRef [3]any

func newRef(name string, node, tensor int) tensorRef { return tensorRef{name, node, tensor} }

func (r tensorRef) parts() (string, int, int, error) {
	name, ok := r[0].(string)
	n, ok1 := r[1].(float64)
	t, ok2 := r[2].(float64)
	if !ok || !ok1 || !ok2 || n != float64(int(n)) || t != float64(int(t)) || n < 0 || t < 0 || n > 1e6 || t > 1e6 {
		return "", 0, 0, fmt.Errorf("bad tensor reference %v: want [layer name, node index, tensor index]", [3]any(r))
	}
	return name, int(n), int(t), nil
}

type classConfig struct {
	ClassName string          `json:"class_name"`
	Config    json.RawMessage `json:"config,omitempty"`
}

type compileConfig struct {
	Loss        classConfig   `json:"loss"`
	Losses      []classConfig `json:"losses,omitempty"` // one per output, when several
	LossWeights []float32     `json:"loss_weights,omitempty"`
	Optimizer   classConfig   `json:"optimizer"`
	// Metrics are each a metrics.Config ({"class_name", "config"}); files
	// written before held the metrics' names, which still load.
	Metrics []json.RawMessage `json:"metrics"`
}

type optimizerState struct {
	Iterations int      `json:"iterations"`
	Slots      []string `json:"slots"`
}

type fitConfigState struct {
	Seed      uint64    `json:"seed"`
	Shuffle   [4]uint64 `json:"shuffle_rng"`
	Dropout   [4]uint64 `json:"dropout_rng"`
	NextEpoch int       `json:"next_epoch"`
}

// Save writes the whole model to path: the architecture, the weights, and,
// when compiled, the loss, optimizer and metrics with the optimizer's state
// and the training streams, so that Load can predict without the Go code
// that built the model and Fit can resume exactly. The file is a
// safetensors file written atomically.
func (m *Model) Save(path string) error {
	entries, meta, err := m.fileContents(true)
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := saving.WriteFile(path, entries, meta); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	return nil
}

// SaveWeights writes only the weights to path, as a safetensors file.
func (m *Model) SaveWeights(path string) error {
	if err := m.ready(); err != nil {
		return fmt.Errorf("save weights %s: %w", path, err)
	}
	entries, err := m.weightEntries()
	if err != nil {
		return fmt.Errorf("save weights %s: %w", path, err)
	}
	if err := saving.WriteFile(path, entries, map[string]string{"format": FileFormat}); err != nil {
		return fmt.Errorf("save weights: %w", err)
	}
	return nil
}

func (m *Model) weightEntries() ([]saving.Entry, error) {
	var entries []saving.Entry
	seen := map[string]bool{}
	for _, w := range m.namedWeights() {
		if seen[w.name] {
			return nil, fmt.Errorf("two weights are named %q: give the layers distinct names", w.name)
		}
		seen[w.name] = true
		entries = append(entries, saving.Entry{Name: w.name, Tensor: w.w.Var.Value})
	}
	return entries, nil
}

// namedWeight is a weight with its name in files: a nested model's
// weights are prefixed with the nested model's name.
type namedWeight struct {
	name string
	w    *layers.Weight
}

// namedWeights lists every weight once, in layer order.
func (m *Model) namedWeights() []namedWeight {
	var out []namedWeight
	seen := map[*layers.Weight]bool{}
	var walk func(prefix string, ls []layers.Layer)
	walk = func(prefix string, ls []layers.Layer) {
		for _, l := range ls {
			if g := graphOf(l); g != nil {
				walk(prefix+g.Name+"/", g.ls)
				continue
			}
			for _, w := range l.Weights() {
				if !seen[w] {
					seen[w] = true
					out = append(out, namedWeight{prefix + w.Name, w})
				}
			}
		}
	}
	walk("", m.ls)
	return out
}

// config returns the model's architecture.
func (m *Model) config() (modelConfig, error) {
	mc := modelConfig{ClassName: m.class}
	mc.Config.Name, mc.Config.Seed, mc.Config.Frozen = m.Name, m.Seed, m.Frozen
	if m.class == "Sequential" {
		for _, l := range m.sequentialStack() {
			e, err := layerConfig(l)
			if err != nil {
				return mc, err
			}
			mc.Config.Layers = append(mc.Config.Layers, e)
		}
		return mc, nil
	}
	inGraph := map[*layers.Node]bool{}
	for _, n := range m.nodes {
		inGraph[n] = true
	}
	// Node indices in the file count only this model's nodes of a layer.
	local := map[*layers.Node]int{}
	for _, l := range m.ls {
		k := 0
		for _, n := range nodesOf(l) {
			if inGraph[n] {
				local[n] = k
				k++
			}
		}
	}
	ref := func(t *layers.KerasTensor) tensorRef {
		n, i := t.Node()
		return newRef(n.Layer.LayerName(), local[n], i)
	}
	for _, l := range m.ls {
		e, err := layerConfig(l)
		if err != nil {
			return mc, err
		}
		e.Name = l.LayerName()
		for _, n := range nodesOf(l) {
			if !inGraph[n] || len(n.Inputs) == 0 {
				continue
			}
			var refs []tensorRef
			for _, x := range n.Inputs {
				refs = append(refs, ref(x))
			}
			e.Inbound = append(e.Inbound, refs)
		}
		mc.Config.Layers = append(mc.Config.Layers, e)
	}
	for _, t := range m.inputs {
		mc.Config.Inputs = append(mc.Config.Inputs, ref(t))
	}
	for _, t := range m.outputs {
		mc.Config.Output = append(mc.Config.Output, ref(t))
	}
	return mc, nil
}

// layerConfig returns a layer's entry: a nested model's whole config, or
// the layer's class and fields.
func layerConfig(l layers.Layer) (layerEntry, error) {
	if g := graphOf(l); g != nil {
		mc, err := g.config()
		if err != nil {
			return layerEntry{}, err
		}
		b, err := json.Marshal(mc.Config)
		return layerEntry{ClassName: mc.ClassName, Config: b}, err
	}
	c, err := layers.ConfigOf(l)
	if err != nil {
		return layerEntry{}, err
	}
	return layerEntry{ClassName: c.ClassName, Config: c.Config}, nil
}

// sequentialStack returns a Sequential's layers as added, its Input layer
// included when it has one.
func (m *Model) sequentialStack() []layers.Layer {
	if m.inputs != nil {
		n, _ := m.inputs[0].Node()
		if in, ok := n.Layer.(*layers.Input); ok && !strings.HasSuffix(in.Name, "_input") {
			return append([]layers.Layer{in}, m.ls...)
		}
	}
	return m.ls
}

func (m *Model) fileContents(full bool) ([]saving.Entry, map[string]string, error) {
	if err := m.ready(); err != nil {
		return nil, nil, err
	}
	entries, err := m.weightEntries()
	if err != nil {
		return nil, nil, err
	}
	mc, err := m.config()
	if err != nil {
		return nil, nil, err
	}
	meta := map[string]string{"format": FileFormat}
	if meta["config"], err = marshal(mc); err != nil {
		return nil, nil, err
	}
	if len(m.Metadata) > 0 {
		if meta["user"], err = marshal(m.Metadata); err != nil {
			return nil, nil, err
		}
	}
	if !full || !m.compiled {
		return entries, meta, nil
	}
	if err := m.readyCompiled("save"); err != nil {
		return nil, nil, err
	}
	lossConfig := func(l losses.Loss) (classConfig, error) {
		b, err := json.Marshal(l)
		return classConfig{ClassName: losses.ClassName(l), Config: b}, err
	}
	cc := compileConfig{Optimizer: classConfig{ClassName: m.opt.Name()}, LossWeights: m.lossWeights}
	if cc.Loss, err = lossConfig(m.loss[0]); err != nil {
		return nil, nil, err
	}
	if len(m.loss) > 1 {
		for _, l := range m.loss {
			c, err := lossConfig(l)
			if err != nil {
				return nil, nil, err
			}
			cc.Losses = append(cc.Losses, c)
		}
	}
	if cc.Optimizer.Config, err = json.Marshal(m.opt); err != nil {
		return nil, nil, err
	}
	for _, mt := range m.given {
		c, err := metrics.ConfigOf(mt)
		if err != nil {
			return nil, nil, err
		}
		b, err := json.Marshal(c)
		if err != nil {
			return nil, nil, err
		}
		cc.Metrics = append(cc.Metrics, b)
	}
	if meta["compile"], err = marshal(cc); err != nil {
		return nil, nil, err
	}
	if so, ok := m.opt.(optimizers.Stateful); ok {
		os := optimizerState{Iterations: so.Iterations(), Slots: so.SlotNames()}
		names := m.paramFileNames()
		for i, p := range m.params {
			for s, t := range so.Slots(p) {
				entries = append(entries, saving.Entry{Name: "optimizer/" + os.Slots[s] + "/" + names[i], Tensor: t})
			}
		}
		if meta["optimizer"], err = marshal(os); err != nil {
			return nil, nil, err
		}
	}
	if st := m.fit; st != nil {
		fs := fitConfigState{Seed: st.seed, Shuffle: st.shuffle.State(), Dropout: st.dropout.State(), NextEpoch: st.nextEpoch}
		if meta["fit"], err = marshal(fs); err != nil {
			return nil, nil, err
		}
		// The sample order is stored exactly, as int64 (files written
		// before held float32, which Load still reads).
		idx := &saving.IntTensor{Shape: []int{len(st.index)}, Data: make([]int64, len(st.index))}
		for i, v := range st.index {
			idx.Data[i] = int64(v)
		}
		entries = append(entries, saving.Entry{Name: "fit/index", Ints: idx})
	}
	return entries, meta, nil
}

func marshal(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// paramFileNames returns the file names of the trained weights, in
// m.params order.
func (m *Model) paramFileNames() []string {
	byVar := map[*layers.Weight]string{}
	for _, w := range m.namedWeights() {
		byVar[w.w] = w.name
	}
	names := make([]string, 0, len(m.params))
	for _, w := range m.TrainableWeights() {
		names = append(names, byVar[w])
	}
	return names
}

// Load reads a model written by Save: it rebuilds the architecture (a
// Sequential or a graph, nested models and shared layers included), loads
// the weights and, when the file has them, compiles the model with the
// saved loss, optimizer (with its state) and metrics and restores the
// training streams, so that Fit with InitialEpoch resumes exactly.
func Load(path string) (*Model, error) {
	f, err := saving.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	m, err := fromFile(f)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return m, nil
}

// LoadSequential is Load for a file that holds a Sequential model.
func LoadSequential(path string) (*Sequential, error) {
	m, err := Load(path)
	if err != nil {
		return nil, err
	}
	if m.seq == nil {
		return nil, fmt.Errorf("load %s: the file holds a %s, not a Sequential", path, m.class)
	}
	return m.seq, nil
}

func fromFile(f *saving.File) (*Model, error) {
	if got := f.Metadata["format"]; got != FileFormat {
		return nil, fmt.Errorf("not a neurona model file (format %q, want %q)", got, FileFormat)
	}
	var mc modelConfig
	if err := json.Unmarshal([]byte(f.Metadata["config"]), &mc); err != nil {
		return nil, fmt.Errorf("model config: %w", err)
	}
	// The config is untrusted: build it once with shape-only layers and
	// check every weight's shape against the tensors the file holds before
	// anything the config asks for is allocated.
	dry, err := modelFromConfigDepth(mc, 0, true)
	if err != nil {
		return nil, err
	}
	if err := dry.checkShapes(f); err != nil {
		return nil, err
	}
	m, err := modelFromConfig(mc)
	if err != nil {
		return nil, err
	}
	if u, ok := f.Metadata["user"]; ok {
		if err := json.Unmarshal([]byte(u), &m.Metadata); err != nil {
			return nil, fmt.Errorf("user metadata: %w", err)
		}
	}
	if err := m.ready(); err != nil {
		return nil, err
	}
	if err := m.setWeights(f); err != nil {
		return nil, err
	}
	if c, ok := f.Metadata["compile"]; ok {
		if err := m.compileFrom(f, c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// maxConfigDepth bounds the nesting of models in a config.
const maxConfigDepth = 32

// ModelFromConfig returns a new model from an architecture in the JSON
// form Save writes (the "config" metadata of a model file). Its weights
// are drawn from its seed when first used.
func ModelFromConfig(config []byte) (*Model, error) {
	var mc modelConfig
	if err := json.Unmarshal(config, &mc); err != nil {
		return nil, fmt.Errorf("model config: %w", err)
	}
	return modelFromConfig(mc)
}

func modelFromConfig(mc modelConfig) (*Model, error) { return modelFromConfigDepth(mc, 0, false) }

// modelFromConfigDepth builds the model of a config nested depth deep;
// shapeOnly builds it with shape-only layers (see layers.SetShapeOnly).
func modelFromConfigDepth(mc modelConfig, depth int, shapeOnly bool) (*Model, error) {
	if depth > maxConfigDepth {
		return nil, fmt.Errorf("models nested more than %d deep", maxConfigDepth)
	}
	c := mc.Config
	newLayer := func(i int, e layerEntry) (layers.Layer, error) {
		if e.ClassName == "Sequential" || e.ClassName == "Model" {
			var sub modelConfig
			sub.ClassName = e.ClassName
			if err := json.Unmarshal(e.Config, &sub.Config); err != nil {
				return nil, fmt.Errorf("layer %d (%s): %w", i, e.ClassName, err)
			}
			g, err := modelFromConfigDepth(sub, depth+1, shapeOnly)
			if err != nil {
				return nil, fmt.Errorf("nested model %q: %w", sub.Config.Name, err)
			}
			return g, nil
		}
		l, err := layers.FromConfig(layers.Config{ClassName: e.ClassName, Config: e.Config})
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
		if shapeOnly {
			layers.SetShapeOnly(l)
		}
		return l, nil
	}
	switch mc.ClassName {
	case "Sequential":
		seq := NewSequential()
		for i, e := range c.Layers {
			l, err := newLayer(i, e)
			if err != nil {
				return nil, err
			}
			seq.Add(l)
		}
		if c.Name != "" {
			seq.Name = c.Name
		}
		seq.Seed, seq.Frozen = c.Seed, c.Frozen
		if err := seq.Build(); err != nil {
			return nil, err
		}
		return seq.Model, nil
	case "Model":
	default:
		return nil, fmt.Errorf("model class %q is not supported (valid: Model, Sequential)", mc.ClassName)
	}
	type pending struct {
		l    layers.Layer
		next int // index of the next inbound node to apply
		in   [][]tensorRef
	}
	byName := map[string]*pending{}
	outs := map[string][][]*layers.KerasTensor{} // by layer, its nodes' outputs
	var order []*pending
	for i, e := range c.Layers {
		l, err := newLayer(i, e)
		if err != nil {
			return nil, err
		}
		name := l.LayerName()
		if e.Name != "" && e.Name != name {
			return nil, fmt.Errorf("layer %d is named %q in its entry but %q in its config", i, e.Name, name)
		}
		if name == "" {
			return nil, fmt.Errorf("layer %d (%s) has no name", i, e.ClassName)
		}
		if byName[name] != nil {
			return nil, fmt.Errorf("two layers are named %q: layer names must be unique", name)
		}
		p := &pending{l: l, in: e.Inbound}
		byName[name] = p
		order = append(order, p)
		if _, ok := l.(*layers.Input); ok {
			if len(e.Inbound) > 0 {
				return nil, fmt.Errorf("input layer %q has inbound nodes", name)
			}
			t := layers.Apply(l)
			if t.Err() != nil {
				return nil, t.Err()
			}
			outs[name] = [][]*layers.KerasTensor{{t}}
		}
	}
	lookup := func(r tensorRef) (*layers.KerasTensor, bool, error) {
		name, node, ti, err := r.parts()
		if err != nil {
			return nil, false, err
		}
		if byName[name] == nil {
			return nil, false, fmt.Errorf("no layer is named %q", name)
		}
		if node >= len(outs[name]) {
			return nil, false, nil
		}
		ys := outs[name][node]
		if ti < 0 || ti >= len(ys) {
			if len(ys) == 1 {
				return nil, false, fmt.Errorf("layer %q has one output, not tensor %d", name, ti)
			}
			return nil, false, fmt.Errorf("layer %q has %d outputs, not tensor %d", name, len(ys), ti)
		}
		return ys[ti], true, nil
	}
	for left := true; left; {
		left = false
		progress := false
		for _, p := range order {
			for p.next < len(p.in) {
				refs := p.in[p.next]
				var xs []*layers.KerasTensor
				ok := true
				for _, r := range refs {
					x, have, err := lookup(r)
					if err != nil {
						return nil, fmt.Errorf("layer %q: inbound node %d: %w", p.l.LayerName(), p.next, err)
					}
					if !have {
						ok = false
						break
					}
					xs = append(xs, x)
				}
				if !ok {
					left = true
					break
				}
				ys := layers.ApplyMulti(p.l, xs...)
				if ys[0].Err() != nil {
					return nil, ys[0].Err()
				}
				outs[p.l.LayerName()] = append(outs[p.l.LayerName()], ys)
				p.next++
				progress = true
			}
		}
		if left && !progress {
			for _, p := range order {
				if p.next < len(p.in) {
					return nil, fmt.Errorf("layer %q: inbound node %d waits on a tensor that is never computed (a cycle, or a reference to a missing node)", p.l.LayerName(), p.next)
				}
			}
		}
	}
	var ins, os []*layers.KerasTensor
	for _, r := range c.Inputs {
		x, have, err := lookup(r)
		if err != nil || !have {
			return nil, fmt.Errorf("model input %v: %v", [3]any(r), orMissing(err))
		}
		ins = append(ins, x)
	}
	for _, r := range c.Output {
		x, have, err := lookup(r)
		if err != nil || !have {
			return nil, fmt.Errorf("model output %v: %v", [3]any(r), orMissing(err))
		}
		os = append(os, x)
	}
	m := &Model{class: "Model"}
	if err := m.setGraph(ins, os); err != nil {
		return nil, err
	}
	m.Name, m.Seed, m.Frozen = c.Name, c.Seed, c.Frozen
	if m.Name == "" {
		m.Name = layers.UniqueName("model")
	}
	return m, nil
}

func orMissing(err error) error {
	if err != nil {
		return err
	}
	return errors.New("no such tensor")
}

// checkShapes checks that the file holds every weight of the model, built
// shape-only, with its shape.
func (m *Model) checkShapes(f *saving.File) error {
	seen := map[*layers.Weight]bool{}
	var walk func(prefix string, ls []layers.Layer) error
	walk = func(prefix string, ls []layers.Layer) error {
		for _, l := range ls {
			if g := graphOf(l); g != nil {
				if err := walk(prefix+g.Name+"/", g.ls); err != nil {
					return err
				}
				continue
			}
			shapes := layers.WeightShapes(l)
			for i, w := range l.Weights() {
				if seen[w] {
					continue
				}
				seen[w] = true
				name := prefix + w.Name
				t, ok := f.Get(name)
				if !ok {
					return fmt.Errorf("weight %q is missing from the file", name)
				}
				if !tensor.EqualShape(t.Shape, shapes[i]) {
					return fmt.Errorf("weight %q has shape %s in the config but %s in the file", name,
						tensor.ShapeString(shapes[i]), tensor.ShapeString(t.Shape))
				}
			}
		}
		return nil
	}
	return walk("", m.ls)
}

// setWeights copies the file's weights into the model, checking that every
// weight is present with its shape and that the file has no others.
func (m *Model) setWeights(f *saving.File) error {
	ws := m.namedWeights()
	known := map[string]bool{}
	for _, w := range ws {
		known[w.name] = true
	}
	for _, e := range f.Entries {
		if !known[e.Name] && !strings.HasPrefix(e.Name, "optimizer/") && !strings.HasPrefix(e.Name, "fit/") {
			return fmt.Errorf("the file has weight %q, which the model does not", e.Name)
		}
	}
	for _, nw := range ws {
		w := nw.w
		t, ok := f.Get(nw.name)
		if !ok {
			return fmt.Errorf("weight %q is missing from the file", nw.name)
		}
		if !tensor.SameShape(t, w.Var.Value) {
			return fmt.Errorf("weight %q has shape %s in the file but %s in the model", nw.name, tensor.ShapeString(t.Shape), tensor.ShapeString(w.Var.Value.Shape))
		}
		w.Var.Value.CopyFrom(t)
	}
	return nil
}

func (m *Model) compileFrom(f *saving.File, compile string) error {
	var cc compileConfig
	if err := json.Unmarshal([]byte(compile), &cc); err != nil {
		return fmt.Errorf("compile config: %w", err)
	}
	loss, err := losses.Get(cc.Loss.ClassName, cc.Loss.Config)
	if err != nil {
		return err
	}
	var perOutput []losses.Loss
	for _, c := range cc.Losses {
		l, err := losses.Get(c.ClassName, c.Config)
		if err != nil {
			return err
		}
		perOutput = append(perOutput, l)
	}
	opt, err := optimizers.Get(cc.Optimizer.ClassName, cc.Optimizer.Config)
	if err != nil {
		return err
	}
	var ms []metrics.Metric
	for _, raw := range cc.Metrics {
		var name string
		var mt metrics.Metric
		if json.Unmarshal(raw, &name) == nil {
			mt, err = metrics.Get(name)
		} else {
			var c metrics.Config
			if err = json.Unmarshal(raw, &c); err == nil {
				mt, err = metrics.FromConfig(c)
			}
		}
		if err != nil {
			return fmt.Errorf("metric: %w", err)
		}
		ms = append(ms, mt)
	}
	cfg := CompileConfig{Loss: loss, Optimizer: opt, Metrics: ms, LossWeights: cc.LossWeights}
	if perOutput != nil {
		cfg.Loss, cfg.Losses = nil, perOutput
	}
	if err := m.CompileWith(cfg); err != nil {
		return err
	}
	if s, ok := f.Metadata["optimizer"]; ok {
		if err := m.restoreOptimizer(f, s); err != nil {
			return err
		}
	}
	if s, ok := f.Metadata["fit"]; ok {
		return m.restoreFit(f, s)
	}
	return nil
}

func (m *Model) restoreOptimizer(f *saving.File, state string) error {
	var os optimizerState
	if err := json.Unmarshal([]byte(state), &os); err != nil {
		return fmt.Errorf("optimizer state: %w", err)
	}
	so, ok := m.opt.(optimizers.Stateful)
	if !ok || fmt.Sprint(os.Slots) != fmt.Sprint(so.SlotNames()) {
		return fmt.Errorf("optimizer state has slots %v, the optimizer %s expects %v", os.Slots, m.opt.Name(), so.SlotNames())
	}
	names := m.paramFileNames()
	for i, p := range m.params {
		for s, t := range so.Slots(p) {
			name := "optimizer/" + os.Slots[s] + "/" + names[i]
			src, ok := f.Get(name)
			if !ok || !tensor.SameShape(src, t) {
				return fmt.Errorf("optimizer state %q is missing or has the wrong shape", name)
			}
			t.CopyFrom(src)
		}
	}
	so.SetIterations(os.Iterations)
	return nil
}

func (m *Model) restoreFit(f *saving.File, state string) error {
	var fs fitConfigState
	if err := json.Unmarshal([]byte(state), &fs); err != nil {
		return fmt.Errorf("training state: %w", err)
	}
	var order []int64
	if it, ok := f.GetInts("fit/index"); ok && len(it.Shape) == 1 {
		order = it.Data
	} else if idx, ok := f.Get("fit/index"); ok && idx.Dims() == 1 {
		// Files written before held the order as float32.
		order = make([]int64, idx.Size())
		for i, v := range idx.Data {
			if float32(int64(v)) != v {
				return fmt.Errorf("training state: fit/index[%d] = %s is not a permutation entry", i, strconv.FormatFloat(float64(v), 'g', -1, 32))
			}
			order[i] = int64(v)
		}
	} else {
		return errors.New("training state: the sample order fit/index is missing")
	}
	st := &fitState{seed: fs.Seed, shuffle: tensor.NewRNG(0), dropout: tensor.NewRNG(0), index: make([]int, len(order)), nextEpoch: fs.NextEpoch}
	st.shuffle.SetState(fs.Shuffle)
	st.dropout.SetState(fs.Dropout)
	seen := make([]bool, len(st.index))
	for i, v := range order {
		if v < 0 || v >= int64(len(seen)) || seen[v] {
			return fmt.Errorf("training state: fit/index[%d] = %d is not a permutation entry", i, v)
		}
		seen[v] = true
		st.index[i] = int(v)
	}
	m.fit = st
	return nil
}

// LoadWeights reads weights written by SaveWeights or Save into the model,
// checking that every weight's name and shape match.
func (m *Model) LoadWeights(path string) error {
	if err := m.ready(); err != nil {
		return fmt.Errorf("load weights %s: %w", path, err)
	}
	f, err := saving.ReadFile(path)
	if err != nil {
		return fmt.Errorf("load weights: %w", err)
	}
	if err := m.setWeights(f); err != nil {
		return fmt.Errorf("load weights %s: %w", path, err)
	}
	return nil
}
