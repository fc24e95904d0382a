package models_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/models"
)

// The tests decode ExportONNX's bytes with protowire, independently of the
// encoder, by onnx.proto's field numbers.

type pbField struct {
	typ protowire.Type
	v   uint64
	b   []byte
}

type pbMsg map[protowire.Number][]pbField

func parsePB(t *testing.T, b []byte) pbMsg {
	t.Helper()
	m := pbMsg{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatalf("bad tag: %v", protowire.ParseError(n))
		}
		b = b[n:]
		f := pbField{typ: typ}
		switch typ {
		case protowire.VarintType:
			f.v, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var v uint32
			v, n = protowire.ConsumeFixed32(b)
			f.v = uint64(v)
		case protowire.BytesType:
			f.b, n = protowire.ConsumeBytes(b)
		default:
			t.Fatalf("field %d: unexpected wire type %d", num, typ)
		}
		if n < 0 {
			t.Fatalf("field %d: %v", num, protowire.ParseError(n))
		}
		b = b[n:]
		m[num] = append(m[num], f)
	}
	return m
}

func (m pbMsg) str(n protowire.Number) string {
	if f := m[n]; len(f) > 0 {
		return string(f[len(f)-1].b)
	}
	return ""
}

func (m pbMsg) strs(n protowire.Number) []string {
	var s []string
	for _, f := range m[n] {
		s = append(s, string(f.b))
	}
	return s
}

func (m pbMsg) int(n protowire.Number) int64 {
	if f := m[n]; len(f) > 0 {
		return int64(f[len(f)-1].v)
	}
	return 0
}

// ints reads a repeated int64, packed or not.
func (m pbMsg) ints(t *testing.T, n protowire.Number) []int64 {
	var out []int64
	for _, f := range m[n] {
		if f.typ == protowire.VarintType {
			out = append(out, int64(f.v))
			continue
		}
		for b := f.b; len(b) > 0; {
			v, k := protowire.ConsumeVarint(b)
			if k < 0 {
				t.Fatal("bad packed varint")
			}
			out = append(out, int64(v))
			b = b[k:]
		}
	}
	return out
}

func (m pbMsg) msgs(t *testing.T, n protowire.Number) []pbMsg {
	var out []pbMsg
	for _, f := range m[n] {
		out = append(out, parsePB(t, f.b))
	}
	return out
}

type onnxAttr struct {
	typ  int64
	i    int64
	f    float32
	s    string
	ints []int64
}

type onnxNode struct {
	name, op     string
	inputs, outs []string
	attrs        map[string]onnxAttr
}

type onnxInit struct {
	dims  []int64
	dtype int64
	raw   []byte
}

func (i onnxInit) floats() []float32 {
	f := make([]float32, len(i.raw)/4)
	for k := range f {
		f[k] = math.Float32frombits(binary.LittleEndian.Uint32(i.raw[4*k:]))
	}
	return f
}

type onnxIO struct {
	name  string
	dtype int64
	dims  []string // dim_param, or the dim_value in decimal
}

type onnxModel struct {
	ir, opset       int64
	domain          string
	producer        string
	nodes           []onnxNode
	inits           map[string]onnxInit
	initOrder       []string
	inputs, outputs []onnxIO
	meta            map[string]string
}

func decodeONNX(t *testing.T, b []byte) *onnxModel {
	t.Helper()
	m := parsePB(t, b)
	out := &onnxModel{ir: m.int(1), producer: m.str(2), inits: map[string]onnxInit{}, meta: map[string]string{}}
	ops := m.msgs(t, 8)
	if len(ops) != 1 {
		t.Fatalf("%d opset_imports, want 1", len(ops))
	}
	out.domain, out.opset = ops[0].str(1), ops[0].int(2)
	for _, kv := range m.msgs(t, 14) {
		out.meta[kv.str(1)] = kv.str(2)
	}
	graphs := m.msgs(t, 7)
	if len(graphs) != 1 {
		t.Fatalf("%d graphs", len(graphs))
	}
	g := graphs[0]
	for _, n := range g.msgs(t, 1) {
		node := onnxNode{name: n.str(3), op: n.str(4), inputs: n.strs(1), outs: n.strs(2), attrs: map[string]onnxAttr{}}
		for _, a := range n.msgs(t, 5) {
			at := onnxAttr{typ: a.int(20), i: a.int(3), s: a.str(4), ints: a.ints(t, 8)}
			if f := a[2]; len(f) > 0 {
				at.f = math.Float32frombits(uint32(f[0].v))
			}
			node.attrs[a.str(1)] = at
		}
		out.nodes = append(out.nodes, node)
	}
	for _, in := range g.msgs(t, 5) {
		name := in.str(8)
		out.inits[name] = onnxInit{dims: in.ints(t, 1), dtype: in.int(2), raw: []byte(in.str(9))}
		out.initOrder = append(out.initOrder, name)
	}
	io := func(n protowire.Number) []onnxIO {
		var vs []onnxIO
		for _, v := range g.msgs(t, n) {
			tt := v.msgs(t, 2)[0].msgs(t, 1)[0] // TypeProto.tensor_type
			x := onnxIO{name: v.str(1), dtype: tt.int(1)}
			for _, d := range tt.msgs(t, 2)[0].msgs(t, 1) {
				if p := d.str(2); p != "" {
					x.dims = append(x.dims, p)
				} else {
					x.dims = append(x.dims, fmt.Sprint(d.int(1)))
				}
			}
			vs = append(vs, x)
		}
		return vs
	}
	out.inputs, out.outputs = io(11), io(12)
	return out
}

func (m *onnxModel) ops() []string {
	var s []string
	for _, n := range m.nodes {
		s = append(s, n.op)
	}
	return s
}

// producer returns the node computing value v.
func (m *onnxModel) producerOf(t *testing.T, v string) onnxNode {
	t.Helper()
	for _, n := range m.nodes {
		for _, o := range n.outs {
			if o == v {
				return n
			}
		}
	}
	t.Fatalf("no node computes %q", v)
	return onnxNode{}
}

// checkWired checks that every node input is a graph input, an
// initializer or an earlier node's output, and that the outputs are
// computed.
func (m *onnxModel) checkWired(t *testing.T) {
	t.Helper()
	known := map[string]bool{"": true}
	for _, v := range m.inputs {
		known[v.name] = true
	}
	for n := range m.inits {
		known[n] = true
	}
	nodeNames := map[string]bool{}
	for _, n := range m.nodes {
		if nodeNames[n.name] {
			t.Errorf("two nodes are named %q", n.name)
		}
		nodeNames[n.name] = true
		for _, in := range n.inputs {
			if !known[in] {
				t.Errorf("node %q (%s) reads %q before it is computed", n.name, n.op, in)
			}
		}
		for _, o := range n.outs {
			if known[o] {
				t.Errorf("node %q (%s) recomputes %q", n.name, n.op, o)
			}
			known[o] = true
		}
	}
	for _, v := range m.outputs {
		if !known[v.name] {
			t.Errorf("output %q is not computed", v.name)
		}
	}
}

func exportONNX(t *testing.T, m *models.Model, opts models.ONNXOptions) *onnxModel {
	t.Helper()
	var buf bytes.Buffer
	if err := m.ExportONNX(&buf, opts); err != nil {
		t.Fatal(err)
	}
	om := decodeONNX(t, buf.Bytes())
	om.checkWired(t)
	return om
}

func TestExportONNXDense(t *testing.T) {
	s := models.NewSequential(
		&layers.Input{Shape: []int{13}, Base: layers.Base{Name: "features"}},
		&layers.Dense{Units: 8, Activation: activations.ReLU, Base: layers.Base{Name: "hidden"}},
		&layers.BatchNormalization{Epsilon: 0.01},
		&layers.Dropout{Rate: 0.5},
		&layers.Dense{Units: 1, Base: layers.Base{Name: "price"}},
	)
	s.Seed = 3
	s.Metadata = map[string]string{"preprocessing": "standardize"}
	om := exportONNX(t, s.Model, models.ONNXOptions{ProducerName: "test"})
	if om.ir != 8 || om.opset != 17 || om.domain != "" || om.producer != "test" {
		t.Errorf("ir %d, opset %q %d, producer %q; want 8, \"\" 17, test", om.ir, om.domain, om.opset, om.producer)
	}
	if om.meta["preprocessing"] != "standardize" {
		t.Errorf("metadata %v", om.meta)
	}
	if want := []string{"Gemm", "Relu", "BatchNormalization", "Gemm"}; !reflect.DeepEqual(om.ops(), want) {
		t.Fatalf("ops %v, want %v", om.ops(), want)
	}
	wantIO := func(got []onnxIO, name string, dims ...string) {
		t.Helper()
		if len(got) != 1 || got[0].name != name || got[0].dtype != 1 || !reflect.DeepEqual(got[0].dims, dims) {
			t.Errorf("graph io %+v, want %s float %v", got, name, dims)
		}
	}
	wantIO(om.inputs, "features", "batch", "13")
	wantIO(om.outputs, "price", "batch", "1")
	if om.nodes[0].inputs[0] != "features" || om.nodes[3].outs[0] != "price" {
		t.Errorf("first node reads %v, last writes %v", om.nodes[0].inputs, om.nodes[3].outs)
	}
	if bn := om.nodes[2]; bn.attrs["epsilon"].f != 0.01 {
		t.Errorf("BatchNormalization epsilon %v, want 0.01", bn.attrs["epsilon"].f)
	}
	// Every weight is an initializer of its shape and values, the moving
	// statistics in BatchNormalization's inputs 3 and 4.
	for _, w := range s.Weights() {
		in, ok := om.inits[w.Name]
		if !ok {
			t.Errorf("no initializer %q (have %v)", w.Name, om.initOrder)
			continue
		}
		if in.dtype != 1 || !reflect.DeepEqual(in.dims, dims64(w.Var.Value.Shape)) || !reflect.DeepEqual(in.floats(), w.Var.Value.Data) {
			t.Errorf("initializer %q: type %d dims %v, or values differ from the weight's %v", w.Name, in.dtype, in.dims, w.Var.Value.Shape)
		}
	}
	bn := om.nodes[2]
	if !strings.HasSuffix(bn.inputs[3], "moving_mean") || !strings.HasSuffix(bn.inputs[4], "moving_variance") {
		t.Errorf("BatchNormalization inputs %v", bn.inputs)
	}
}

func dims64(s []int) []int64 {
	d := make([]int64, len(s))
	for i, v := range s {
		d[i] = int64(v)
	}
	return d
}

func TestExportONNXConv(t *testing.T) {
	in := layers.NewInput(28, 28, 1)
	conv := &layers.Conv2D{Filters: 4, KernelSize: [2]int{3, 3}, Strides: [2]int{2, 2}, Padding: layers.Same, Activation: activations.ReLU}
	x := layers.Apply(conv, in)
	x = layers.Apply(&layers.AveragePooling2D{PoolSize: [2]int{2, 2}, Padding: layers.Same, Strides: [2]int{2, 2}}, x)
	x = layers.Apply(&layers.Flatten{}, x)
	out := layers.Apply(&layers.Dense{Units: 10, Activation: activations.Softmax}, x)
	m, err := models.NewModel(ins(in), ins(out))
	if err != nil {
		t.Fatal(err)
	}
	om := exportONNX(t, m, models.ONNXOptions{})
	want := []string{"Transpose", "Conv", "Relu", "AveragePool", "Transpose", "Flatten", "Gemm", "Softmax"}
	if !reflect.DeepEqual(om.ops(), want) {
		t.Fatalf("ops %v, want %v", om.ops(), want)
	}
	inName, _ := in.Node()
	if om.inputs[0].name != inName.Layer.LayerName() || !reflect.DeepEqual(om.inputs[0].dims, []string{"batch", "28", "28", "1"}) {
		t.Errorf("input %+v", om.inputs[0])
	}
	if om.outputs[0].name != m.Layers()[len(m.Layers())-1].LayerName() || !reflect.DeepEqual(om.outputs[0].dims, []string{"batch", "10"}) {
		t.Errorf("output %+v", om.outputs[0])
	}
	if p := om.nodes[0].attrs["perm"].ints; !reflect.DeepEqual(p, []int64{0, 3, 1, 2}) {
		t.Errorf("input transpose perm %v, want NHWC→NCHW", p)
	}
	if p := om.nodes[4].attrs["perm"].ints; !reflect.DeepEqual(p, []int64{0, 2, 3, 1}) {
		t.Errorf("transpose before Flatten perm %v, want NCHW→NHWC", p)
	}
	c := om.nodes[1]
	// Same padding, 28 → 14 with a 3×3 window moved by 2: a total of 1,
	// at the bottom and right (TensorFlow's rule).
	if p := c.attrs["pads"].ints; !reflect.DeepEqual(p, []int64{0, 0, 1, 1}) {
		t.Errorf("Conv pads %v, want [0 0 1 1]", p)
	}
	if s := c.attrs["strides"].ints; !reflect.DeepEqual(s, []int64{2, 2}) {
		t.Errorf("Conv strides %v", s)
	}
	// 14 → 7 with 2×2 windows by 2 needs no padding.
	pool := om.nodes[3]
	if p := pool.attrs["pads"].ints; !reflect.DeepEqual(p, []int64{0, 0, 0, 0}) || pool.attrs["count_include_pad"].i != 0 {
		t.Errorf("AveragePool pads %v count_include_pad %d", p, pool.attrs["count_include_pad"].i)
	}
	if sm := om.nodes[7]; sm.attrs["axis"].i != -1 {
		t.Errorf("Softmax axis %d, want -1", sm.attrs["axis"].i)
	}
	// The kernel, Keras's (kh, kw, in, out), is ONNX's (out, in, kh, kw).
	k := conv.Weights()[0].Var.Value
	ki := om.inits[c.inputs[1]]
	if !reflect.DeepEqual(ki.dims, []int64{4, 1, 3, 3}) {
		t.Fatalf("Conv weight dims %v, want [4 1 3 3]", ki.dims)
	}
	got := ki.floats()
	for o := range 4 {
		for y := range 3 {
			for xx := range 3 {
				if g, w := got[o*9+y*3+xx], k.Data[(y*3+xx)*4+o]; g != w {
					t.Fatalf("Conv weight [%d 0 %d %d] = %v, Keras kernel [%d %d 0 %d] = %v", o, y, xx, g, y, xx, o, w)
				}
			}
		}
	}
	if dk := om.inits[om.nodes[6].inputs[1]].dims; !reflect.DeepEqual(dk, []int64{196, 10}) {
		t.Errorf("Dense kernel dims %v", dk)
	}
}

// A transposed convolution whose stride exceeds its kernel leaves rows
// that ONNX adds as output_padding; its kernel is (in, out, kh, kw).
func TestExportONNXConvTransposeAndUpSampling(t *testing.T) {
	in := layers.NewInput(5, 4, 3)
	ct := &layers.Conv2DTranspose{Filters: 2, KernelSize: [2]int{1, 2}, Strides: [2]int{3, 3}}
	x := layers.Apply(ct, in) // (15, 12, 2)
	x = layers.Apply(&layers.UpSampling2D{Size: [2]int{2, 1}}, x)
	x = layers.Apply(&layers.GlobalAveragePooling2D{}, x)
	m, err := models.NewModel(ins(in), ins(x))
	if err != nil {
		t.Fatal(err)
	}
	for _, opset := range []int{17, 18} {
		om := exportONNX(t, m, models.ONNXOptions{Opset: opset})
		if want := []string{"Transpose", "ConvTranspose", "Resize", "ReduceMean"}; !reflect.DeepEqual(om.ops(), want) {
			t.Fatalf("opset %d: ops %v, want %v", opset, om.ops(), want)
		}
		c := om.nodes[1]
		if p := c.attrs["output_padding"].ints; !reflect.DeepEqual(p, []int64{2, 1}) {
			t.Errorf("output_padding %v, want [2 1] (15 = 3·4 + 1 + 2, 12 = 3·3 + 2 + 1)", p)
		}
		if d := om.inits[c.inputs[1]].dims; !reflect.DeepEqual(d, []int64{3, 2, 1, 2}) {
			t.Errorf("ConvTranspose weight dims %v, want [3 2 1 2]", d)
		}
		r := om.nodes[2]
		if r.attrs["mode"].s != "nearest" || r.attrs["coordinate_transformation_mode"].s != "asymmetric" || r.attrs["nearest_mode"].s != "floor" {
			t.Errorf("Resize attributes %+v", r.attrs)
		}
		if sc := om.inits[r.inputs[2]].floats(); !reflect.DeepEqual(sc, []float32{1, 1, 2, 1}) {
			t.Errorf("Resize scales %v, want NCHW [1 1 2 1]", sc)
		}
		red := om.nodes[3]
		axes := red.attrs["axes"].ints
		if opset >= 18 {
			if _, ok := red.attrs["axes"]; ok || len(red.inputs) != 2 {
				t.Fatalf("opset %d: ReduceMean takes its axes as an input, got inputs %v attrs %v", opset, red.inputs, red.attrs)
			}
			raw := om.inits[red.inputs[1]].raw
			axes = nil
			for i := 0; i < len(raw); i += 8 {
				axes = append(axes, int64(binary.LittleEndian.Uint64(raw[i:])))
			}
		}
		if !reflect.DeepEqual(axes, []int64{2, 3}) || red.attrs["keepdims"].i != 0 {
			t.Errorf("opset %d: ReduceMean axes %v keepdims %d, want the NCHW spatial axes [2 3], 0", opset, axes, red.attrs["keepdims"].i)
		}
		if !reflect.DeepEqual(om.outputs[0].dims, []string{"batch", "2"}) {
			t.Errorf("output dims %v", om.outputs[0].dims)
		}
		if wantIR := map[int]int64{17: 8, 18: 8}[opset]; om.ir != wantIR || om.opset != int64(opset) {
			t.Errorf("ir %d opset %d, want %d %d", om.ir, om.opset, wantIR, opset)
		}
	}
}

// A shared layer and a model nested twice write their weights once; the
// nested model's nodes are named under it.
func TestExportONNXSharedAndNested(t *testing.T) {
	ni := layers.NewInput(4)
	inner, err := models.NewModel(ins(ni), ins(layers.Apply(&layers.Dense{Units: 4, Activation: activations.Tanh}, ni)))
	if err != nil {
		t.Fatal(err)
	}
	a, b := layers.NewInput(4), layers.NewInput(4)
	shared := &layers.Dense{Units: 4}
	sa, sb := layers.Apply(shared, a), layers.Apply(shared, b)
	avg := layers.Apply(&layers.Average{}, layers.Apply(inner, sa), layers.Apply(inner, sb), sa)
	dot := layers.Apply(&layers.Dot{Axes: layers.DotAxes{1, 1}, Normalize: true}, sa, sb)
	m, err := models.NewModel(ins(a, b), ins(avg, dot))
	if err != nil {
		t.Fatal(err)
	}
	om := exportONNX(t, m, models.ONNXOptions{})
	if len(om.inits) != 4+3 { // two kernels and biases; Average's 1/3, the epsilon and ReduceSum's axes
		t.Errorf("initializers %v, want the 4 weights once and 3 constants", om.initOrder)
	}
	var nested, sum int
	for _, n := range om.nodes {
		if strings.HasPrefix(n.name, inner.Name+"/") {
			nested++
		}
		if n.op == "Sum" {
			sum++
		}
	}
	if nested != 4 { // Gemm and Tanh, twice
		t.Errorf("%d nodes named under %q, want 4: %v", nested, inner.Name, om.ops())
	}
	if sum != 1 {
		t.Errorf("%d Sum nodes, want Average's", sum)
	}
	avgNode := om.producerOf(t, om.outputs[0].name)
	if avgNode.op != "Mul" || om.inits[avgNode.inputs[1]].floats()[0] != float32(1)/3 {
		t.Errorf("Average ends in %s of %v", avgNode.op, avgNode.inputs)
	}
	if got := om.ops()[len(om.ops())-1]; got != "ReduceSum" {
		t.Errorf("Dot of vectors ends in %s, want ReduceSum", got)
	}
	eps := -1.0
	for _, n := range om.nodes {
		if n.op == "Max" {
			eps = float64(om.inits[n.inputs[1]].floats()[0])
		}
	}
	if eps != float64(float32(1e-12)) {
		t.Errorf("normalize's floor %v, want 1e-12", eps)
	}
}

// An output that is an input, or the same tensor twice, gets an Identity
// under a name of its own.
func TestExportONNXOutputNames(t *testing.T) {
	in := layers.NewInput(3)
	drop := layers.Apply(&layers.Dropout{Rate: 0.1, Base: layers.Base{Name: "drop"}}, in)
	d := layers.Apply(&layers.Dense{Units: 2, Base: layers.Base{Name: "out"}}, in)
	m, err := models.NewModel(ins(in), ins(drop, d, d))
	if err != nil {
		t.Fatal(err)
	}
	om := exportONNX(t, m, models.ONNXOptions{})
	var names []string
	for _, o := range om.outputs {
		names = append(names, o.name)
	}
	if !reflect.DeepEqual(names, []string{"drop", "out", "out_1"}) {
		t.Fatalf("output names %v", names)
	}
	if n := om.producerOf(t, "drop"); n.op != "Identity" || n.inputs[0] != om.inputs[0].name {
		t.Errorf("drop is computed by %s of %v", n.op, n.inputs)
	}
	if n := om.producerOf(t, "out_1"); n.op != "Identity" || n.inputs[0] != "out" {
		t.Errorf("out_1 is computed by %s of %v", n.op, n.inputs)
	}
}

// custom is a layer type the exporter does not know.
type custom struct{ layers.Base }

func (*custom) ClassName() string { return "Custom" }
func (l *custom) Build(in []int) error {
	l.SetOutputShape(in)
	return nil
}
func (*custom) Call(_ *layers.CallContext, x *autograd.Var) *autograd.Var { return x }

func TestExportONNXRefuses(t *testing.T) {
	s := models.NewSequential(&layers.Dense{Units: 2, InputDim: 3}, &custom{Base: layers.Base{Name: "mine"}})
	err := s.ExportONNX(&bytes.Buffer{}, models.ONNXOptions{})
	if err == nil || !strings.Contains(err.Error(), `layer "mine" (Custom)`) || !strings.Contains(err.Error(), "cannot be exported to ONNX") {
		t.Errorf("custom layer: %v", err)
	}
	for _, opset := range []int{16, 22, -1} {
		err := s.ExportONNX(&bytes.Buffer{}, models.ONNXOptions{Opset: opset})
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("opset %d", opset)) {
			t.Errorf("opset %d: %v", opset, err)
		}
	}
	d := models.NewSequential(&layers.Dense{Units: 2, InputDim: 3})
	if err := d.ExportONNX(failWriter{}, models.ONNXOptions{}); !errors.Is(err, errWrite) {
		t.Errorf("write error: %v", err)
	}
}

var errWrite = errors.New("disk full")

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errWrite }
