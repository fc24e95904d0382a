package autograd

import (
	"fmt"

	"github.com/neurona/neurona/tensor"
)

// Row gathering and its adjoint, scatter-add, as Keras's Embedding uses
// them. Ids arrive as float32 tensors holding integers, as Keras's layers
// receive them; they are converted once into the tape's int arena.

var (
	opGather     = register("gather", gatherBackward)
	opScatterAdd = register("scatter_add", scatterAddBackward)
)

// rowIDs converts ids to row numbers of a table with rows rows, into dst
// (len(ids.Data) long). A fractional id is truncated toward zero, as
// Keras's cast to int32; an id outside [0, rows) panics.
func rowIDs(name string, ids *tensor.Tensor, rows int, dst []int32) {
	for i, v := range ids.Data {
		if !(v > -1 && v < float32(rows)) { // NaN fails too
			panic(fmt.Sprintf("autograd: %s: id %v at %d out of range [0, %d)", name, v, i, rows))
		}
		dst[i] = int32(v)
	}
}

// gatherShape is ids.Shape followed by table.Shape[1:], in buf.
func gatherShape(buf *[8]int, name string, table *Var, ids *tensor.Tensor) (shape []int, rowLen int) {
	ts := table.Value.Shape
	if len(ts) == 0 {
		panic(fmt.Sprintf("autograd: %s: scalar table", name))
	}
	shape = append(append(buf[:0], ids.Shape...), ts[1:]...)
	rowLen = 1
	for _, d := range ts[1:] {
		rowLen *= d
	}
	return shape, rowLen
}

// Gather returns the rows of table (along axis 0) that ids select: shape
// ids.Shape + table.Shape[1:]. ids holds integer values in
// [0, table.Shape[0]); an id out of range panics, so callers that take ids
// from users check them first. The gradient adds each output row's
// gradient into the row of the table it came from.
func (tp *Tape) Gather(table *Var, ids *tensor.Tensor) *Var {
	var buf [8]int
	shape, rowLen := gatherShape(&buf, "Gather", table, ids)
	idx := tp.IntScratch(len(ids.Data))
	rowIDs("Gather", ids, table.Value.Shape[0], idx)
	out, nd := tp.output(opGather, shape, table)
	y, t := out.Value.Data, table.Value.Data
	for i, k := range idx {
		r := int(k) * rowLen
		copySmall(y[i*rowLen:(i+1)*rowLen], t[r:r+rowLen])
	}
	if nd != nil {
		nd.idx = idx
	}
	return out
}

func gatherBackward(nd *node) {
	table := nd.in[0]
	if table.Grad == nil {
		return
	}
	scatterRows(table.Grad.Data, nd.out.Grad.Data, nd.idx)
}

// scatterRows adds row i of src into row idx[i] of dst, in order of i.
func scatterRows(dst, src []float32, idx []int32) {
	if len(idx) == 0 {
		return
	}
	rowLen := len(src) / len(idx)
	for i, k := range idx {
		r := int(k) * rowLen
		addTo(dst[r:r+rowLen], src[i*rowLen:(i+1)*rowLen])
	}
}

// ScatterAdd returns a copy of x with row i of updates added into the row
// of x (along axis 0) that id i selects, in order: the adjoint of Gather.
// updates has shape ids.Shape + x.Shape[1:]; ids are as Gather's, and
// repeated ids add up.
func (tp *Tape) ScatterAdd(x *Var, ids *tensor.Tensor, updates *Var) *Var {
	var buf [8]int
	shape, _ := gatherShape(&buf, "ScatterAdd", x, ids)
	if !tensor.EqualShape(shape, updates.Value.Shape) {
		panic(fmt.Sprintf("autograd: ScatterAdd: updates %v for ids %v and input %v", updates.Value.Shape, ids.Shape, x.Value.Shape))
	}
	idx := tp.IntScratch(len(ids.Data))
	rowIDs("ScatterAdd", ids, x.Value.Shape[0], idx)
	out, nd := tp.output(opScatterAdd, x.Value.Shape, x, updates)
	copy(out.Value.Data, x.Value.Data)
	scatterRows(out.Value.Data, updates.Value.Data, idx)
	if nd != nil {
		nd.idx = idx
	}
	return out
}

func scatterAddBackward(nd *node) {
	x, u, dy := nd.in[0], nd.in[1], nd.out.Grad.Data
	if x.Grad != nil {
		addTo(x.Grad.Data, dy)
	}
	if u.Grad == nil || len(nd.idx) == 0 {
		return
	}
	du := u.Grad.Data
	rowLen := len(du) / len(nd.idx)
	for i, k := range nd.idx {
		r := int(k) * rowLen
		addTo(du[i*rowLen:(i+1)*rowLen], dy[r:r+rowLen])
	}
}
