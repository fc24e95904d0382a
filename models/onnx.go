package models

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/internal/onnx"
	"github.com/neurona/neurona/layers"
)

// ONNX opsets ExportONNX writes: DefaultONNXOpset when ONNXOptions.Opset
// is 0, and any from MinONNXOpset to MaxONNXOpset.
const (
	DefaultONNXOpset = 17
	MinONNXOpset     = 17
	MaxONNXOpset     = 21
)

// ONNXOptions are ExportONNX's settings.
type ONNXOptions struct {
	// Opset is the version of ONNX's default operator set to write; 0
	// means DefaultONNXOpset (17). It must be in MinONNXOpset to
	// MaxONNXOpset.
	Opset int
	// ProducerName and ProducerVersion are written in the model; empty
	// ProducerName means "neurona".
	ProducerName, ProducerVersion string
}

// onnxClasses are the layer classes ExportONNX converts, for its errors.
var onnxClasses = []string{"InputLayer", "Dense", "Activation", "Dropout", "BatchNormalization", "Flatten", "Reshape",
	"Conv2D", "Conv2DTranspose", "UpSampling2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D",
	"GlobalMaxPooling2D", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
	"Model", "Sequential"}

// ExportONNX writes the model as an ONNX model (a ModelProto) to w, for
// inference in ONNX Runtime and other ONNX tools. Its weights are the
// model's now; layers behave as in Predict (Dropout is the identity,
// BatchNormalization uses its moving statistics).
//
// The graph's inputs are named after the model's Input layers and its
// outputs after the layers that compute them, "NAME:i" for the i-th
// tensor of a layer that returns several (return_state: lstm_1, lstm_1:1,
// lstm_1:2); a second output of the same name gets a suffix, _1, _2, …. Every input and output is float32
// with a dynamic batch dimension, dim_param "batch", followed by Keras's
// channels-last sample shape: images are (batch, height, width,
// channels), as Predict takes them.
//
// Layout: ONNX's Conv, ConvTranspose, MaxPool, AveragePool, Resize and
// BatchNormalization work on channels-first (NCHW) images, Keras on
// channels-last (NHWC). The exporter tracks the layout of each image
// tensor and transposes only where it changes: NHWC→NCHW before the first
// channels-first op of a run, and NCHW→NHWC where a layer needs Keras's
// order (Flatten, Reshape, Dense, Dot, the graph's outputs), so a chain of
// convolutions and poolings stays NCHW inside and Flatten flattens in
// Keras's NHWC order. Layers that do not care (activations, merges,
// Dropout, the global poolings, Concatenate with its axis mapped) take
// images in whichever layout they come.
//
// Per layer: Dense is Gemm on (batch, features) and MatMul then Add on
// higher ranks, then its activation as an op of its own (Relu, Sigmoid,
// Tanh, Softmax over the last axis); Conv2D is Conv and Conv2DTranspose
// ConvTranspose, with their kernels transposed to ONNX's (out, in, kh,
// kw) and (in, out, kh, kw) layouts and same padding as explicit pads
// (TensorFlow's: the odd one at the bottom and right); MaxPooling2D and
// AveragePooling2D are MaxPool and AveragePool (count_include_pad 0: same
// padding averages the cells inside the image); the global poolings are
// ReduceMean and ReduceMax; UpSampling2D is Resize (nearest, asymmetric,
// floor: each row and column repeated); BatchNormalization is ONNX's
// inference BatchNormalization with the moving mean and variance (the
// feature axis moved to axis 1 around it where it is not there); Flatten
// and Reshape are Flatten and Reshape; Add, Subtract, Multiply, Maximum
// and Minimum are Add (Sum for more than two), Sub, Mul, Max and Min;
// Average is their Sum times 1/n; Concatenate is Concat; Dot is Mul then
// ReduceSum for vectors and MatMul (with Transposes) for matrices, and
// with Normalize each input is first divided by
// sqrt(max(ReduceSumSquare, 1e-12)), neurona's and Keras's l2_normalize.
// Dropout and linear activations write nothing. A nested model is
// inlined, its nodes named under the model's name; a layer applied twice
// (or a model nested twice) uses the same initializers each time.
//
// A layer of any other class (a custom layer) is refused with an error
// that names it. The model is built and its weights drawn first, as for
// Predict.
func (m *Model) ExportONNX(w io.Writer, opts ONNXOptions) error {
	opset := opts.Opset
	if opset == 0 {
		opset = DefaultONNXOpset
	}
	if opset < MinONNXOpset || opset > MaxONNXOpset {
		return fmt.Errorf("export onnx: opset %d is not supported (valid: %d to %d; 0 means %d)", opts.Opset, MinONNXOpset, MaxONNXOpset, DefaultONNXOpset)
	}
	if err := m.ready(); err != nil {
		return fmt.Errorf("export onnx: %w", err)
	}
	if err := m.begin("export onnx", false); err != nil {
		return err
	}
	defer m.end(false)
	e := &onnxExport{opset: opset, names: map[string]bool{}, nodeNames: map[string]bool{}, weights: map[weightKey]string{},
		consts: map[string]string{}, toNHWC: map[string]string{}, toNCHW: map[string]string{}}
	model, err := e.model(m)
	if err != nil {
		return fmt.Errorf("export onnx: model %q: %w", m.Name, err)
	}
	model.ProducerName, model.ProducerVersion = opts.ProducerName, opts.ProducerVersion
	if model.ProducerName == "" {
		model.ProducerName = "neurona"
	}
	if _, err := w.Write(model.Marshal()); err != nil {
		return fmt.Errorf("export onnx: %w", err)
	}
	return nil
}

// onnxIRVersion returns the IR version of the ONNX release that
// introduced opset: the lowest a consumer of that opset reads.
func onnxIRVersion(opset int) int64 {
	switch {
	case opset <= 18:
		return 8
	case opset <= 20:
		return 9
	}
	return 10
}

// onnxValue is a tensor of the ONNX graph: its name, the Keras shape it
// holds (a sample's, channels-last), and whether it is an image stored
// channels-first (NCHW) rather than in Keras's order.
type onnxValue struct {
	name  string
	shape []int
	nchw  bool
}

// rank returns the ONNX rank, with the batch.
func (v onnxValue) rank() int { return len(v.shape) + 1 }

// image reports whether v is a batch of images (batch, h, w, c).
func (v onnxValue) image() bool { return len(v.shape) == 3 }

type weightKey struct {
	v    *autograd.Var
	form string // "" as stored, else the transform's name
}

type onnxExport struct {
	opset     int
	g         onnx.Graph
	names     map[string]bool // every value and initializer name taken
	nodeNames map[string]bool
	weights   map[weightKey]string
	consts    map[string]string // constant initializers by content
	// The transposed copies of values, so that a value used twice in the
	// other layout is transposed once.
	toNHWC, toNCHW map[string]string
	inputs         map[string]bool // the graph's input names
}

// unique returns hint, or hint_1, hint_2, … if taken in names, and takes
// it.
func unique(names map[string]bool, hint string) string {
	name := hint
	for i := 1; names[name]; i++ {
		name = hint + "_" + strconv.Itoa(i)
	}
	names[name] = true
	return name
}

// unique returns a new value or initializer name.
func (e *onnxExport) unique(hint string) string { return unique(e.names, hint) }

// node appends a node named after hint with one output named after hint
// (node and value names are separate namespaces in ONNX), and returns the
// output's name.
func (e *onnxExport) node(hint, op string, inputs []string, attrs ...onnx.Attr) string {
	out := e.unique(hint)
	e.g.Nodes = append(e.g.Nodes, onnx.Node{Name: unique(e.nodeNames, hint), Op: op, Inputs: inputs, Outputs: []string{out}, Attrs: attrs})
	return out
}

// weight returns the initializer of a layer's weight, transposed by perm
// (nil: as stored), adding it the first time.
func (e *onnxExport) weight(w *layers.Weight, form string, perm []int) string {
	k := weightKey{w.Var, form}
	if name, ok := e.weights[k]; ok {
		return name
	}
	t := w.Var.Value
	shape, data := t.Shape, t.Data
	if perm != nil {
		shape, data = permute(t.Shape, t.Data, perm)
	}
	hint := w.Name
	if form != "" {
		hint += "_" + form
	}
	name := e.unique(hint)
	e.g.Initializers = append(e.g.Initializers, onnx.FloatTensor(name, dims64(shape), append([]float32(nil), data...)))
	e.weights[k] = name
	return name
}

// int64s returns a constant int64 vector initializer.
func (e *onnxExport) int64s(hint string, v ...int64) string {
	key := "i64:" + fmt.Sprint(v)
	if name, ok := e.consts[key]; ok {
		return name
	}
	name := e.unique(hint)
	e.g.Initializers = append(e.g.Initializers, onnx.Int64Tensor(name, []int64{int64(len(v))}, v))
	e.consts[key] = name
	return name
}

// floats returns a constant float32 initializer: a vector, or a scalar
// when scalar is set (len(v) == 1).
func (e *onnxExport) floats(hint string, scalar bool, v ...float32) string {
	key := fmt.Sprintf("f32:%v:%v", scalar, v)
	if name, ok := e.consts[key]; ok {
		return name
	}
	dims := []int64{int64(len(v))}
	if scalar {
		dims = nil
	}
	name := e.unique(hint)
	e.g.Initializers = append(e.g.Initializers, onnx.FloatTensor(name, dims, v))
	e.consts[key] = name
	return name
}

// nhwc returns v in Keras's layout.
func (e *onnxExport) nhwc(v onnxValue) onnxValue {
	if !v.nchw {
		return v
	}
	t, ok := e.toNHWC[v.name]
	if !ok {
		t = e.node(v.name+"/to_nhwc", "Transpose", []string{v.name}, onnx.Ints("perm", 0, 2, 3, 1))
		e.toNHWC[v.name], e.toNCHW[t] = t, v.name
	}
	return onnxValue{name: t, shape: v.shape}
}

// nchw returns the images v channels-first.
func (e *onnxExport) nchw(v onnxValue) onnxValue {
	if v.nchw {
		return v
	}
	t, ok := e.toNCHW[v.name]
	if !ok {
		t = e.node(v.name+"/to_nchw", "Transpose", []string{v.name}, onnx.Ints("perm", 0, 3, 1, 2))
		e.toNCHW[v.name], e.toNHWC[t] = t, v.name
	}
	return onnxValue{name: t, shape: v.shape, nchw: true}
}

// axis returns the ONNX axis of Keras axis ax (counting the batch, 1 …
// rank−1) of v.
func (v onnxValue) axis(ax int) int {
	if !v.nchw {
		return ax
	}
	return [4]int{0, 2, 3, 1}[ax]
}

// reduce appends a Reduce op over axes; opset 18 moved their axes from
// an attribute to an input (ReduceSum's since 13).
func (e *onnxExport) reduce(hint, op string, x string, keepdims bool, axes ...int64) string {
	keep := onnx.Int("keepdims", 0)
	if keepdims {
		keep = onnx.Int("keepdims", 1)
	}
	if op == "ReduceSum" || e.opset >= 18 {
		return e.node(hint, op, []string{x, e.int64s("axes", axes...)}, keep)
	}
	return e.node(hint, op, []string{x}, onnx.Ints("axes", axes...), keep)
}

// model converts the top-level model.
func (e *onnxExport) model(m *Model) (*onnx.Model, error) {
	e.inputs = map[string]bool{}
	// The interface's names first, so that no inner value takes them.
	var ins []onnxValue
	for _, t := range m.inputs {
		n, _ := t.Node()
		name := n.Layer.LayerName()
		e.names[name] = true
		e.inputs[name] = true
		ins = append(ins, onnxValue{name: name, shape: t.Shape()})
		e.g.Inputs = append(e.g.Inputs, valueInfo(name, t.Shape()))
	}
	outNames := make([]string, len(m.outputs))
	for i, t := range m.outputs {
		outNames[i] = e.unique(onnxOutputName(t))
	}
	outs, err := e.graph(m, "", ins)
	if err != nil {
		return nil, err
	}
	// Each output's value takes the output's name: renamed where a node
	// computes it, through an Identity where it is an input or another
	// output.
	for i := range outs {
		outs[i] = e.nhwc(outs[i])
	}
	renamed := map[string]bool{}
	for i, v := range outs {
		if !e.inputs[v.name] && !renamed[v.name] {
			e.rename(v.name, outNames[i])
			renamed[outNames[i]] = true
			for j := range outs[i+1:] {
				if outs[i+1+j].name == v.name {
					outs[i+1+j].name = outNames[i]
				}
			}
		} else {
			e.g.Nodes = append(e.g.Nodes, onnx.Node{Name: unique(e.nodeNames, outNames[i]+"/Identity"), Op: "Identity",
				Inputs: []string{v.name}, Outputs: []string{outNames[i]}})
		}
		e.g.Outputs = append(e.g.Outputs, valueInfo(outNames[i], m.outputs[i].Shape()))
	}
	e.g.Name = m.Name
	e.g.DocString = fmt.Sprintf("neurona %s %q, exported for inference (channels-last inputs and outputs)", m.class, m.Name)
	out := &onnx.Model{IRVersion: onnxIRVersion(e.opset), Opset: int64(e.opset), Graph: e.g}
	if len(m.Metadata) > 0 {
		out.Metadata = map[string]string{}
		for k, v := range m.Metadata {
			out.Metadata[k] = v
		}
	}
	return out, nil
}

// onnxOutputName is a model output's name in the ONNX graph: its layer's
// name, with ":i" for the i-th tensor (from 0) of a layer that returns
// several (an LSTM with return_state: lstm_1, lstm_1:1, lstm_1:2), as
// TensorFlow names tensors.
func onnxOutputName(t *layers.KerasTensor) string {
	n, i := t.Node()
	if i > 0 {
		return fmt.Sprintf("%s:%d", n.Layer.LayerName(), i)
	}
	return n.Layer.LayerName()
}

// rename renames value from to to wherever it appears.
func (e *onnxExport) rename(from, to string) {
	for i := range e.g.Nodes {
		n := &e.g.Nodes[i]
		for j, s := range n.Inputs {
			if s == from {
				n.Inputs[j] = to
			}
		}
		for j, s := range n.Outputs {
			if s == from {
				n.Outputs[j] = to
			}
		}
	}
}

func valueInfo(name string, shape []int) onnx.ValueInfo {
	dims := []onnx.Dim{{Param: "batch"}}
	for _, d := range shape {
		dims = append(dims, onnx.Dim{Value: int64(d)})
	}
	return onnx.ValueInfo{Name: name, ElemType: onnx.Float, Shape: dims}
}

// graph converts m's nodes, with its inputs bound to ins, and returns its
// outputs. scope prefixes the names of a nested model's nodes.
func (e *onnxExport) graph(m *Model, scope string, ins []onnxValue) ([]onnxValue, error) {
	if len(ins) != len(m.inputs) {
		return nil, fmt.Errorf("model %q takes %d inputs, got %d", m.Name, len(m.inputs), len(ins))
	}
	vals := map[*layers.KerasTensor]onnxValue{}
	for i, t := range m.inputs {
		vals[t] = ins[i]
	}
	for _, n := range m.nodes {
		if _, ok := n.Layer.(*layers.Input); ok {
			continue
		}
		args := make([]onnxValue, len(n.Inputs))
		for i, t := range n.Inputs {
			v, ok := vals[t]
			if !ok {
				return nil, fmt.Errorf("layer %q: an input is not computed before it", n.Layer.LayerName())
			}
			args[i] = v
		}
		if outs := nodeOutputs(n); len(outs) > 1 {
			// return_state or merge_mode none: the recurrent op's outputs.
			lname := n.Layer.LayerName()
			var shapes [][]int
			for _, t := range outs {
				shapes = append(shapes, t.Shape())
			}
			vs, err := e.recurrentOutputs(n.Layer, scope+lname, args[0], shapes, func(format string, a ...any) ([]onnxValue, error) {
				return nil, fmt.Errorf("layer %q (%s): %w: %s", lname, n.Layer.ClassName(), errNotExportable, fmt.Sprintf(format, a...))
			})
			if err != nil {
				return nil, err
			}
			for k, t := range outs {
				vals[t] = vs[k]
			}
			continue
		}
		var out onnxValue
		var err error
		if g := graphOf(n.Layer); g != nil {
			var outs []onnxValue
			outs, err = e.graph(g, scope+g.Name+"/", args)
			if err == nil {
				out = outs[0]
			}
			if err != nil {
				err = fmt.Errorf("nested %s %q: %w", g.class, g.Name, err)
			}
		} else {
			out, err = e.layer(n.Layer, scope+n.Layer.LayerName(), args, n.Output.Shape())
		}
		if err != nil {
			return nil, err
		}
		out.shape = n.Output.Shape()
		vals[n.Output] = out
	}
	outs := make([]onnxValue, len(m.outputs))
	for i, t := range m.outputs {
		outs[i] = vals[t]
	}
	return outs, nil
}

// errNotExportable is wrapped by the error of a layer without conversion.
var errNotExportable = errors.New("cannot be exported to ONNX")

// layer converts one application of a layer to args; name is its scoped
// name, out its output's Keras shape.
func (e *onnxExport) layer(l layers.Layer, name string, args []onnxValue, out []int) (onnxValue, error) {
	fail := func(format string, a ...any) (onnxValue, error) {
		return onnxValue{}, fmt.Errorf("layer %q (%s): %w: %s", l.LayerName(), l.ClassName(), errNotExportable, fmt.Sprintf(format, a...))
	}
	x := args[0]
	switch l := l.(type) {
	case *layers.Dense:
		act, err := l.Activation.Kind()
		if err != nil {
			return fail("%v", err)
		}
		x = e.nhwc(x)
		ws := l.Weights()
		in := []string{x.name, e.weight(ws[0], "", nil)}
		var y string
		if x.rank() == 2 {
			if !l.NoBias {
				in = append(in, e.weight(ws[1], "", nil))
			}
			y = e.node(name, "Gemm", in)
		} else {
			y = e.node(name+"/MatMul", "MatMul", in)
			if !l.NoBias {
				y = e.node(name, "Add", []string{y, e.weight(ws[1], "", nil)})
			}
		}
		return e.activate(name, onnxValue{name: y, shape: out}, act), nil

	case *layers.Activation:
		act, err := l.Activation.Kind()
		if err != nil {
			return fail("%v", err)
		}
		return e.activate(name, x, act), nil

	case *layers.Dropout:
		return x, nil

	case *layers.BatchNormalization:
		eps := l.Epsilon
		if eps == 0 {
			eps = 1e-3
		}
		ws := l.Weights() // gamma, beta, moving_mean, moving_variance
		params := []string{e.weight(ws[0], "", nil), e.weight(ws[1], "", nil), e.weight(ws[2], "", nil), e.weight(ws[3], "", nil)}
		bn := func(v string) string {
			return e.node(name, "BatchNormalization", append([]string{v}, params...), onnx.F("epsilon", eps))
		}
		switch {
		case x.rank() == 2:
			return onnxValue{name: bn(x.name), shape: out}, nil
		case x.image():
			x = e.nchw(x)
			return onnxValue{name: bn(x.name), shape: out, nchw: true}, nil
		}
		// The features, Keras's last axis, moved to ONNX's axis 1 and back.
		r := int64(x.rank())
		fwd, back := []int64{0, r - 1}, []int64{0}
		for i := int64(1); i < r-1; i++ {
			fwd = append(fwd, i)
			back = append(back, i+1)
		}
		back = append(back, 1)
		t := e.node(name+"/features_first", "Transpose", []string{x.name}, onnx.Ints("perm", fwd...))
		y := e.node(name+"/features_last", "Transpose", []string{bn(t)}, onnx.Ints("perm", back...))
		return onnxValue{name: y, shape: out}, nil

	case *layers.Flatten:
		x = e.nhwc(x)
		if x.rank() == 2 {
			return x, nil
		}
		return onnxValue{name: e.node(name, "Flatten", []string{x.name}, onnx.Int("axis", 1)), shape: out}, nil

	case *layers.Reshape:
		x = e.nhwc(x)
		shape := []int64{0} // 0: the input's batch
		for _, d := range out {
			shape = append(shape, int64(d))
		}
		return onnxValue{name: e.node(name, "Reshape", []string{x.name, e.int64s(name+"/shape", shape...)}), shape: out}, nil

	case *layers.Conv2D:
		act, err := l.Activation.Kind()
		if err != nil {
			return fail("%v", err)
		}
		strides, same, err := windowSettings(l.Strides, [2]int{1, 1}, l.Padding)
		if err != nil {
			return fail("%v", err)
		}
		k := l.KernelSize
		pads := tfPads(x.shape, out, k, strides, same)
		x = e.nchw(x)
		ws := l.Weights()
		in := []string{x.name, e.weight(ws[0], "oihw", []int{3, 2, 0, 1})}
		if !l.NoBias {
			in = append(in, e.weight(ws[1], "", nil))
		}
		y := e.node(name, "Conv", in, onnx.Ints("kernel_shape", int64(k[0]), int64(k[1])),
			onnx.Ints("strides", int64(strides[0]), int64(strides[1])), onnx.Ints("pads", pads...),
			onnx.Ints("dilations", 1, 1), onnx.Int("group", 1))
		return e.activate(name, onnxValue{name: y, shape: out, nchw: true}, act), nil

	case *layers.Conv2DTranspose:
		act, err := l.Activation.Kind()
		if err != nil {
			return fail("%v", err)
		}
		strides, same, err := windowSettings(l.Strides, [2]int{1, 1}, l.Padding)
		if err != nil {
			return fail("%v", err)
		}
		k := l.KernelSize
		// The pads of the convolution this transposes, from out to x.
		pads := tfPads(out, x.shape, k, strides, same)
		var outPad [2]int64
		for i := range 2 {
			// ONNX: out = s·(in−1) + output_padding + k − pads.
			outPad[i] = int64(out[i]) - (int64(strides[i])*int64(x.shape[i]-1) + int64(k[i]) - pads[i] - pads[i+2])
			if outPad[i] < 0 || outPad[i] >= int64(strides[i]) {
				return fail("output size %d along axis %d does not follow from the input's", out[i], i+1)
			}
		}
		x = e.nchw(x)
		ws := l.Weights()
		in := []string{x.name, e.weight(ws[0], "iohw", []int{3, 2, 0, 1})}
		if !l.NoBias {
			in = append(in, e.weight(ws[1], "", nil))
		}
		y := e.node(name, "ConvTranspose", in, onnx.Ints("kernel_shape", int64(k[0]), int64(k[1])),
			onnx.Ints("strides", int64(strides[0]), int64(strides[1])), onnx.Ints("pads", pads...),
			onnx.Ints("output_padding", outPad[0], outPad[1]), onnx.Ints("dilations", 1, 1), onnx.Int("group", 1))
		return e.activate(name, onnxValue{name: y, shape: out, nchw: true}, act), nil

	case *layers.MaxPooling2D, *layers.AveragePooling2D:
		var pool, st [2]int
		var pad layers.Padding
		op := "MaxPool"
		if p, ok := l.(*layers.MaxPooling2D); ok {
			pool, st, pad = p.PoolSize, p.Strides, p.Padding
		} else {
			p := l.(*layers.AveragePooling2D)
			pool, st, pad, op = p.PoolSize, p.Strides, p.Padding, "AveragePool"
		}
		pool = defaultPair(pool, [2]int{2, 2})
		strides, same, err := windowSettings(st, pool, pad)
		if err != nil {
			return fail("%v", err)
		}
		pads := tfPads(x.shape, out, pool, strides, same)
		x = e.nchw(x)
		attrs := []onnx.Attr{onnx.Ints("kernel_shape", int64(pool[0]), int64(pool[1])),
			onnx.Ints("strides", int64(strides[0]), int64(strides[1])), onnx.Ints("pads", pads...)}
		if op == "AveragePool" {
			attrs = append(attrs, onnx.Int("count_include_pad", 0))
		}
		return onnxValue{name: e.node(name, op, []string{x.name}, attrs...), shape: out, nchw: true}, nil

	case *layers.GlobalAveragePooling2D, *layers.GlobalMaxPooling2D:
		op := "ReduceMean"
		if _, ok := l.(*layers.GlobalMaxPooling2D); ok {
			op = "ReduceMax"
		}
		y := e.reduce(name, op, x.name, false, int64(x.axis(1)), int64(x.axis(2)))
		return onnxValue{name: y, shape: out}, nil

	case *layers.SpatialDropout1D:
		return x, nil

	case *layers.Embedding:
		ids := e.node(name+"/ids", "Cast", []string{x.name}, onnx.Int("to", 7)) // int64
		y := e.node(name, "Gather", []string{e.weight(l.Weights()[0], "", nil), ids}, onnx.Int("axis", 0))
		return onnxValue{name: y, shape: out}, nil

	case *layers.Conv1D:
		act, err := l.Activation.Kind()
		if err != nil {
			return fail("%v", err)
		}
		k, st, dil := l.KernelSize, max(l.Strides, 1), max(l.DilationRate, 1)
		extent := (k-1)*dil + 1
		var padL, padR int
		switch layers.Padding(strings.ToLower(string(l.Padding))) {
		case "", layers.Valid:
		case layers.Same:
			total := max((out[0]-1)*st+extent-x.shape[0], 0)
			padL, padR = total/2, total-total/2
		case layers.Causal:
			padL = extent - 1
		default:
			return fail("unknown padding %q", string(l.Padding))
		}
		ncw := e.node(name+"/to_ncw", "Transpose", []string{x.name}, onnx.Ints("perm", 0, 2, 1))
		ws := l.Weights()
		in := []string{ncw, e.weight(ws[0], "oiw", []int{2, 1, 0})}
		if !l.NoBias {
			in = append(in, e.weight(ws[1], "", nil))
		}
		y := e.node(name+"/conv", "Conv", in, onnx.Ints("kernel_shape", int64(k)), onnx.Ints("strides", int64(st)),
			onnx.Ints("pads", int64(padL), int64(padR)), onnx.Ints("dilations", int64(dil)), onnx.Int("group", 1))
		y = e.node(name, "Transpose", []string{y}, onnx.Ints("perm", 0, 2, 1))
		return e.activate(name, onnxValue{name: y, shape: out}, act), nil

	case *layers.MaxPooling1D, *layers.AveragePooling1D:
		var pool, st int
		var pad layers.Padding
		op := "MaxPool"
		if p, ok := l.(*layers.MaxPooling1D); ok {
			pool, st, pad = p.PoolSize, p.Strides, p.Padding
		} else {
			p := l.(*layers.AveragePooling1D)
			pool, st, pad, op = p.PoolSize, p.Strides, p.Padding, "AveragePool"
		}
		if pool == 0 {
			pool = 2
		}
		strides, same, err := windowSettings([2]int{1, st}, [2]int{1, pool}, pad)
		if err != nil {
			return fail("%v", err)
		}
		pads := tfPads([]int{1, x.shape[0]}, []int{1, out[0]}, [2]int{1, pool}, strides, same)
		ncw := e.node(name+"/to_ncw", "Transpose", []string{x.name}, onnx.Ints("perm", 0, 2, 1))
		attrs := []onnx.Attr{onnx.Ints("kernel_shape", int64(pool)), onnx.Ints("strides", int64(strides[1])), onnx.Ints("pads", pads[1], pads[3])}
		if op == "AveragePool" {
			attrs = append(attrs, onnx.Int("count_include_pad", 0))
		}
		y := e.node(name+"/pool", op, []string{ncw}, attrs...)
		y = e.node(name, "Transpose", []string{y}, onnx.Ints("perm", 0, 2, 1))
		return onnxValue{name: y, shape: out}, nil

	case *layers.GlobalAveragePooling1D, *layers.GlobalMaxPooling1D:
		op := "ReduceMean"
		if _, ok := l.(*layers.GlobalMaxPooling1D); ok {
			op = "ReduceMax"
		}
		return onnxValue{name: e.reduce(name, op, x.name, false, 1), shape: out}, nil

	case *layers.UpSampling2D:
		size := defaultPair(l.Size, [2]int{2, 2})
		x = e.nchw(x)
		scales := e.floats(name+"/scales", false, 1, 1, float32(size[0]), float32(size[1]))
		y := e.node(name, "Resize", []string{x.name, "", scales}, onnx.String("mode", "nearest"),
			onnx.String("coordinate_transformation_mode", "asymmetric"), onnx.String("nearest_mode", "floor"))
		return onnxValue{name: y, shape: out, nchw: true}, nil

	case *layers.Add, *layers.Subtract, *layers.Multiply, *layers.Average, *layers.Maximum, *layers.Minimum:
		args = e.sameLayout(args)
		names := make([]string, len(args))
		for i, a := range args {
			names[i] = a.name
		}
		var y string
		switch l.(type) {
		case *layers.Add:
			y = e.sum(name, names)
		case *layers.Subtract:
			y = e.node(name, "Sub", names)
		case *layers.Multiply:
			y = names[0]
			for i, s := range names[1:] {
				hint := name
				if i < len(names)-2 {
					hint = name + "/Mul"
				}
				y = e.node(hint, "Mul", []string{y, s})
			}
		case *layers.Average:
			s := e.sum(name+"/Sum", names)
			y = e.node(name, "Mul", []string{s, e.floats(name+"/inverse_count", true, 1/float32(len(names)))})
		case *layers.Maximum:
			y = e.node(name, "Max", names)
		case *layers.Minimum:
			y = e.node(name, "Min", names)
		}
		return onnxValue{name: y, shape: out, nchw: args[0].nchw}, nil

	case *layers.Concatenate:
		ax, ok := l.AxisFor(len(x.shape) + 1)
		if !ok {
			return fail("axis %d is out of range", l.Axis)
		}
		args = e.sameLayout(args)
		names := make([]string, len(args))
		for i, a := range args {
			names[i] = a.name
		}
		y := e.node(name, "Concat", names, onnx.Int("axis", int64(args[0].axis(ax))))
		return onnxValue{name: y, shape: out, nchw: args[0].nchw}, nil

	case *layers.Dot:
		return e.dot(l, name, args, out, fail)
	case *layers.SimpleRNN, *layers.LSTM, *layers.GRU, *layers.Bidirectional, *layers.TimeDistributed:
		return e.recurrent(l, name, x, out, fail)
	}
	return fail("no conversion for class %s (exportable: %s)", l.ClassName(), strings.Join(onnxClasses, ", "))
}

// activate appends act's op to x, keeping its layout.
func (e *onnxExport) activate(name string, x onnxValue, act autograd.Activation) onnxValue {
	var y string
	switch act {
	case autograd.ReLU:
		y = e.node(name+"/Relu", "Relu", []string{x.name})
	case autograd.Sigmoid:
		y = e.node(name+"/Sigmoid", "Sigmoid", []string{x.name})
	case autograd.Tanh:
		y = e.node(name+"/Tanh", "Tanh", []string{x.name})
	case autograd.Softmax:
		// Keras's last axis; since opset 13 Softmax normalizes along that
		// one axis only.
		ax := int64(-1)
		if x.nchw {
			ax = 1
		}
		y = e.node(name+"/Softmax", "Softmax", []string{x.name}, onnx.Int("axis", ax))
	default:
		return x
	}
	x.name = y
	return x
}

// sum appends the sum of xs: Add for two, Sum for more.
func (e *onnxExport) sum(name string, xs []string) string {
	if len(xs) == 2 {
		return e.node(name, "Add", xs)
	}
	return e.node(name, "Sum", xs)
}

// sameLayout returns images all in the first one's layout.
func (e *onnxExport) sameLayout(args []onnxValue) []onnxValue {
	out := make([]onnxValue, len(args))
	for i, a := range args {
		switch {
		case a.image() && args[0].nchw:
			a = e.nchw(a)
		default:
			a = e.nhwc(a)
		}
		out[i] = a
	}
	return out
}

// dot converts Dot: vectors (batch, n)·(batch, n) → (batch, 1) as Mul and
// ReduceSum, matrices as MatMul with their dot axes moved into place.
func (e *onnxExport) dot(l *layers.Dot, name string, args []onnxValue, out []int,
	fail func(string, ...any) (onnxValue, error)) (onnxValue, error) {
	a, b := e.nhwc(args[0]), e.nhwc(args[1])
	rank := a.rank()
	var ax [2]int
	for i, v := range l.Axes {
		if v < 0 {
			v += rank
		}
		if v < 1 || v >= rank {
			return fail("axes %v are out of range", [2]int(l.Axes))
		}
		ax[i] = v
	}
	x, y := a.name, b.name
	if l.Normalize {
		// Keras's l2_normalize, as neurona's: x / sqrt(max(Σx², 1e-12)).
		eps := e.floats(name+"/epsilon", true, 1e-12)
		norm := func(v string, axis int, which string) string {
			ss := e.reduce(name+"/"+which+"/ReduceSumSquare", "ReduceSumSquare", v, true, int64(axis))
			mx := e.node(name+"/"+which+"/Max", "Max", []string{ss, eps})
			sq := e.node(name+"/"+which+"/Sqrt", "Sqrt", []string{mx})
			return e.node(name+"/"+which+"/normalized", "Div", []string{v, sq})
		}
		x, y = norm(x, ax[0], "x"), norm(y, ax[1], "y")
	}
	switch rank {
	case 2:
		p := e.node(name+"/Mul", "Mul", []string{x, y})
		return onnxValue{name: e.reduce(name, "ReduceSum", p, true, 1), shape: out}, nil
	case 3:
		// Each sample: (a without ax0)ᵀ-ordered rows times columns of b.
		if ax[0] == 1 {
			x = e.node(name+"/x_transposed", "Transpose", []string{x}, onnx.Ints("perm", 0, 2, 1))
		}
		if ax[1] == 2 {
			y = e.node(name+"/y_transposed", "Transpose", []string{y}, onnx.Ints("perm", 0, 2, 1))
		}
		return onnxValue{name: e.node(name, "MatMul", []string{x, y}), shape: out}, nil
	}
	return fail("inputs of rank %d", rank)
}

// windowSettings returns a window's strides (zeros replaced by def) and
// whether its padding is same.
func windowSettings(strides, def [2]int, pad layers.Padding) ([2]int, bool, error) {
	strides = defaultPair(strides, def)
	switch layers.Padding(strings.ToLower(string(pad))) {
	case "", layers.Valid:
		return strides, false, nil
	case layers.Same:
		return strides, true, nil
	}
	return strides, false, fmt.Errorf("unknown padding %q", string(pad))
}

func defaultPair(v, def [2]int) [2]int {
	for i := range v {
		if v[i] == 0 {
			v[i] = def[i]
		}
	}
	return v
}

// tfPads returns ONNX's pads (top, left, bottom, right) of a window k
// moved by strides over images in giving out: TensorFlow's same padding,
// half the total with the odd one at the bottom and right, or none.
func tfPads(in, out []int, k, strides [2]int, same bool) []int64 {
	pads := make([]int64, 4)
	if !same {
		return pads
	}
	for i := range 2 {
		total := max((out[i]-1)*strides[i]+k[i]-in[i], 0)
		pads[i], pads[i+2] = int64(total/2), int64(total-total/2)
	}
	return pads
}

// permute returns data of shape transposed by perm: out's axis i is the
// input's axis perm[i].
func permute(shape []int, data []float32, perm []int) ([]int, []float32) {
	n := len(shape)
	outShape := make([]int, n)
	for i, p := range perm {
		outShape[i] = shape[p]
	}
	inStride := make([]int, n)
	s := 1
	for i := n - 1; i >= 0; i-- {
		inStride[i] = s
		s *= shape[i]
	}
	out := make([]float32, len(data))
	idx := make([]int, n) // position in the output
	for o := range out {
		src := 0
		for i := range n {
			src += idx[i] * inStride[perm[i]]
		}
		out[o] = data[src]
		for i := n - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < outShape[i] {
				break
			}
			idx[i] = 0
		}
	}
	return outShape, out
}

func dims64(shape []int) []int64 {
	d := make([]int64, len(shape))
	for i, v := range shape {
		d[i] = int64(v)
	}
	return d
}
