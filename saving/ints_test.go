package saving

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/neurona/neurona/tensor"
)

// An integer tensor round-trips exactly, beyond float32's 2^24, as I64.
func TestIntsRoundTrip(t *testing.T) {
	const n = 1<<24 + 3
	perm := make([]int64, 5)
	for i := range perm {
		perm[i] = n - int64(i) // 16777219, ... not representable in float32
	}
	perm = append(perm, 0, -1, 1<<62)
	entries := []Entry{
		{Name: "w", Tensor: tensor.FromSlice([]float32{1.5, 2}, 2)},
		{Name: "fit/index", Ints: &IntTensor{Shape: []int{2, 4}, Data: perm}},
	}
	var buf bytes.Buffer
	if err := Write(&buf, entries, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), []byte(`"fit/index":{"dtype":"I64","shape":[2,4]`)) {
		t.Errorf("header: %s", buf.Bytes()[8:min(buf.Len(), 200)])
	}
	f, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	it, ok := f.GetInts("fit/index")
	if !ok || !slices.Equal(it.Shape, []int{2, 4}) || !slices.Equal(it.Data, perm) {
		t.Fatalf("GetInts = %+v, %v; want %v", it, ok, perm)
	}
	// Readers of float tensors still see it, converted.
	ft, ok := f.Get("fit/index")
	if !ok || !tensor.EqualShape(ft.Shape, []int{2, 4}) || ft.Data[6] != -1 || ft.Data[0] != float32(perm[0]) {
		t.Errorf("Get(fit/index) = %v, %v", ft, ok)
	}
	if _, ok := f.GetInts("w"); ok {
		t.Error("GetInts found the float tensor w")
	}
}

// I32 and U32 tensors written elsewhere read exactly too.
func TestReadInt32Dtypes(t *testing.T) {
	var data []byte
	data = binary.LittleEndian.AppendUint32(data, uint32(0xffffffff)) // I32 -1
	data = binary.LittleEndian.AppendUint32(data, 1<<24+1)
	data = binary.LittleEndian.AppendUint32(data, uint32(0xffffffff)) // U32 4294967295
	b := file(`{"a":{"dtype":"I32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"U32","shape":[1],"data_offsets":[8,12]}}`, data)
	f, err := Read(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := f.GetInts("a")
	u, _ := f.GetInts("b")
	if a == nil || u == nil || !slices.Equal(a.Data, []int64{-1, 1<<24 + 1}) || !slices.Equal(u.Data, []int64{1<<32 - 1}) {
		t.Errorf("a = %+v, b = %+v", a, u)
	}
}

// Integer tensors are checked like float ones: a shape that the data
// offsets do not cover, or more bytes claimed than the file has, is a
// format error before anything is allocated.
func TestReadIntsBounded(t *testing.T) {
	for name, b := range map[string][]byte{
		"short":      file(`{"i":{"dtype":"I64","shape":[3],"data_offsets":[0,16]}}`, make([]byte, 16)),
		"huge claim": file(`{"i":{"dtype":"I64","shape":[1073741824],"data_offsets":[0,8589934592]}}`, make([]byte, 8)),
	} {
		_, err := Read(bytes.NewReader(b), int64(len(b)))
		if !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err %v, want a format error", name, err)
		}
	}
}

func TestWriteIntsErrors(t *testing.T) {
	for name, e := range map[string]Entry{
		"both":     {Name: "x", Tensor: tensor.New(1), Ints: &IntTensor{Shape: []int{1}, Data: []int64{1}}},
		"neither":  {Name: "x"},
		"bad size": {Name: "x", Ints: &IntTensor{Shape: []int{3}, Data: []int64{1}}},
		"negative": {Name: "x", Ints: &IntTensor{Shape: []int{-1}, Data: nil}},
	} {
		err := Write(&bytes.Buffer{}, []Entry{e}, nil)
		if err == nil || !strings.Contains(err.Error(), `"x"`) {
			t.Errorf("%s: err %v, want an error naming the tensor", name, err)
		}
	}
}
