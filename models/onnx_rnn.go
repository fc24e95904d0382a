package models

import (
	"strings"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/internal/onnx"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/tensor"
)

func init() {
	onnxClasses = append(onnxClasses, "SimpleRNN", "LSTM", "GRU", "Bidirectional", "TimeDistributed")
}

// timeDistributed converts TimeDistributed: a Dense applies to the last
// axis as it is; any other layer runs on the steps folded into the batch,
// (−1, …), and is unfolded after.
func (e *onnxExport) timeDistributed(l *layers.TimeDistributed, name string, x onnxValue, out []int) (onnxValue, error) {
	if _, ok := l.Layer.(*layers.Dense); ok {
		return e.layer(l.Layer, name, []onnxValue{x}, out)
	}
	x = e.nhwc(x)
	folded := []int64{-1}
	for _, d := range x.shape[1:] {
		folded = append(folded, int64(d))
	}
	f := e.node(name+"/fold", "Reshape", []string{x.name, e.int64s("shape", folded...)})
	y, err := e.layer(l.Layer, name+"/"+l.Layer.LayerName(), []onnxValue{{name: f, shape: x.shape[1:]}}, out[1:])
	if err != nil {
		return onnxValue{}, err
	}
	y = e.nhwc(y)
	unfolded := []int64{-1}
	for _, d := range out {
		unfolded = append(unfolded, int64(d))
	}
	return onnxValue{name: e.node(name, "Reshape", []string{y.name, e.int64s("shape", unfolded...)}), shape: out}, nil
}

// rnnExport is what the ONNX conversion needs of a recurrent layer.
type rnnExport struct {
	op                   string // RNN, LSTM, GRU
	units                int
	act, ract            activations.Name
	retSeq, back         bool
	resetAfter           bool
	noBias               bool
	weights              []*layers.Weight
	order                []int // ONNX's gate blocks, as Keras's block indices
	layerName, className string
}

func rnnExportOf(l layers.Layer) (rnnExport, bool) {
	switch v := l.(type) {
	case *layers.SimpleRNN:
		return rnnExport{op: "RNN", units: v.Units, act: v.Activation, retSeq: v.ReturnSequences, back: v.GoBackwards,
			noBias: v.NoBias, weights: v.Weights(), order: []int{0}}, true
	case *layers.LSTM:
		// Keras's i, f, c, o to ONNX's i, o, f, c.
		return rnnExport{op: "LSTM", units: v.Units, act: v.Activation, ract: v.RecurrentActivation, retSeq: v.ReturnSequences,
			back: v.GoBackwards, noBias: v.NoBias, weights: v.Weights(), order: []int{0, 3, 1, 2}}, true
	case *layers.GRU:
		// z, r, h in both.
		return rnnExport{op: "GRU", units: v.Units, act: v.Activation, ract: v.RecurrentActivation, retSeq: v.ReturnSequences,
			back: v.GoBackwards, resetAfter: v.ResetAfter, noBias: v.NoBias, weights: v.Weights(), order: []int{0, 1, 2}}, true
	}
	return rnnExport{}, false
}

// onnxRNNActivation is the ONNX name of a recurrent activation; the
// defaults are Keras 2.2's (tanh, hard_sigmoid). ONNX's HardSigmoid
// defaults, alpha 0.2 and beta 0.5, are Keras's.
func onnxRNNActivation(n, def activations.Name) (string, bool) {
	if n == "" {
		n = def
	}
	switch n {
	case activations.Tanh:
		return "Tanh", true
	case activations.Sigmoid:
		return "Sigmoid", true
	case layers.HardSigmoid:
		return "HardSigmoid", true
	case activations.ReLU:
		return "Relu", true
	}
	return "", false
}

// gateRows returns a Keras (rows, g·u) kernel as ONNX's (g·u, rows), its
// gate blocks in ONNX's order.
func gateRows(m *tensor.Tensor, order []int, u int) []float32 {
	rows, gu := m.Shape[0], m.Shape[1]
	out := make([]float32, len(m.Data))
	for gi, kb := range order {
		for j := 0; j < u; j++ {
			dst := out[(gi*u+j)*rows:]
			for k := 0; k < rows; k++ {
				dst[k] = m.Data[k*gu+kb*u+j]
			}
		}
	}
	return out
}

// gateBias returns ONNX's bias (input bias then recurrent bias, 2·g·u)
// from a Keras one: g·u (the recurrent part zero) or, for the reset-after
// GRU, 2×g·u.
func gateBias(r rnnExport) []float32 {
	gu := len(r.order) * r.units
	out := make([]float32, 2*gu)
	if r.noBias {
		return out
	}
	b := r.weights[2].Var.Value.Data
	for half := 0; half*gu < len(b) && half < 2; half++ {
		for gi, kb := range r.order {
			copy(out[half*gu+gi*r.units:half*gu+(gi+1)*r.units], b[half*gu+kb*r.units:half*gu+(kb+1)*r.units])
		}
	}
	return out
}

// recurrent converts SimpleRNN, LSTM, GRU and Bidirectional over one of
// them to ONNX's RNN, LSTM and GRU (layout 0, with Transposes around
// them); go_backwards is direction reverse, Bidirectional is direction
// bidirectional.
func (e *onnxExport) recurrent(l layers.Layer, name string, x onnxValue, out []int,
	fail func(string, ...any) (onnxValue, error)) (onnxValue, error) {
	if td, ok := l.(*layers.TimeDistributed); ok {
		return e.timeDistributed(td, name, x, out)
	}
	vs, err := e.recurrentOutputs(l, name, x, [][]int{out}, func(f string, a ...any) ([]onnxValue, error) {
		_, err := fail(f, a...)
		return nil, err
	})
	if err != nil {
		return onnxValue{}, err
	}
	return vs[0], nil
}

// recurrentOutputs is recurrent for every output of the layer (shapes, one
// per output): with return_state the final states come from the ONNX op's
// Y_h and Y_c, and Bidirectional's merge_mode none takes each direction
// of Y (or Y_h) apart.
func (e *onnxExport) recurrentOutputs(l layers.Layer, name string, x onnxValue, shapes [][]int,
	fail func(string, ...any) ([]onnxValue, error)) ([]onnxValue, error) {
	out := shapes[0]
	dirs := []rnnExport{}
	direction := "forward"
	merge := layers.MergeConcat
	states := len(shapes) > 1
	if b, ok := l.(*layers.Bidirectional); ok {
		f, ok1 := rnnExportOf(b.Forward())
		r, ok2 := rnnExportOf(b.Backward())
		if !ok1 || !ok2 {
			return fail("Bidirectional wraps no recurrent layer")
		}
		if f.back {
			return fail("a Bidirectional over a go_backwards layer has no ONNX form")
		}
		dirs = append(dirs, f, r)
		direction = "bidirectional"
		if b.MergeMode != "" {
			merge = b.MergeMode
		}
		states = len(shapes) > 1 && (merge != layers.MergeNone || len(shapes) > 2)
	} else {
		r, ok := rnnExportOf(l)
		if !ok {
			return fail("not a recurrent layer")
		}
		dirs = append(dirs, r)
		if r.back {
			direction = "reverse"
		}
	}
	r := dirs[0]
	acts := []string{}
	if r.op != "RNN" {
		a, ok := onnxRNNActivation(r.ract, layers.HardSigmoid)
		if !ok {
			return fail("recurrent_activation %q has no ONNX form", string(r.ract))
		}
		acts = append(acts, a)
	}
	a, ok := onnxRNNActivation(r.act, activations.Tanh)
	if !ok {
		return fail("activation %q has no ONNX form", string(r.act))
	}
	acts = append(acts, a)
	if r.op == "LSTM" {
		acts = append(acts, a)
	}
	var allActs []string
	for range dirs {
		allActs = append(allActs, acts...)
	}

	u := r.units
	gu := len(r.order) * u
	in := r.weights[0].Var.Value.Shape[0]
	var w, rec, bias []float32
	for _, d := range dirs {
		w = append(w, gateRows(d.weights[0].Var.Value, d.order, u)...)
		rec = append(rec, gateRows(d.weights[1].Var.Value, d.order, u)...)
		bias = append(bias, gateBias(d)...)
	}
	nd := int64(len(dirs))
	wName := e.unique(name + "/W")
	rName := e.unique(name + "/R")
	bName := e.unique(name + "/B")
	e.g.Initializers = append(e.g.Initializers,
		onnx.FloatTensor(wName, []int64{nd, int64(gu), int64(in)}, w),
		onnx.FloatTensor(rName, []int64{nd, int64(gu), int64(u)}, rec),
		onnx.FloatTensor(bName, []int64{nd, int64(2 * gu)}, bias))

	x = e.nhwc(x)
	xt := e.node(name+"/time_major", "Transpose", []string{x.name}, onnx.Ints("perm", 1, 0, 2))
	attrs := []onnx.Attr{onnx.Int("hidden_size", int64(u)), onnx.String("direction", direction), onnx.Strings("activations", allActs...)}
	if r.op == "GRU" && r.resetAfter {
		attrs = append(attrs, onnx.Int("linear_before_reset", 1))
	}
	y, yh := e.unique(name+"/Y"), e.unique(name+"/Y_h")
	outs := []string{y, yh}
	var yc string
	if states && r.op == "LSTM" {
		yc = e.unique(name + "/Y_c")
		outs = append(outs, yc)
	}
	e.g.Nodes = append(e.g.Nodes, onnx.Node{Name: unique(e.nodeNames, name), Op: r.op,
		Inputs: []string{xt, wName, rName, bName}, Outputs: outs, Attrs: attrs})
	// dir takes direction k of src along axis, dropping the axis.
	dir := func(hint, src string, axis, k int64) string {
		s := e.node(hint+"/slice", "Slice", []string{src, e.int64s("starts", k), e.int64s("ends", k+1), e.int64s("axes", axis)})
		return e.node(hint, "Squeeze", []string{s, e.int64s("axes", axis)})
	}
	var vals []onnxValue
	// The states, after the output(s): each direction's h, then c.
	stateVals := func() {
		if !states {
			return
		}
		for k := range int64(len(dirs)) {
			sfx := []string{"/h_fw", "/h_bw"}[k]
			if len(dirs) == 1 {
				sfx = "/h"
			}
			vals = append(vals, onnxValue{name: dir(name+sfx, yh, 0, k), shape: []int{u}})
			if yc != "" {
				vals = append(vals, onnxValue{name: dir(name+strings.Replace(sfx, "h", "c", 1), yc, 0, k), shape: []int{u}})
			}
		}
	}
	if merge == layers.MergeNone {
		// [forward, backward]: Y's directions (the backward one in the
		// input's order, as Keras returns it), or Y_h's.
		for k, hint := range []string{"/forward", "/backward"} {
			if r.retSeq {
				s := dir(name+hint+"/seq", y, 1, int64(k))
				vals = append(vals, onnxValue{name: e.node(name+hint, "Transpose", []string{s}, onnx.Ints("perm", 1, 0, 2)), shape: out})
			} else {
				vals = append(vals, onnxValue{name: dir(name+hint, yh, 0, int64(k)), shape: out})
			}
		}
		stateVals()
		return vals, nil
	}

	// Y is (steps, dirs, batch, u), every direction's sequence in the
	// input's order; Y_h is (dirs, batch, u).
	var res string
	seq := r.retSeq
	switch {
	case len(dirs) == 1 && seq:
		s := e.node(name+"/squeeze", "Squeeze", []string{y, e.int64s("axes", 1)})
		if r.back {
			// Keras returns a go_backwards sequence in the order processed.
			s = e.node(name+"/reverse", "Slice", []string{s, e.int64s("starts", -1), e.int64s("ends", -1<<63),
				e.int64s("axes", 0), e.int64s("steps", -1)})
		}
		res = e.node(name, "Transpose", []string{s}, onnx.Ints("perm", 1, 0, 2))
	case len(dirs) == 1:
		res = e.node(name, "Squeeze", []string{yh, e.int64s("axes", 0)})
	default:
		src, perm, dirAxis := yh, []int64{1, 0, 2}, int64(0)
		if seq {
			src, perm, dirAxis = y, []int64{2, 0, 1, 3}, 1
		}
		switch merge {
		case layers.MergeConcat:
			t := e.node(name+"/batch_major", "Transpose", []string{src}, onnx.Ints("perm", perm...))
			shape := []int64{0, int64(2 * u)}
			if seq {
				shape = []int64{0, int64(out[0]), int64(2 * u)}
			}
			res = e.node(name, "Reshape", []string{t, e.int64s("shape", shape...)})
		default:
			op := map[layers.MergeMode]string{layers.MergeSum: "ReduceSum", layers.MergeMul: "ReduceProd", layers.MergeAve: "ReduceMean"}[merge]
			if op == "" {
				return fail("merge_mode %q has no ONNX form", string(merge))
			}
			if !seq {
				res = e.reduce(name, op, src, false, dirAxis)
			} else {
				m := e.reduce(name+"/merge", op, src, false, dirAxis)
				res = e.node(name, "Transpose", []string{m}, onnx.Ints("perm", 1, 0, 2))
			}
		}
	}
	vals = append(vals, onnxValue{name: res, shape: out})
	stateVals()
	if len(vals) != len(shapes) {
		return fail("%d outputs for the layer's %d", len(vals), len(shapes))
	}
	return vals, nil
}
