package onnx

import (
	"encoding/hex"
	"testing"
)

// golden is a model written by onnx 1.12's Python helpers (make_tensor with
// raw=True, make_node, make_tensor_value_info, make_graph, make_model,
// set_model_props) and SerializeToString: the same model as goldenModel.
const golden = "080812076e6575726f6e611a04746573743203646f633abd020a150a01780a01771201681a026e3122064d61744d756c0a160a01680a01731201721a026e322207526573686170650a120a01720a01631201791a026e3322034d756c0a6b0a01790a000a016312017a1a026e342206526573697a652a0f0a05616c70686115000040bfa001012a160a0461786573400040ffffffffffffffffff01a001072a120a046d6f646522076e656172657374a001032a150a067363616c65733d0000803f3d00000040a001061201672a230802080310014201774a180000803f000020c000004040000000006f12833a0000e0402a19080210074201734a100000000000000000ffffffffffffffff2a0b10014201634a040000003f5207612067726170685a180a017812130a110801120d0a07120562617463680a02080262180a017a12130a110801120d0a07120562617463680a02080342040a00101172060a016112013172060a0162120132"

func goldenModel() *Model {
	return &Model{
		IRVersion: 8, Opset: 17, ProducerName: "neurona", ProducerVersion: "test", DocString: "doc",
		Metadata: map[string]string{"b": "2", "a": "1"},
		Graph: Graph{
			Name: "g", DocString: "a graph",
			Nodes: []Node{
				{Name: "n1", Op: "MatMul", Inputs: []string{"x", "w"}, Outputs: []string{"h"}},
				{Name: "n2", Op: "Reshape", Inputs: []string{"h", "s"}, Outputs: []string{"r"}},
				{Name: "n3", Op: "Mul", Inputs: []string{"r", "c"}, Outputs: []string{"y"}},
				{Name: "n4", Op: "Resize", Inputs: []string{"y", "", "c"}, Outputs: []string{"z"}, Attrs: []Attr{
					F("alpha", -0.75), Ints("axes", 0, -1), String("mode", "nearest"),
					{Name: "scales", Kind: AttrFloats, Floats: []float32{1, 2}},
				}},
			},
			Initializers: []Tensor{
				FloatTensor("w", []int64{2, 3}, []float32{1, -2.5, 3, 0, 1e-3, 7}),
				Int64Tensor("s", []int64{2}, []int64{0, -1}),
				FloatTensor("c", nil, []float32{0.5}),
			},
			Inputs:  []ValueInfo{{Name: "x", ElemType: Float, Shape: []Dim{{Param: "batch"}, {Value: 2}}}},
			Outputs: []ValueInfo{{Name: "z", ElemType: Float, Shape: []Dim{{Param: "batch"}, {Value: 3}}}},
		},
	}
}

// TestMarshalMatchesONNXHelper pins every field number and wire type
// written against the reference implementation's bytes.
func TestMarshalMatchesONNXHelper(t *testing.T) {
	got := hex.EncodeToString(goldenModel().Marshal())
	if got != golden {
		for i := 0; i < len(got) && i < len(golden); i++ {
			if got[i] != golden[i] {
				t.Fatalf("bytes differ from onnx's at byte %d:\n got %s\nwant %s", i/2, got[i:min(len(got), i+40)], golden[i:min(len(golden), i+40)])
			}
		}
		t.Fatalf("length %d bytes, onnx's is %d", len(got)/2, len(golden)/2)
	}
}
