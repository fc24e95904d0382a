package autograd

import "fmt"

// GradWatch tells BackwardNotify which Vars' gradients to report as final.
// Build it once with NewGradWatch; it holds per-step scratch and allocates
// nothing afterwards.
type GradWatch struct {
	index map[*Var]int // watched Var → its position in the list
	last  []int        // per watched Var: the earliest node that reads it
}

// NewGradWatch watches vs (typically a model's trainable weights).
func NewGradWatch(vs []*Var) *GradWatch {
	w := &GradWatch{index: make(map[*Var]int, len(vs)), last: make([]int, len(vs))}
	for i, v := range vs {
		w.index[v] = i
	}
	return w
}

// BackwardNotify is Backward that calls done(k) as soon as the gradient of
// the k-th watched Var is final, that is once the earliest recorded node
// that reads it has been replayed (no node replayed later can add to it).
// A watched Var that no node reads is reported before the replay starts.
// Every watched Var is reported exactly once, in an order that depends
// only on the recorded graph. It is how data-parallel training starts
// reducing a bucket of gradients while the rest of the backward pass runs.
func (tp *Tape) BackwardNotify(loss *Var, w *GradWatch, done func(k int)) {
	if loss.Value.Size() != 1 {
		panic(fmt.Sprintf("autograd: Backward of a non-scalar of shape %v", loss.Value.Shape))
	}
	n := len(tp.nodes)
	for k := range w.last {
		w.last[k] = n
	}
	for i := range tp.nodes {
		for _, in := range tp.nodes[i].inputs() {
			if k, ok := w.index[in]; ok && w.last[k] > i {
				w.last[k] = i
			}
		}
	}
	for k, l := range w.last {
		if l == n {
			done(k)
		}
	}
	if loss.Grad == nil { // nothing recorded leads to the loss
		for k, l := range w.last {
			if l < n {
				done(k)
			}
		}
		return
	}
	loss.Grad.Data[0] = 1
	for i := n - 1; i >= 0; i-- {
		nd := &tp.nodes[i]
		ops[nd.op].backward(nd)
		for _, in := range nd.inputs() {
			if k, ok := w.index[in]; ok && w.last[k] == i {
				w.last[k] = -1 // reported (an input may appear twice)
				done(k)
			}
		}
	}
}
