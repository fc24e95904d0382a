// Package tensor holds neurona's n-dimensional array: float32 data and a
// shape, row-major and contiguous.
//
// A Tensor has no autodiff and starts no goroutines; package autograd builds
// on it. Shape errors made by a programmer panic with a clear message, as in
// gonum; the layers above return errors for anything a user can get wrong.
package tensor

import (
	"fmt"
	"strings"
)

// maxInlineDims is how many dimensions a Tensor stores without a separate
// allocation for its shape.
const maxInlineDims = 6

// Tensor is a dense, row-major float32 array.
//
// Data holds exactly Size() elements. Shape is never nil; a scalar has an
// empty shape and one element.
type Tensor struct {
	Data  []float32
	Shape []int

	shapeBuf [maxInlineDims]int
}

// New returns a zero tensor of the given shape.
func New(shape ...int) *Tensor {
	t := &Tensor{}
	t.setShape(shape)
	t.Data = make([]float32, t.Size())
	return t
}

// FromSlice returns a tensor that uses data (without copying) with the given
// shape. It panics if len(data) does not match the shape.
func FromSlice(data []float32, shape ...int) *Tensor {
	t := &Tensor{}
	t.setShape(shape)
	if len(data) != t.Size() {
		panic(fmt.Sprintf("tensor: FromSlice: %d values for shape %v", len(data), copyShape(shape)))
	}
	t.Data = data
	return t
}

// Full returns a tensor of the given shape with every element set to v.
func Full(v float32, shape ...int) *Tensor {
	t := New(shape...)
	t.Fill(v)
	return t
}

func shapeSize(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("tensor: negative dimension in shape %v", copyShape(shape)))
		}
		n *= d
	}
	return n
}

// copyShape returns a copy of shape, so that formatting it in a panic
// message does not make every caller's shape escape to the heap.
func copyShape(shape []int) []int { return append([]int(nil), shape...) }

// setShape copies shape into t without allocating when it has at most
// maxInlineDims dimensions.
func (t *Tensor) setShape(shape []int) {
	shapeSize(shape) // validates
	if len(shape) <= maxInlineDims {
		t.Shape = t.shapeBuf[:len(shape)]
	} else {
		t.Shape = make([]int, len(shape))
	}
	copy(t.Shape, shape)
}

// Size returns the number of elements.
func (t *Tensor) Size() int { return shapeSize(t.Shape) }

// Dims returns the number of dimensions.
func (t *Tensor) Dims() int { return len(t.Shape) }

// Dim returns the size of dimension i; negative i counts from the end.
func (t *Tensor) Dim(i int) int {
	if i < 0 {
		i += len(t.Shape)
	}
	return t.Shape[i]
}

// Rows returns the first dimension (the batch dimension by convention).
func (t *Tensor) Rows() int {
	if len(t.Shape) == 0 {
		return 1
	}
	return t.Shape[0]
}

// RowSize returns the number of elements per row: Size()/Rows().
func (t *Tensor) RowSize() int {
	r := t.Rows()
	if r == 0 {
		return shapeSize(t.Shape[1:])
	}
	return len(t.Data) / r
}

// Row returns row i as a slice of t's data (no copy).
func (t *Tensor) Row(i int) []float32 {
	n := t.RowSize()
	return t.Data[i*n : (i+1)*n : (i+1)*n]
}

// Reshape returns a view of t with a new shape of the same size. One
// dimension may be -1 and is inferred.
func (t *Tensor) Reshape(shape ...int) *Tensor {
	resolved := copyShape(shape)
	infer := -1
	known := 1
	for i, d := range resolved {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			panic(fmt.Sprintf("tensor: Reshape: bad dimension %d in %v", d, resolved))
		default:
			known *= d
		}
	}
	if infer >= 0 {
		if known == 0 || len(t.Data)%known != 0 {
			panic(fmt.Sprintf("tensor: Reshape: cannot reshape %v into %v", t.Shape, resolved))
		}
		resolved[infer] = len(t.Data) / known
	}
	if shapeSize(resolved) != len(t.Data) {
		panic(fmt.Sprintf("tensor: Reshape: cannot reshape %v into %v", t.Shape, resolved))
	}
	v := &Tensor{Data: t.Data}
	v.setShape(resolved)
	return v
}

// Resize changes t's shape in place, reusing its storage when it is large
// enough. The contents are unspecified afterwards. It does not allocate when
// the new size fits the existing capacity.
func (t *Tensor) Resize(shape ...int) {
	t.setShape(shape)
	n := shapeSize(t.Shape)
	if cap(t.Data) >= n {
		t.Data = t.Data[:n]
	} else {
		t.Data = make([]float32, n)
	}
}

// Clone returns a deep copy of t.
func (t *Tensor) Clone() *Tensor {
	c := New(t.Shape...)
	copy(c.Data, t.Data)
	return c
}

// CopyFrom copies src's data into t. The sizes must match.
func (t *Tensor) CopyFrom(src *Tensor) {
	if len(src.Data) != len(t.Data) {
		panic(fmt.Sprintf("tensor: CopyFrom: size %d into %d", len(src.Data), len(t.Data)))
	}
	copy(t.Data, src.Data)
}

// Fill sets every element to v.
func (t *Tensor) Fill(v float32) {
	for i := range t.Data {
		t.Data[i] = v
	}
}

// Zero sets every element to 0.
func (t *Tensor) Zero() { clear(t.Data) }

// At returns the element at the given index.
func (t *Tensor) At(idx ...int) float32 { return t.Data[t.offset(idx)] }

// Set sets the element at the given index.
func (t *Tensor) Set(v float32, idx ...int) { t.Data[t.offset(idx)] = v }

func (t *Tensor) offset(idx []int) int {
	if len(idx) != len(t.Shape) {
		panic(fmt.Sprintf("tensor: index %v for shape %v", idx, t.Shape))
	}
	off := 0
	for i, x := range idx {
		if x < 0 || x >= t.Shape[i] {
			panic(fmt.Sprintf("tensor: index %v out of range for shape %v", idx, t.Shape))
		}
		off = off*t.Shape[i] + x
	}
	return off
}

// SameShape reports whether a and b have identical shapes.
func SameShape(a, b *Tensor) bool { return EqualShape(a.Shape, b.Shape) }

// EqualShape reports whether two shapes are identical.
func EqualShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ShapeString formats a shape as (2, 3).
func ShapeString(shape []int) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, d := range shape {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprint(&b, d)
	}
	if len(shape) == 1 {
		b.WriteByte(',')
	}
	b.WriteByte(')')
	return b.String()
}

// String formats small tensors fully and large ones by shape.
func (t *Tensor) String() string {
	if len(t.Data) > 64 {
		return fmt.Sprintf("Tensor%s", ShapeString(t.Shape))
	}
	return fmt.Sprintf("Tensor%s%v", ShapeString(t.Shape), t.Data)
}

// HasNaN reports whether any element is NaN or infinite.
func (t *Tensor) HasNaN() bool {
	for _, v := range t.Data {
		if v != v || v > maxFloat32 || v < -maxFloat32 {
			return true
		}
	}
	return false
}

const maxFloat32 = 3.40282346638528859811704183484516925440e+38

// GatherRows copies rows idx of src into dst, which must have len(idx) rows
// of src's row size. It does not allocate.
func GatherRows(dst, src *Tensor, idx []int) {
	if dst.Rows() != len(idx) {
		panic(fmt.Sprintf("tensor: GatherRows: dst %v, src %v, %d rows", dst.Shape, src.Shape, len(idx)))
	}
	GatherRowsAt(dst, 0, src, idx)
}

// GatherRowsAt copies rows idx of src into rows [at, at+len(idx)) of dst,
// which must have src's row size. It does not allocate.
func GatherRowsAt(dst *Tensor, at int, src *Tensor, idx []int) {
	n := src.RowSize()
	if dst.RowSize() != n || at < 0 || at+len(idx) > dst.Rows() {
		panic(fmt.Sprintf("tensor: GatherRowsAt: dst %v at row %d, src %v, %d rows", dst.Shape, at, src.Shape, len(idx)))
	}
	for i, r := range idx {
		copy(dst.Data[(at+i)*n:(at+i+1)*n], src.Data[r*n:(r+1)*n])
	}
}

// SetView makes t a view of data with the given shape, without copying and
// without allocating when the shape has few dimensions. It panics if the
// sizes differ.
func (t *Tensor) SetView(data []float32, shape ...int) {
	t.setShape(shape)
	if len(data) != t.Size() {
		panic(fmt.Sprintf("tensor: SetView: %d values for shape %v", len(data), copyShape(shape)))
	}
	t.Data = data
}
