// Package onnx writes ONNX models: small builder types for a graph (nodes,
// initializers, inputs and outputs with their shapes) and their encoding as
// the bytes of an onnx.ModelProto, written by hand with protowire.
//
// Only what a feed-forward float32 network needs is here: tensors of
// float32 or int64 (written as raw_data), attributes of the scalar and
// list kinds, and tensor types with fixed or named dimensions. Fields are
// written in field-number order and repeated scalars unpacked, as the
// reference protobuf implementation writes onnx.proto (a proto2 file), so
// that a model's bytes are those onnx.helper would produce.
package onnx

import (
	"encoding/binary"
	"math"
	"sort"

	"google.golang.org/protobuf/encoding/protowire"
)

// Element types (TensorProto.DataType).
const (
	Float = 1
	Int64 = 7
)

// Model is a ModelProto: one graph and the default-domain opset it uses.
type Model struct {
	IRVersion       int64
	Opset           int64 // the version of the default ("") domain
	ProducerName    string
	ProducerVersion string
	DocString       string
	Graph           Graph
	// Metadata becomes metadata_props, sorted by key.
	Metadata map[string]string
}

// Graph is a GraphProto.
type Graph struct {
	Name         string
	DocString    string
	Nodes        []Node // in topological order
	Initializers []Tensor
	Inputs       []ValueInfo
	Outputs      []ValueInfo
}

// Node is a NodeProto of the default domain.
type Node struct {
	Name    string
	Op      string
	Inputs  []string // "" for an omitted optional input
	Outputs []string
	Attrs   []Attr
}

// Tensor is a TensorProto: a float32 (Float) or int64 (Int64) tensor
// stored as little-endian raw_data. Dims empty is a scalar.
type Tensor struct {
	Name   string
	Dims   []int64
	Type   int32 // Float or Int64
	Floats []float32
	Ints   []int64
}

// FloatTensor returns a float32 tensor.
func FloatTensor(name string, dims []int64, v []float32) Tensor {
	return Tensor{Name: name, Dims: dims, Type: Float, Floats: v}
}

// Int64Tensor returns an int64 tensor.
func Int64Tensor(name string, dims []int64, v []int64) Tensor {
	return Tensor{Name: name, Dims: dims, Type: Int64, Ints: v}
}

// Dim is one dimension of a tensor type: a fixed size, or a named
// (dynamic) one when Param is set.
type Dim struct {
	Value int64
	Param string
}

// ValueInfo is a ValueInfoProto of a tensor type.
type ValueInfo struct {
	Name     string
	ElemType int32
	Shape    []Dim
}

// AttrKind is an AttributeProto.AttributeType.
type AttrKind int32

// The attribute kinds written.
const (
	AttrFloat  AttrKind = 1
	AttrInt    AttrKind = 2
	AttrString AttrKind = 3
	AttrFloats AttrKind = 6
	AttrInts   AttrKind = 7
	// AttrStrings is STRINGS (the recurrent ops' activations).
	AttrStrings AttrKind = 8
)

// Attr is an AttributeProto of one of the kinds above.
type Attr struct {
	Name   string
	Kind   AttrKind
	F      float32
	I      int64
	S      string
	Floats []float32
	Ints   []int64
	// Strings holds a STRINGS attribute's values.
	Strings []string
}

// Int returns an INT attribute.
func Int(name string, v int64) Attr { return Attr{Name: name, Kind: AttrInt, I: v} }

// Ints returns an INTS attribute.
func Ints(name string, v ...int64) Attr { return Attr{Name: name, Kind: AttrInts, Ints: v} }

// F returns a FLOAT attribute.
func F(name string, v float32) Attr { return Attr{Name: name, Kind: AttrFloat, F: v} }

// String returns a STRING attribute.
func String(name, v string) Attr { return Attr{Name: name, Kind: AttrString, S: v} }

// Strings returns a STRINGS attribute.
func Strings(name string, v ...string) Attr { return Attr{Name: name, Kind: AttrStrings, Strings: v} }

// Marshal returns the ModelProto bytes of m.
func (m *Model) Marshal() []byte {
	var b []byte
	b = appendInt(b, 1, m.IRVersion)
	b = appendString(b, 2, m.ProducerName)
	b = appendString(b, 3, m.ProducerVersion)
	b = appendString(b, 6, m.DocString)
	b = appendMessage(b, 7, m.Graph.marshal())
	var opset []byte
	opset = protowire.AppendTag(opset, 1, protowire.BytesType) // domain "": written, as onnx.helper does
	opset = protowire.AppendString(opset, "")
	opset = appendInt(opset, 2, m.Opset)
	b = appendMessage(b, 8, opset)
	keys := make([]string, 0, len(m.Metadata))
	for k := range m.Metadata {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var e []byte
		e = appendString(e, 1, k)
		e = appendString(e, 2, m.Metadata[k])
		b = appendMessage(b, 14, e)
	}
	return b
}

func (g *Graph) marshal() []byte {
	var b []byte
	for i := range g.Nodes {
		b = appendMessage(b, 1, g.Nodes[i].marshal())
	}
	b = appendString(b, 2, g.Name)
	for i := range g.Initializers {
		b = appendMessage(b, 5, g.Initializers[i].marshal())
	}
	b = appendString(b, 10, g.DocString)
	for i := range g.Inputs {
		b = appendMessage(b, 11, g.Inputs[i].marshal())
	}
	for i := range g.Outputs {
		b = appendMessage(b, 12, g.Outputs[i].marshal())
	}
	return b
}

func (n *Node) marshal() []byte {
	var b []byte
	for _, s := range n.Inputs {
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendString(b, s)
	}
	for _, s := range n.Outputs {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, s)
	}
	b = appendString(b, 3, n.Name)
	b = appendString(b, 4, n.Op)
	for i := range n.Attrs {
		b = appendMessage(b, 5, n.Attrs[i].marshal())
	}
	return b
}

func (a *Attr) marshal() []byte {
	var b []byte
	b = appendString(b, 1, a.Name)
	switch a.Kind {
	case AttrFloat:
		b = protowire.AppendTag(b, 2, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(a.F))
	case AttrInt:
		b = protowire.AppendTag(b, 3, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(a.I))
	case AttrString:
		b = protowire.AppendTag(b, 4, protowire.BytesType)
		b = protowire.AppendString(b, a.S)
	case AttrFloats:
		for _, f := range a.Floats {
			b = protowire.AppendTag(b, 7, protowire.Fixed32Type)
			b = protowire.AppendFixed32(b, math.Float32bits(f))
		}
	case AttrInts:
		for _, v := range a.Ints {
			b = protowire.AppendTag(b, 8, protowire.VarintType)
			b = protowire.AppendVarint(b, uint64(v))
		}
	case AttrStrings:
		for _, v := range a.Strings {
			b = protowire.AppendTag(b, 9, protowire.BytesType)
			b = protowire.AppendString(b, v)
		}
	}
	b = protowire.AppendTag(b, 20, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(a.Kind))
	return b
}

func (t *Tensor) marshal() []byte {
	var b []byte
	for _, d := range t.Dims {
		b = protowire.AppendTag(b, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(d))
	}
	b = protowire.AppendTag(b, 2, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(t.Type))
	b = appendString(b, 8, t.Name)
	var raw []byte
	switch t.Type {
	case Float:
		raw = make([]byte, 0, 4*len(t.Floats))
		for _, f := range t.Floats {
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(f))
		}
	case Int64:
		raw = make([]byte, 0, 8*len(t.Ints))
		for _, v := range t.Ints {
			raw = binary.LittleEndian.AppendUint64(raw, uint64(v))
		}
	}
	b = protowire.AppendTag(b, 9, protowire.BytesType)
	b = protowire.AppendBytes(b, raw)
	return b
}

func (v *ValueInfo) marshal() []byte {
	var shape []byte
	for _, d := range v.Shape {
		var dim []byte
		if d.Param != "" {
			dim = appendString(dim, 2, d.Param)
		} else {
			dim = protowire.AppendTag(dim, 1, protowire.VarintType)
			dim = protowire.AppendVarint(dim, uint64(d.Value))
		}
		shape = appendMessage(shape, 1, dim)
	}
	var tensor []byte
	tensor = protowire.AppendTag(tensor, 1, protowire.VarintType)
	tensor = protowire.AppendVarint(tensor, uint64(v.ElemType))
	tensor = protowire.AppendTag(tensor, 2, protowire.BytesType)
	tensor = protowire.AppendBytes(tensor, shape) // present even for a scalar
	var typ []byte
	typ = appendMessage(typ, 1, tensor)
	var b []byte
	b = appendString(b, 1, v.Name)
	b = appendMessage(b, 2, typ)
	return b
}

// appendString appends a string field unless it is empty (proto2's
// unset optional field).
func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

// appendInt appends an int64 field unless it is 0.
func appendInt(b []byte, num protowire.Number, v int64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(v))
}

func appendMessage(b []byte, num protowire.Number, msg []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, msg)
}
