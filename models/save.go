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

// modelConfig is a Sequential's architecture, in Keras's
// {"class_name": "Sequential", "config": {...}} shape.
type modelConfig struct {
	ClassName string `json:"class_name"`
	Config    struct {
		Name   string          `json:"name"`
		Seed   uint64          `json:"seed"`
		Layers []layers.Config `json:"layers"`
	} `json:"config"`
}

type classConfig struct {
	ClassName string          `json:"class_name"`
	Config    json.RawMessage `json:"config,omitempty"`
}

type compileConfig struct {
	Loss      classConfig `json:"loss"`
	Optimizer classConfig `json:"optimizer"`
	Metrics   []string    `json:"metrics"`
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
func (m *Sequential) Save(path string) error {
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
func (m *Sequential) SaveWeights(path string) error {
	if err := m.Build(); err != nil {
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

func (m *Sequential) weightEntries() ([]saving.Entry, error) {
	var entries []saving.Entry
	seen := map[string]bool{}
	for _, w := range m.Weights() {
		if seen[w.Name] {
			return nil, fmt.Errorf("two weights are named %q: give the layers distinct names", w.Name)
		}
		seen[w.Name] = true
		entries = append(entries, saving.Entry{Name: w.Name, Tensor: w.Var.Value})
	}
	return entries, nil
}

func (m *Sequential) fileContents(full bool) ([]saving.Entry, map[string]string, error) {
	if err := m.Build(); err != nil {
		return nil, nil, err
	}
	entries, err := m.weightEntries()
	if err != nil {
		return nil, nil, err
	}
	var mc modelConfig
	mc.ClassName = "Sequential"
	mc.Config.Name, mc.Config.Seed = m.Name, m.Seed
	for _, l := range m.layers {
		c, err := layers.ConfigOf(l)
		if err != nil {
			return nil, nil, err
		}
		mc.Config.Layers = append(mc.Config.Layers, c)
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
	cc := compileConfig{Loss: classConfig{ClassName: losses.ClassName(m.loss)}, Optimizer: classConfig{ClassName: m.opt.Name()}}
	if cc.Loss.Config, err = json.Marshal(m.loss); err != nil {
		return nil, nil, err
	}
	if cc.Optimizer.Config, err = json.Marshal(m.opt); err != nil {
		return nil, nil, err
	}
	for _, mt := range m.metrics {
		cc.Metrics = append(cc.Metrics, mt.Name())
	}
	if meta["compile"], err = marshal(cc); err != nil {
		return nil, nil, err
	}
	if so, ok := m.opt.(optimizers.Stateful); ok {
		os := optimizerState{Iterations: so.Iterations(), Slots: so.SlotNames()}
		slots := so.Slots(m.params)
		names := m.paramNames()
		for s, slot := range os.Slots {
			for i, t := range slots[s] {
				entries = append(entries, saving.Entry{Name: "optimizer/" + slot + "/" + names[i], Tensor: t})
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
		idx := tensor.New(len(st.index))
		for i, v := range st.index {
			idx.Data[i] = float32(v)
		}
		if len(st.index) > 1<<24 {
			return nil, nil, errors.New("more than 2^24 training samples: the sample order cannot be saved")
		}
		entries = append(entries, saving.Entry{Name: "fit/index", Tensor: idx})
	}
	return entries, meta, nil
}

func marshal(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// paramNames returns the names of the trainable weights, in m.params order.
func (m *Sequential) paramNames() []string {
	var names []string
	for _, w := range m.Weights() {
		if w.Trainable {
			names = append(names, w.Name)
		}
	}
	return names
}

// Load reads a model written by Save: it rebuilds the architecture, loads
// the weights and, when the file has them, compiles the model with the
// saved loss, optimizer (with its state) and metrics and restores the
// training streams, so that Fit with InitialEpoch resumes exactly.
func Load(path string) (*Sequential, error) {
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

func fromFile(f *saving.File) (*Sequential, error) {
	if got := f.Metadata["format"]; got != FileFormat {
		return nil, fmt.Errorf("not a neurona model file (format %q, want %q)", got, FileFormat)
	}
	var mc modelConfig
	if err := json.Unmarshal([]byte(f.Metadata["config"]), &mc); err != nil {
		return nil, fmt.Errorf("model config: %w", err)
	}
	if mc.ClassName != "Sequential" {
		return nil, fmt.Errorf("model class %q is not supported (want Sequential)", mc.ClassName)
	}
	m := NewSequential()
	if mc.Config.Name != "" {
		m.Name = mc.Config.Name
	}
	m.Seed = mc.Config.Seed
	if u, ok := f.Metadata["user"]; ok {
		if err := json.Unmarshal([]byte(u), &m.Metadata); err != nil {
			return nil, fmt.Errorf("user metadata: %w", err)
		}
	}
	for i, c := range mc.Config.Layers {
		l, err := layers.FromConfig(c)
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
		m.Add(l)
	}
	if err := m.Build(); err != nil {
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

// setWeights copies the file's weights into the model, checking that every
// weight is present with its shape and that the file has no others.
func (m *Sequential) setWeights(f *saving.File) error {
	ws := m.Weights()
	known := map[string]bool{}
	for _, w := range ws {
		known[w.Name] = true
	}
	for _, e := range f.Entries {
		if !known[e.Name] && !strings.HasPrefix(e.Name, "optimizer/") && !strings.HasPrefix(e.Name, "fit/") {
			return fmt.Errorf("the file has weight %q, which the model does not", e.Name)
		}
	}
	for _, w := range ws {
		t, ok := f.Get(w.Name)
		if !ok {
			return fmt.Errorf("weight %q is missing from the file", w.Name)
		}
		if !tensor.SameShape(t, w.Var.Value) {
			return fmt.Errorf("weight %q has shape %s in the file but %s in the model", w.Name, tensor.ShapeString(t.Shape), tensor.ShapeString(w.Var.Value.Shape))
		}
		w.Var.Value.CopyFrom(t)
	}
	return nil
}

func (m *Sequential) compileFrom(f *saving.File, compile string) error {
	var cc compileConfig
	if err := json.Unmarshal([]byte(compile), &cc); err != nil {
		return fmt.Errorf("compile config: %w", err)
	}
	loss, err := losses.Get(cc.Loss.ClassName, cc.Loss.Config)
	if err != nil {
		return err
	}
	opt, err := optimizers.Get(cc.Optimizer.ClassName, cc.Optimizer.Config)
	if err != nil {
		return err
	}
	var ms []metrics.Metric
	for _, name := range cc.Metrics {
		mt, err := metrics.Get(name)
		if err != nil {
			return err
		}
		ms = append(ms, mt)
	}
	if err := m.Compile(loss, opt, ms...); err != nil {
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

func (m *Sequential) restoreOptimizer(f *saving.File, state string) error {
	var os optimizerState
	if err := json.Unmarshal([]byte(state), &os); err != nil {
		return fmt.Errorf("optimizer state: %w", err)
	}
	so, ok := m.opt.(optimizers.Stateful)
	if !ok || fmt.Sprint(os.Slots) != fmt.Sprint(so.SlotNames()) {
		return fmt.Errorf("optimizer state has slots %v, the optimizer %s expects %v", os.Slots, m.opt.Name(), so.SlotNames())
	}
	slots := so.Slots(m.params)
	names := m.paramNames()
	for s, slot := range os.Slots {
		for i, t := range slots[s] {
			name := "optimizer/" + slot + "/" + names[i]
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

func (m *Sequential) restoreFit(f *saving.File, state string) error {
	var fs fitConfigState
	if err := json.Unmarshal([]byte(state), &fs); err != nil {
		return fmt.Errorf("training state: %w", err)
	}
	idx, ok := f.Get("fit/index")
	if !ok || idx.Dims() != 1 {
		return errors.New("training state: the sample order fit/index is missing")
	}
	st := &fitState{seed: fs.Seed, shuffle: tensor.NewRNG(0), dropout: tensor.NewRNG(0), index: make([]int, idx.Size()), nextEpoch: fs.NextEpoch}
	st.shuffle.SetState(fs.Shuffle)
	st.dropout.SetState(fs.Dropout)
	seen := make([]bool, len(st.index))
	for i, v := range idx.Data {
		k := int(v)
		if float32(k) != v || k < 0 || k >= len(seen) || seen[k] {
			return fmt.Errorf("training state: fit/index[%d] = %s is not a permutation entry", i, strconv.FormatFloat(float64(v), 'g', -1, 32))
		}
		seen[k] = true
		st.index[i] = k
	}
	m.fit = st
	return nil
}

// LoadWeights reads weights written by SaveWeights or Save into the model,
// checking that every weight's name and shape match.
func (m *Sequential) LoadWeights(path string) error {
	if err := m.Build(); err != nil {
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
