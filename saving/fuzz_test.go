package saving

import (
	"bytes"
	"math"
	"testing"

	"github.com/neurona/neurona/tensor"
)

// FuzzRead feeds Read arbitrary bytes. It must never panic; on success every
// tensor holds exactly its shape's element count, and writing the file again
// and reading that back gives the same names, shapes, bits and metadata.
func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	Write(&buf, []Entry{
		{Name: "dense_1/kernel", Tensor: tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)},
		{Name: "dense_1/bias", Tensor: tensor.Full(0.5, 3)},
		{Name: "s", Tensor: tensor.Full(-1)},
		{Name: "e", Tensor: tensor.New(0, 4)},
	}, map[string]string{"format": "neurona/1", "config": `{"a":1}`})
	f.Add(buf.Bytes())
	f.Add(file(`{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[4,6]},"d":{"dtype":"F64","shape":[],"data_offsets":[6,14]}}`,
		[]byte{0, 0x3c, 0x00, 0x7e, 0x80, 0x3f, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f}))
	f.Add(file(`{"__metadata__":null}`, nil))
	for _, c := range corrupt {
		f.Add(c.raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		file, err := Read(bytes.NewReader(raw), int64(len(raw)))
		if err != nil {
			return
		}
		for _, e := range file.Entries {
			n := 1
			for _, d := range e.Tensor.Shape {
				if d < 0 {
					t.Fatalf("%q: negative dimension in %v", e.Name, e.Tensor.Shape)
				}
				n *= d
			}
			if len(e.Tensor.Data) != n || e.Tensor.Size() != n {
				t.Fatalf("%q: %d values for shape %v", e.Name, len(e.Tensor.Data), e.Tensor.Shape)
			}
		}
		var again bytes.Buffer
		if err := Write(&again, file.Entries, file.Metadata); err != nil {
			t.Fatalf("rewriting a file that read cleanly: %v", err)
		}
		back, err := Read(bytes.NewReader(again.Bytes()), int64(again.Len()))
		if err != nil {
			t.Fatalf("reading a rewritten file: %v", err)
		}
		if len(back.Entries) != len(file.Entries) || len(back.Metadata) != len(file.Metadata) {
			t.Fatalf("rewrite changed the counts")
		}
		for k, v := range file.Metadata {
			if back.Metadata[k] != v {
				t.Fatalf("rewrite changed metadata %q", k)
			}
		}
		for i, e := range file.Entries {
			b := back.Entries[i]
			if b.Name != e.Name || !tensor.EqualShape(b.Tensor.Shape, e.Tensor.Shape) {
				t.Fatalf("rewrite changed entry %d: %q %v -> %q %v", i, e.Name, e.Tensor.Shape, b.Name, b.Tensor.Shape)
			}
			for j, v := range e.Tensor.Data {
				if math.Float32bits(b.Tensor.Data[j]) != math.Float32bits(v) {
					t.Fatalf("rewrite changed %q[%d]", e.Name, j)
				}
			}
		}
	})
}
