package autograd

import "fmt"

// Concatenation and slicing along any axis, as Keras's Concatenate and
// tf.split. Axes count the batch dimension as 0; a negative axis counts
// from the end. A tensor is seen as (outer, dim, inner) around the axis, so
// each op copies outer blocks per input.

var (
	opConcat = register("concat", concatBackward)
	opSlice  = register("slice", sliceBackward)
)

// normAxis resolves a possibly negative axis for a tensor of rank dims.
func normAxis(name string, axis, dims int) int {
	a := axis
	if a < 0 {
		a += dims
	}
	if a < 0 || a >= dims {
		panic(fmt.Sprintf("autograd: %s: axis %d out of range for rank %d", name, axis, dims))
	}
	return a
}

// around returns the product of the dimensions before axis and of those
// after it.
func around(shape []int, axis int) (outer, inner int) {
	outer, inner = 1, 1
	for _, d := range shape[:axis] {
		outer *= d
	}
	for _, d := range shape[axis+1:] {
		inner *= d
	}
	return outer, inner
}

// Concat joins xs along axis. The inputs must have the same rank and agree
// on every other dimension.
func (tp *Tape) Concat(axis int, xs ...*Var) *Var {
	if len(xs) == 0 {
		panic("autograd: Concat: no inputs")
	}
	s0 := xs[0].Value.Shape
	ax := normAxis("Concat", axis, len(s0))
	var buf [8]int
	shape := append(buf[:0], s0...)
	shape[ax] = 0
	for _, x := range xs {
		s := x.Value.Shape
		ok := len(s) == len(s0)
		for i := 0; ok && i < len(s); i++ {
			ok = i == ax || s[i] == s0[i]
		}
		if !ok {
			panic(fmt.Sprintf("autograd: Concat: shapes %v and %v do not fit along axis %d", s0, s, axis))
		}
		shape[ax] += s[ax]
	}
	out, nd := tp.output(opConcat, shape, xs...)
	outer, inner := around(shape, ax)
	y, row, off := out.Value.Data, shape[ax]*inner, 0
	for _, x := range xs {
		blk := x.Value.Shape[ax] * inner
		for o := range outer {
			copy(y[o*row+off:o*row+off+blk], x.Value.Data[o*blk:(o+1)*blk])
		}
		off += blk
	}
	if nd != nil {
		nd.ints[0] = ax
	}
	return out
}

func concatBackward(nd *node) {
	ax, dy := nd.ints[0], nd.out.Grad.Data
	outer, inner := around(nd.out.Value.Shape, ax)
	row, off := nd.out.Value.Shape[ax]*inner, 0
	for _, x := range nd.inputs() {
		blk := x.Value.Shape[ax] * inner
		if x.Grad != nil {
			for o := range outer {
				addTo(x.Grad.Data[o*blk:(o+1)*blk], dy[o*row+off:o*row+off+blk])
			}
		}
		off += blk
	}
}

// Slice returns the positions [start, end) of x along axis, a copy.
func (tp *Tape) Slice(x *Var, axis, start, end int) *Var {
	s := x.Value.Shape
	ax := normAxis("Slice", axis, len(s))
	if start < 0 || start > end || end > s[ax] {
		panic(fmt.Sprintf("autograd: Slice: [%d, %d) out of range for axis %d of %v", start, end, axis, s))
	}
	var buf [8]int
	shape := append(buf[:0], s...)
	shape[ax] = end - start
	out, nd := tp.output(opSlice, shape, x)
	outer, inner := around(s, ax)
	row, blk, off := s[ax]*inner, (end-start)*inner, start*inner
	y := out.Value.Data
	for o := range outer {
		copy(y[o*blk:(o+1)*blk], x.Value.Data[o*row+off:o*row+off+blk])
	}
	if nd != nil {
		nd.ints[0], nd.ints[1], nd.ints[2] = ax, start, end
	}
	return out
}

func sliceBackward(nd *node) {
	x := nd.in[0]
	if x.Grad == nil {
		return
	}
	ax, start, end := nd.ints[0], nd.ints[1], nd.ints[2]
	s := x.Value.Shape
	outer, inner := around(s, ax)
	row, blk, off := s[ax]*inner, (end-start)*inner, start*inner
	dx, dy := x.Grad.Data, nd.out.Grad.Data
	for o := range outer {
		addTo(dx[o*row+off:o*row+off+blk], dy[o*blk:(o+1)*blk])
	}
}

// Split cuts x along axis into consecutive parts of the given sizes, which
// must add up to the axis's length. The returned list comes from the tape's
// arena and, like the Vars in it, is valid until the next Reset.
func (tp *Tape) Split(x *Var, axis int, sizes ...int) []*Var {
	s := x.Value.Shape
	ax := normAxis("Split", axis, len(s))
	total := 0
	for _, n := range sizes {
		if n < 0 {
			total = -1
			break
		}
		total += n
	}
	if total != s[ax] {
		// Printing a copy keeps the callers' sizes on their stacks.
		panic(fmt.Sprintf("autograd: Split: sizes %v do not add up to axis %d of %v", append([]int(nil), sizes...), axis, s))
	}
	parts := tp.varList(len(sizes))
	start := 0
	for i, n := range sizes {
		parts[i] = tp.Slice(x, ax, start, start+n)
		start += n
	}
	return parts
}
