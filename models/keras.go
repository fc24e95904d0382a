package models

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/neurona/neurona/internal/hdf5"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/tensor"
)

// LoadKerasWeights reads a Keras 2 weights file (model.save_weights(...)
// in HDF5, or the model_weights group of a model.save(...) file) into the
// model, layer by layer by name: the root's layer_names attribute lists
// the layers, each layer's group has a weight_names attribute whose names
// are the paths of its datasets, in the layer's weight order (Keras's
// kernel then bias; BatchNormalization's gamma, beta, moving_mean,
// moving_variance, which is neurona's order too; the recurrent layers'
// kernel, recurrent_kernel, bias; a Bidirectional's forward then backward
// layer's, as bidirectional_1/forward_lstm_1/kernel:0 and so on). Every layer of the model
// that has weights must be in the file with the same number of weights and
// the same shapes, and every layer of the file with weights must be in the
// model; layers without weights (Dropout, pooling) are ignored. Nothing is
// changed unless every weight loads.
func (m *Model) LoadKerasWeights(path string) error {
	if err := m.ready(); err != nil {
		return fmt.Errorf("load Keras weights %s: %w", path, err)
	}
	f, err := hdf5.Open(path)
	if err != nil {
		return fmt.Errorf("load Keras weights: %w", err)
	}
	defer f.Close()
	if err := m.loadKeras2(f); err != nil {
		return fmt.Errorf("load Keras weights %s: %w", path, err)
	}
	return nil
}

// stringsAttr reads a string-list attribute that Keras 2 may split into
// name0, name1, … when it is larger than HDF5's 64 KB attribute limit. An
// empty numeric array (Keras's np.asarray([])) is an empty list.
func stringsAttr(g *hdf5.Group, name string) ([]string, error) {
	read := func(n string) ([]string, error) {
		a, err := g.Attr(n)
		if err != nil {
			return nil, err
		}
		if a.Strings == nil && len(a.Numbers) > 0 {
			return nil, fmt.Errorf("%s: attribute %q holds %s, not strings", g.Path(), n, a.Type)
		}
		return a.Strings, nil
	}
	if g.HasAttr(name) {
		return read(name)
	}
	var out []string
	for i := 0; g.HasAttr(name + strconv.Itoa(i)); i++ {
		part, err := read(name + strconv.Itoa(i))
		if err != nil {
			return nil, err
		}
		out = append(out, part...)
	}
	if out == nil {
		return nil, fmt.Errorf("%s: no attribute %q: not a Keras weights file", g.Path(), name)
	}
	return out, nil
}

// kerasLayerWeights returns the model's layers that have weights, by name,
// in order.
func (m *Model) weightedLayers() ([]layers.Layer, map[string]layers.Layer) {
	var order []layers.Layer
	byName := map[string]layers.Layer{}
	for _, l := range m.ls {
		if len(l.Weights()) == 0 {
			continue
		}
		order = append(order, l)
		byName[l.LayerName()] = l
	}
	return order, byName
}

func layerNames(ls []layers.Layer) string {
	var names []string
	for _, l := range ls {
		names = append(names, l.LayerName())
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func (m *Model) loadKeras2(f *hdf5.File) error {
	g, err := f.Root()
	if err != nil {
		return err
	}
	if !g.HasAttr("layer_names") && !g.HasAttr("layer_names0") && g.Has("model_weights") {
		if g, err = g.Group("model_weights"); err != nil {
			return err
		}
	}
	names, err := stringsAttr(g, "layer_names")
	if err != nil {
		return err
	}
	order, byName := m.weightedLayers()
	type pending struct {
		w *layers.Weight
		v []float32
	}
	var loads []pending
	inFile := map[string]bool{}
	for _, name := range names {
		lg, err := g.Group(name)
		if err != nil {
			return fmt.Errorf("layer %q: %w", name, err)
		}
		wnames, err := stringsAttr(lg, "weight_names")
		if err != nil {
			return fmt.Errorf("layer %q: %w", name, err)
		}
		if len(wnames) == 0 {
			continue
		}
		if inFile[name] {
			return fmt.Errorf("the file lists layer %q twice", name)
		}
		inFile[name] = true
		l, ok := byName[name]
		if !ok {
			return fmt.Errorf("the file has layer %q (group %s) with %d weights, which the model does not have (the model's layers with weights: %s)",
				name, lg.Path(), len(wnames), layerNames(order))
		}
		ws := l.Weights()
		if len(ws) != len(wnames) {
			return fmt.Errorf("layer %q (%s) has %d weights in the model, %d in the file (%s)",
				name, l.ClassName(), len(ws), len(wnames), strings.Join(wnames, ", "))
		}
		for i, wn := range wnames {
			d, err := lg.Dataset(wn)
			if err != nil {
				return fmt.Errorf("layer %q: %w", name, err)
			}
			if !tensor.EqualShape(d.Shape(), ws[i].Var.Value.Shape) {
				return fmt.Errorf("layer %q: weight %q (%s) has shape %s in the file, the model's %q has %s",
					name, wn, d.Path(), tensor.ShapeString(d.Shape()), ws[i].Name, tensor.ShapeString(ws[i].Var.Value.Shape))
			}
			v, err := d.Float32s()
			if err != nil {
				return fmt.Errorf("layer %q: %w", name, err)
			}
			loads = append(loads, pending{ws[i], v})
		}
	}
	for _, l := range order {
		if !inFile[l.LayerName()] {
			var have []string
			for n := range inFile {
				have = append(have, n)
			}
			sort.Strings(have)
			return fmt.Errorf("the model's layer %q (%s) has weights, the file has no layer of that name (the file's layers with weights: %s)",
				l.LayerName(), l.ClassName(), strings.Join(have, ", "))
		}
	}
	for _, p := range loads {
		copy(p.w.Var.Value.Data, p.v)
	}
	return nil
}

// Bounds on a .keras archive: a config larger than this is refused, and a
// weights file must be stored (as Keras writes it) or deflated by no more
// than maxKerasRatio.
const (
	maxKerasConfig = 64 << 20
	maxKerasRatio  = 1100
)

// LoadKeras reads a Keras 3 .keras archive (model.save("x.keras")): its
// config.json gives the architecture, a Sequential or a functional model
// of the layers neurona has, and model.weights.h5 the weights (the group
// layers/<class name in snake case, numbered as Keras numbers them>/vars,
// datasets 0, 1, … in the layer's weight order; an RNN's are under its
// cell, layers/<name>/cell/vars, a Bidirectional's under
// forward_layer/cell and backward_layer/cell, a TimeDistributed's under
// layer). The 1-D and recurrent layers are read too: Embedding,
// SpatialDropout1D, Conv1D (causal included), the 1-D poolings, SimpleRNN,
// LSTM, GRU (reset_after, Keras 3's default, or not), Bidirectional and
// TimeDistributed. The model is returned uncompiled: compile it to
// evaluate or train. An unknown layer class, a setting neurona does not
// support (channels_first, 2-D dilation, a BatchNormalization over another
// axis, mask_zero, return_state, stateful, unroll, merge_mode None, Keras
// 3's hard_sigmoid, a backward_layer that is not the forward one reversed)
// or a weight of the wrong shape is an error that names the layer.
func LoadKeras(path string) (*Model, error) {
	m, err := loadKeras(path)
	if err != nil {
		return nil, fmt.Errorf("load Keras %s: %w", path, err)
	}
	return m, nil
}

func loadKeras(path string) (*Model, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	z, err := zip.NewReader(fh, st.Size())
	if err != nil {
		return nil, fmt.Errorf("not a .keras archive: %w", err)
	}
	member := func(name string) *zip.File {
		for _, f := range z.File {
			if f.Name == name {
				return f
			}
		}
		return nil
	}
	cf, wf := member("config.json"), member("model.weights.h5")
	if cf == nil {
		return nil, errors.New("the archive has no config.json")
	}
	if wf == nil {
		return nil, errors.New("the archive has no model.weights.h5")
	}
	cfg, err := readMember(cf, maxKerasConfig)
	if err != nil {
		return nil, err
	}
	r, size, err := memberReaderAt(fh, wf, st.Size())
	if err != nil {
		return nil, err
	}
	h5, err := hdf5.NewFile(r, size, path+"!model.weights.h5")
	if err != nil {
		return nil, err
	}
	mc, keys, err := convertKeras3(cfg)
	if err != nil {
		return nil, fmt.Errorf("config.json: %w", err)
	}
	// The config is untrusted: build it shape-only and check the weights'
	// shapes before allocating anything it asks for.
	dry, err := modelFromConfigDepth(mc, 0, true)
	if err != nil {
		return nil, fmt.Errorf("config.json: %w", err)
	}
	if _, err := kerasVars(h5, dry, keys, false); err != nil {
		return nil, err
	}
	m, err := modelFromConfig(mc)
	if err != nil {
		return nil, fmt.Errorf("config.json: %w", err)
	}
	if err := m.ready(); err != nil {
		return nil, err
	}
	if _, err := kerasVars(h5, m, keys, true); err != nil {
		return nil, err
	}
	return m, nil
}

// readMember reads a zip member of at most limit bytes, trusting neither
// its declared size nor its compression ratio.
func readMember(f *zip.File, limit int64) ([]byte, error) {
	if f.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("%s: %d bytes is more than the %d allowed", f.Name, f.UncompressedSize64, limit)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, int64(f.UncompressedSize64)+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	if uint64(len(b)) != f.UncompressedSize64 {
		return nil, fmt.Errorf("%s: holds %d bytes, its header says %d", f.Name, len(b), f.UncompressedSize64)
	}
	return b, nil
}

// memberReaderAt gives random access to a zip member: a stored member (as
// Keras writes them) is read in place, a deflated one is inflated into
// memory within maxKerasRatio of its compressed size.
func memberReaderAt(fh *os.File, f *zip.File, archiveSize int64) (io.ReaderAt, int64, error) {
	if f.Method == zip.Store {
		off, err := f.DataOffset()
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w", f.Name, err)
		}
		if f.UncompressedSize64 != f.CompressedSize64 || off < 0 || f.CompressedSize64 > uint64(archiveSize-off) {
			return nil, 0, fmt.Errorf("%s: stored member of %d bytes at offset %d does not fit in the %d-byte archive", f.Name, f.CompressedSize64, off, archiveSize)
		}
		return io.NewSectionReader(fh, off, int64(f.UncompressedSize64)), int64(f.UncompressedSize64), nil
	}
	if f.UncompressedSize64 > maxKerasRatio*f.CompressedSize64+1<<16 {
		return nil, 0, fmt.Errorf("%s: %d bytes deflated to %d is not plausible (a zip bomb?)", f.Name, f.UncompressedSize64, f.CompressedSize64)
	}
	b, err := readMember(f, 8<<30)
	if err != nil {
		return nil, 0, err
	}
	return strings.NewReader(string(b)), int64(len(b)), nil
}

// kerasGroup is one vars group of a layer's weights and how many of the
// layer's weights, in order, it holds.
type kerasGroup struct {
	path string
	n    int
}

// kerasGroups returns where saving_lib puts a layer's weights, under
// layers/<key>: its own vars, or its sublayers' (an RNN's cell, a
// Bidirectional's forward_layer and backward_layer, a TimeDistributed's
// layer), walked as saving_lib walks the layer's attributes.
func kerasGroups(l layers.Layer, n int) []kerasGroup {
	switch v := l.(type) {
	case *layers.SimpleRNN, *layers.LSTM, *layers.GRU:
		return []kerasGroup{{"cell/vars", n}}
	case *layers.Bidirectional:
		return []kerasGroup{{"forward_layer/cell/vars", n / 2}, {"backward_layer/cell/vars", n - n/2}}
	case *layers.TimeDistributed:
		if v.Layer != nil {
			gs := kerasGroups(v.Layer, n)
			for i := range gs {
				gs[i].path = "layer/" + gs[i].path
			}
			return gs
		}
	}
	return []kerasGroup{{"vars", n}}
}

// kerasVars checks (and with set, copies) each layer's weights against
// the vars groups that keys names for it.
func kerasVars(h5 *hdf5.File, m *Model, keys map[string]string, set bool) (int, error) {
	n := 0
	for _, l := range m.ls {
		shapes := layers.WeightShapes(l)
		if len(shapes) == 0 {
			continue
		}
		key, ok := keys[l.LayerName()]
		if !ok {
			return 0, fmt.Errorf("layer %q has no entry in the weights file", l.LayerName())
		}
		// The layer's own group carries its name, also when its weights
		// are in a sublayer's.
		own := "/layers/" + key + "/vars"
		if g, err := h5.Group(own); err == nil {
			if a, err := g.Attr("name"); err == nil && len(a.Strings) == 1 && a.Strings[0] != l.LayerName() {
				return 0, fmt.Errorf("layer %q: its weights group %s is named %q", l.LayerName(), own, a.Strings[0])
			}
		}
		i := 0
		for _, kg := range kerasGroups(l, len(shapes)) {
			gp := "/layers/" + key + "/" + kg.path
			g, err := h5.Group(gp)
			if err != nil {
				return 0, fmt.Errorf("layer %q (%s): its weights: %w", l.LayerName(), l.ClassName(), err)
			}
			names, err := g.Names()
			if err != nil {
				return 0, err
			}
			if len(names) != kg.n {
				return 0, fmt.Errorf("layer %q (%s) has %d weights in %s, the file's %s has %d", l.LayerName(), l.ClassName(), kg.n, kg.path, gp, len(names))
			}
			for j := 0; j < kg.n; j, i = j+1, i+1 {
				shape := shapes[i]
				d, err := g.Dataset(strconv.Itoa(j))
				if err != nil {
					return 0, fmt.Errorf("layer %q: %w", l.LayerName(), err)
				}
				if !tensor.EqualShape(d.Shape(), shape) {
					return 0, fmt.Errorf("layer %q (%s): weight %d (%s) has shape %s in the file, the config makes it %s",
						l.LayerName(), l.ClassName(), i, d.Path(), tensor.ShapeString(d.Shape()), tensor.ShapeString(shape))
				}
				if set {
					v, err := d.Float32s()
					if err != nil {
						return 0, fmt.Errorf("layer %q: %w", l.LayerName(), err)
					}
					copy(l.Weights()[i].Var.Value.Data, v)
				}
				n++
			}
		}
	}
	return n, nil
}

// snakeCase is Keras's naming.to_snake_case, with which saving_lib names a
// layer's weights group after its class.
var (
	snakeNonWord = regexp.MustCompile(`\W+`)
	snakeWord    = regexp.MustCompile(`(.)([A-Z][a-z]+)`)
	snakeLower   = regexp.MustCompile(`([a-z])([A-Z])`)
)

func snakeCase(name string) string {
	name = snakeNonWord.ReplaceAllString(name, "")
	name = snakeWord.ReplaceAllString(name, "${1}_${2}")
	return strings.ToLower(snakeLower.ReplaceAllString(name, "${1}_${2}"))
}

// keras3Layer is one layer of a Keras 3 config.
type keras3Layer struct {
	ClassName   string          `json:"class_name"`
	Config      json.RawMessage `json:"config"`
	Name        string          `json:"name"`
	Inbound     json.RawMessage `json:"inbound_nodes"`
	BuildConfig *struct {
		InputShape []*int `json:"input_shape"`
	} `json:"build_config"`
}

type keras3Model struct {
	ClassName string `json:"class_name"`
	Config    struct {
		Name    string          `json:"name"`
		Layers  []keras3Layer   `json:"layers"`
		Inputs  json.RawMessage `json:"input_layers"`
		Outputs json.RawMessage `json:"output_layers"`
	} `json:"config"`
}

// convertKeras3 turns a Keras 3 model config into neurona's, and returns
// each layer's weights group key (saving_lib's names).
func convertKeras3(b []byte) (modelConfig, map[string]string, error) {
	var km keras3Model
	var mc modelConfig
	if err := json.Unmarshal(b, &km); err != nil {
		return mc, nil, err
	}
	switch km.ClassName {
	case "Sequential":
		mc.ClassName = "Sequential"
	case "Functional", "Model":
		mc.ClassName = "Model"
	default:
		return mc, nil, fmt.Errorf("model class %q is not supported (valid: Sequential, Functional)", km.ClassName)
	}
	mc.Config.Name = km.Config.Name
	keys := map[string]string{}
	used := map[string]int{}
	for i, kl := range km.Config.Layers {
		e, name, err := convertKeras3Layer(kl, i == 0 && mc.ClassName == "Sequential")
		if err != nil {
			return mc, nil, err
		}
		// Sequential.layers, which saving_lib walks, leaves out the input.
		if !(mc.ClassName == "Sequential" && kl.ClassName == "InputLayer") {
			base := snakeCase(kl.ClassName)
			key := base
			if k, ok := used[base]; ok {
				used[base] = k + 1
				key = fmt.Sprintf("%s_%d", base, k+1)
			} else {
				used[base] = 0
			}
			keys[name] = key
		}
		if mc.ClassName == "Model" {
			e.Name = name
			if e.Inbound, err = keras3Inbound(kl.Inbound); err != nil {
				return mc, nil, fmt.Errorf("layer %q: inbound nodes: %w", name, err)
			}
		}
		mc.Config.Layers = append(mc.Config.Layers, e)
	}
	if mc.ClassName == "Model" {
		var err error
		if mc.Config.Inputs, err = keras3Refs(km.Config.Inputs); err != nil {
			return mc, nil, fmt.Errorf("input_layers: %w", err)
		}
		if mc.Config.Output, err = keras3Refs(km.Config.Outputs); err != nil {
			return mc, nil, fmt.Errorf("output_layers: %w", err)
		}
	}
	return mc, keys, nil
}

// keras3Refs reads input_layers or output_layers: one [name, node,
// tensor] or a list of them.
func keras3Refs(b json.RawMessage) ([]tensorRef, error) {
	var one tensorRef
	if err := json.Unmarshal(b, &one); err == nil {
		if _, ok := one[0].(string); ok {
			return []tensorRef{one}, nil
		}
	}
	var many []tensorRef
	if err := json.Unmarshal(b, &many); err != nil || len(many) == 0 {
		return nil, errors.New("want [layer name, node index, tensor index] or a list of them")
	}
	return many, nil
}

// keras3Inbound reads a layer's inbound nodes: Keras 3's {"args": [tensor
// or list of tensors], "kwargs": {}} or Keras 2's [[name, node, tensor,
// kwargs], …].
func keras3Inbound(b json.RawMessage) ([][]tensorRef, error) {
	if len(b) == 0 || string(b) == "null" {
		return nil, nil
	}
	var nodes []json.RawMessage
	if err := json.Unmarshal(b, &nodes); err != nil {
		return nil, err
	}
	var out [][]tensorRef
	for _, raw := range nodes {
		var n3 struct {
			Args   []json.RawMessage `json:"args"`
			Kwargs map[string]any    `json:"kwargs"`
		}
		if json.Unmarshal(raw, &n3) == nil && n3.Args != nil {
			if len(n3.Args) != 1 {
				return nil, fmt.Errorf("a call with %d positional arguments is not supported", len(n3.Args))
			}
			refs, err := keras3Tensors(n3.Args[0])
			if err != nil {
				return nil, err
			}
			out = append(out, refs)
			continue
		}
		var n2 [][]any
		if err := json.Unmarshal(raw, &n2); err != nil {
			return nil, fmt.Errorf("unrecognized node %s", truncate(raw))
		}
		var refs []tensorRef
		for _, r := range n2 {
			if len(r) < 3 {
				return nil, fmt.Errorf("bad tensor reference %v", r)
			}
			refs = append(refs, tensorRef{r[0], r[1], r[2]})
		}
		out = append(out, refs)
	}
	return out, nil
}

// keras3Tensors reads one __keras_tensor__ or a list of them.
func keras3Tensors(b json.RawMessage) ([]tensorRef, error) {
	type kt struct {
		ClassName string `json:"class_name"`
		Config    struct {
			History tensorRef `json:"keras_history"`
		} `json:"config"`
	}
	var one kt
	if err := json.Unmarshal(b, &one); err == nil && one.ClassName == "__keras_tensor__" {
		return []tensorRef{one.Config.History}, nil
	}
	var many []kt
	if err := json.Unmarshal(b, &many); err != nil || len(many) == 0 {
		return nil, fmt.Errorf("unrecognized argument %s", truncate(b))
	}
	var out []tensorRef
	for _, t := range many {
		if t.ClassName != "__keras_tensor__" {
			return nil, fmt.Errorf("argument of class %q is not a tensor", t.ClassName)
		}
		out = append(out, t.Config.History)
	}
	return out, nil
}

func truncate(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "…"
	}
	return string(b)
}

// kerasArgs is a Keras 3 layer config, read field by field.
type kerasArgs struct {
	class, name string
	m           map[string]json.RawMessage
	used        map[string]bool
}

func (a *kerasArgs) errorf(format string, args ...any) error {
	return fmt.Errorf("layer %q (%s): %s", a.name, a.class, fmt.Sprintf(format, args...))
}

// get decodes key into v when present and not null; it reports presence.
func (a *kerasArgs) get(key string, v any) (bool, error) {
	raw, ok := a.m[key]
	if !ok || string(raw) == "null" {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, a.errorf("%s: %v", key, err)
	}
	return true, nil
}

// pair reads an integer or a list of two integers.
func (a *kerasArgs) pair(key string) ([2]int, error) {
	raw, ok := a.m[key]
	if !ok || string(raw) == "null" {
		return [2]int{}, nil
	}
	var n int
	if json.Unmarshal(raw, &n) == nil {
		return [2]int{n, n}, nil
	}
	var p []int
	if err := json.Unmarshal(raw, &p); err != nil || len(p) != 2 {
		return [2]int{}, a.errorf("%s must be an integer or a pair, got %s", key, truncate(raw))
	}
	return [2]int{p[0], p[1]}, nil
}

// single reads an integer or a list of one integer (Keras 3 writes the
// 1-D layers' sizes as lists); absent or null is 0.
func (a *kerasArgs) single(key string) (int, error) {
	raw, ok := a.m[key]
	if !ok || string(raw) == "null" {
		return 0, nil
	}
	var n int
	if json.Unmarshal(raw, &n) == nil {
		return n, nil
	}
	var p []int
	if err := json.Unmarshal(raw, &p); err != nil || len(p) != 1 {
		return 0, a.errorf("%s must be an integer or a list of one, got %s", key, truncate(raw))
	}
	return p[0], nil
}

// bidirectionalInner converts Bidirectional's layer (Keras 3 writes the
// forward layer, named forward_<name>) and checks that its backward_layer
// is the same layer going the other way, which is the only one neurona
// builds.
func bidirectionalInner(a *kerasArgs) (layerEntry, error) {
	fl, err := kerasNested(a, "layer")
	if err != nil {
		return layerEntry{}, err
	}
	switch fl.ClassName {
	case "SimpleRNN", "LSTM", "GRU":
	default:
		return layerEntry{}, a.errorf("cannot wrap %s (neurona's Bidirectional takes SimpleRNN, LSTM and GRU)", fl.ClassName)
	}
	fwd, fname, err := convertKeras3Fields(fl, false)
	if err != nil {
		return layerEntry{}, a.errorf("%v", err)
	}
	if _, ok := a.m["backward_layer"]; ok {
		bl, err := kerasNested(a, "backward_layer")
		if err != nil {
			return layerEntry{}, err
		}
		bwd, _, err := convertKeras3Fields(bl, false)
		if err != nil {
			return layerEntry{}, a.errorf("backward_layer: %v", err)
		}
		same := func(m map[string]any, flip bool) string {
			c := map[string]any{}
			for k, v := range m {
				c[k] = v
			}
			delete(c, "name")
			back := c["go_backwards"] == true
			delete(c, "go_backwards")
			c["go_backwards"] = back != flip
			b, _ := json.Marshal(c)
			return bl.ClassName + string(b)
		}
		if bl.ClassName != fl.ClassName || same(fwd, true) != same(bwd, false) {
			return layerEntry{}, a.errorf("a backward_layer other than the forward layer going backwards is not supported")
		}
	}
	// neurona names the copies forward_<name> and backward_<name>.
	fwd["name"] = strings.TrimPrefix(fname, "forward_")
	b, err := json.Marshal(fwd)
	if err != nil {
		return layerEntry{}, err
	}
	return layerEntry{ClassName: fl.ClassName, Config: b}, nil
}

// want checks that key is absent, null or one of the values given (as
// JSON), for settings neurona does not have.
func (a *kerasArgs) want(key string, valid ...string) error {
	raw, ok := a.m[key]
	if !ok || string(raw) == "null" {
		return nil
	}
	s := strings.Join(strings.Fields(string(raw)), "")
	for _, v := range valid {
		if s == v {
			return nil
		}
	}
	return a.errorf("%s=%s is not supported (neurona has %s)", key, truncate(raw), strings.Join(valid, " or "))
}

// convertKeras3Layer converts one layer; first is the first layer of a
// Sequential, whose build_config gives the input shape when there is no
// InputLayer.
func convertKeras3Layer(kl keras3Layer, first bool) (layerEntry, string, error) {
	out, name, err := convertKeras3Fields(kl, first)
	if err != nil {
		return layerEntry{}, "", err
	}
	b, err := json.Marshal(out)
	if err != nil {
		return layerEntry{}, "", err
	}
	return layerEntry{ClassName: kl.ClassName, Config: b}, name, nil
}

// kerasNested reads a wrapper's inner layer (Bidirectional's layer and
// backward_layer, TimeDistributed's layer): a serialized Keras object.
func kerasNested(a *kerasArgs, key string) (keras3Layer, error) {
	var kl keras3Layer
	have, err := a.get(key, &kl)
	if err != nil {
		return kl, err
	}
	if !have || kl.ClassName == "" {
		return kl, a.errorf("no %s to wrap", key)
	}
	return kl, nil
}

// recurrentFields converts the settings Keras 3's SimpleRNN, LSTM and
// GRU share (rnn.py's RNN and the cells' get_config).
func recurrentFields(a *kerasArgs, out map[string]any) error {
	var units int
	if _, err := a.get("units", &units); err != nil {
		return err
	}
	out["units"] = units
	act := "tanh"
	if _, err := a.get("activation", &act); err != nil {
		return err
	}
	out["activation"] = act
	if a.class != "SimpleRNN" {
		// Keras 3's default; neurona's is Keras 2.2's hard_sigmoid.
		ract := "sigmoid"
		if _, err := a.get("recurrent_activation", &ract); err != nil {
			return err
		}
		if ract == "hard_sigmoid" {
			// Keras 3's hard_sigmoid is clip(x/6 + 1/2, 0, 1), not
			// Keras 2.2's clip(0.2x + 0.5, 0, 1), which is neurona's.
			return a.errorf("recurrent_activation=\"hard_sigmoid\" is not supported (Keras 3's is x/6+1/2, neurona's is Keras 2.2's 0.2x+0.5)")
		}
		out["recurrent_activation"] = ract
	}
	use := true
	var drop, rdrop float32
	var seq, back, state bool
	_, e6 := a.get("return_state", &state)
	_, e1 := a.get("use_bias", &use)
	_, e2 := a.get("dropout", &drop)
	_, e3 := a.get("recurrent_dropout", &rdrop)
	_, e4 := a.get("return_sequences", &seq)
	_, e5 := a.get("go_backwards", &back)
	if err := errors.Join(e1, e2, e3, e4, e5, e6); err != nil {
		return err
	}
	if state {
		out["return_state"] = true
	}
	if !use {
		out["no_bias"] = true
	}
	if drop != 0 {
		out["dropout"] = drop
	}
	if rdrop != 0 {
		out["recurrent_dropout"] = rdrop
	}
	if seq {
		out["return_sequences"] = true
	}
	if back {
		out["go_backwards"] = true
	}
	switch a.class {
	case "LSTM":
		ufb := true
		if _, err := a.get("unit_forget_bias", &ufb); err != nil {
			return err
		}
		if !ufb {
			out["no_unit_forget_bias"] = true
		}
	case "GRU":
		ra := true // Keras 3's default
		if _, err := a.get("reset_after", &ra); err != nil {
			return err
		}
		if ra {
			out["reset_after"] = true
		}
	}
	return errors.Join(a.want("stateful", "false"), a.want("unroll", "false"))
}

// convertKeras3Fields converts one layer's config to neurona's fields.
func convertKeras3Fields(kl keras3Layer, first bool) (map[string]any, string, error) {
	a := &kerasArgs{class: kl.ClassName}
	if err := json.Unmarshal(kl.Config, &a.m); err != nil {
		return nil, "", fmt.Errorf("layer %s: config: %w", kl.ClassName, err)
	}
	if _, err := a.get("name", &a.name); err != nil {
		return nil, "", err
	}
	if a.name == "" {
		a.name = kl.Name
	}
	if a.name == "" {
		return nil, "", fmt.Errorf("a layer of class %s has no name", kl.ClassName)
	}
	out := map[string]any{"name": a.name}
	var trainable = true
	if _, err := a.get("trainable", &trainable); err != nil {
		return nil, "", err
	}
	if !trainable {
		out["frozen"] = true
	}
	// The batch input shape of a Keras 2 first layer or the build config
	// of a Keras 3 one, without the batch dimension.
	sampleShape := func(batch []*int) ([]int, error) {
		if len(batch) < 2 {
			return nil, a.errorf("input shape %v has no sample dimensions", batch)
		}
		var s []int
		for _, d := range batch[1:] {
			if d == nil {
				return nil, a.errorf("input shape with an unknown (None) sample dimension is not supported")
			}
			s = append(s, *d)
		}
		return s, nil
	}
	if first && kl.ClassName != "InputLayer" {
		var batch []*int
		have, err := a.get("batch_input_shape", &batch)
		if err != nil {
			return nil, "", err
		}
		if !have && kl.BuildConfig != nil {
			batch, have = kl.BuildConfig.InputShape, kl.BuildConfig.InputShape != nil
		}
		if have {
			s, err := sampleShape(batch)
			if err != nil {
				return nil, "", err
			}
			out["input_shape"] = s
		}
	}
	channelsLast := func() error { return a.want("data_format", `"channels_last"`) }
	activation := func() error {
		var act string
		if _, err := a.get("activation", &act); err != nil {
			return err
		}
		if act != "" {
			out["activation"] = act
		}
		return nil
	}
	bias := func() error {
		use := true
		if _, err := a.get("use_bias", &use); err != nil {
			return err
		}
		if !use {
			out["no_bias"] = true
		}
		return nil
	}
	var err error
	class := kl.ClassName
	switch class {
	case "InputLayer":
		var batch []*int
		have, e := a.get("batch_shape", &batch)
		if e == nil && !have {
			have, e = a.get("batch_input_shape", &batch)
		}
		if e != nil {
			return nil, "", e
		}
		if !have {
			return nil, "", a.errorf("no batch_shape")
		}
		s, e := sampleShape(batch)
		if e != nil {
			return nil, "", e
		}
		out["shape"] = s
		err = a.want("sparse", "false")
	case "Dense":
		var units int
		if _, err = a.get("units", &units); err == nil {
			out["units"] = units
			err = errors.Join(activation(), bias())
		}
	case "Activation":
		err = activation()
	case "Dropout":
		var rate float32
		if _, err = a.get("rate", &rate); err == nil {
			out["rate"] = rate
			err = a.want("noise_shape")
		}
	case "BatchNormalization":
		var mom, eps float32
		var synced bool
		_, e1 := a.get("momentum", &mom)
		_, e2 := a.get("epsilon", &eps)
		_, e3 := a.get("synchronized", &synced)
		out["momentum"], out["epsilon"] = mom, eps
		if synced {
			out["synchronized"] = true
		}
		err = errors.Join(e1, e2, e3, a.want("axis", "-1", "[-1]"), a.want("center", "true"), a.want("scale", "true"),
			a.want("renorm", "false"))
	case "Flatten", "GlobalAveragePooling2D", "GlobalMaxPooling2D":
		err = errors.Join(channelsLast(), a.want("keepdims", "false"))
	case "Reshape":
		var target []int
		if _, err = a.get("target_shape", &target); err == nil {
			out["target_shape"] = target
		}
	case "Conv2D", "Conv2DTranspose":
		var filters int
		_, e1 := a.get("filters", &filters)
		k, e2 := a.pair("kernel_size")
		s, e3 := a.pair("strides")
		var pad string
		_, e4 := a.get("padding", &pad)
		out["filters"], out["kernel_size"], out["strides"], out["padding"] = filters, k, s, pad
		err = errors.Join(e1, e2, e3, e4, activation(), bias(), channelsLast(),
			a.want("dilation_rate", "1", "[1,1]"), a.want("groups", "1"), a.want("output_padding"))
	case "MaxPooling2D", "AveragePooling2D":
		p, e1 := a.pair("pool_size")
		s, e2 := a.pair("strides")
		var pad string
		_, e3 := a.get("padding", &pad)
		out["pool_size"], out["strides"], out["padding"] = p, s, pad
		err = errors.Join(e1, e2, e3, channelsLast())
	case "UpSampling2D":
		s, e1 := a.pair("size")
		var ip string
		_, e2 := a.get("interpolation", &ip)
		out["size"], out["interpolation"] = s, ip
		err = errors.Join(e1, e2, channelsLast())
	case "Concatenate":
		axis := -1
		if _, err = a.get("axis", &axis); err == nil {
			out["axis"] = axis
		}
	case "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum":
	case "Dot":
		var axes json.RawMessage
		var norm bool
		_, e1 := a.get("axes", &axes)
		_, e2 := a.get("normalize", &norm)
		out["axes"], out["normalize"] = axes, norm
		err = errors.Join(e1, e2)
	case "Embedding":
		var in, outDim int
		_, e1 := a.get("input_dim", &in)
		_, e2 := a.get("output_dim", &outDim)
		out["input_dim"], out["output_dim"] = in, outDim
		var il int
		_, e3 := a.get("input_length", &il) // Keras 2's; Keras 3 has none
		if il > 0 {
			out["input_length"] = il
		}
		err = errors.Join(e1, e2, e3, a.want("mask_zero", "false"), a.want("sparse", "false"),
			a.want("quantization_config"))
	case "SpatialDropout1D":
		var rate float32
		if _, err = a.get("rate", &rate); err == nil {
			out["rate"] = rate
		}
	case "Conv1D":
		var filters int
		_, e1 := a.get("filters", &filters)
		k, e2 := a.single("kernel_size")
		s, e3 := a.single("strides")
		d, e4 := a.single("dilation_rate")
		var pad string
		_, e5 := a.get("padding", &pad)
		out["filters"], out["kernel_size"], out["padding"] = filters, k, pad
		if s > 1 {
			out["strides"] = s
		}
		if d > 1 {
			out["dilation_rate"] = d
		}
		err = errors.Join(e1, e2, e3, e4, e5, activation(), bias(), channelsLast(), a.want("groups", "1"))
	case "MaxPooling1D", "AveragePooling1D":
		p, e1 := a.single("pool_size")
		s, e2 := a.single("strides")
		var pad string
		_, e3 := a.get("padding", &pad)
		out["pool_size"], out["padding"] = p, pad
		if s > 0 {
			out["strides"] = s
		}
		err = errors.Join(e1, e2, e3, channelsLast())
	case "GlobalMaxPooling1D", "GlobalAveragePooling1D":
		err = errors.Join(channelsLast(), a.want("keepdims", "false"))
	case "SimpleRNN", "LSTM", "GRU":
		err = recurrentFields(a, out)
	case "Bidirectional":
		mode := "concat" // Keras's default, when the key is absent
		if raw, ok := a.m["merge_mode"]; ok && string(raw) == "null" {
			mode = ""
		} else if _, err = a.get("merge_mode", &mode); err != nil {
			return nil, "", err
		}
		switch mode {
		case "concat", "sum", "mul", "ave":
			out["merge_mode"] = mode
		case "":
			// merge_mode=None: null in the JSON, the two outputs apart.
			out["merge_mode"] = string(layers.MergeNone)
		default:
			return nil, "", a.errorf("merge_mode=%q is not supported (neurona has concat, sum, mul, ave, and None)", mode)
		}
		out["layer"], err = bidirectionalInner(a)
	case "TimeDistributed":
		var inner keras3Layer
		if inner, err = kerasNested(a, "layer"); err != nil {
			return nil, "", err
		}
		e, _, err := convertKeras3Layer(inner, false)
		if err != nil {
			return nil, "", a.errorf("%v", err)
		}
		out["layer"] = e
	case "Sequential", "Functional", "Model":
		return nil, "", a.errorf("nested models in a .keras file are not supported yet")
	default:
		return nil, "", a.errorf("layer class %q is not supported (valid: %s)", class, strings.Join(keras3Classes, ", "))
	}
	if err != nil {
		return nil, "", err
	}
	return out, a.name, nil
}

// keras3Classes are the Keras layer classes LoadKeras reads.
var keras3Classes = []string{"Activation", "Add", "Average", "AveragePooling1D", "AveragePooling2D",
	"BatchNormalization", "Bidirectional", "Concatenate", "Conv1D", "Conv2D", "Conv2DTranspose", "Dense",
	"Dot", "Dropout", "Embedding", "Flatten", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
	"GlobalMaxPooling1D", "GlobalMaxPooling2D", "GRU", "InputLayer", "LSTM", "Maximum", "MaxPooling1D",
	"MaxPooling2D", "Minimum", "Multiply", "Reshape", "SimpleRNN", "SpatialDropout1D", "Subtract",
	"TimeDistributed", "UpSampling2D"}
