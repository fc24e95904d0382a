package autograd

import (
	"fmt"

	"github.com/neurona/neurona/internal/cpu"
	"github.com/neurona/neurona/tensor"
)

// RNNCell selects the recurrence of Tape.RNN.
type RNNCell uint8

// The recurrent cells, with Keras's equations (keras/layers/recurrent.py,
// Keras 2.2). Gate blocks sit in the kernels' columns in Keras's order.
const (
	// SimpleRNNCell: h = act(x·W + b + h₋·U).
	SimpleRNNCell RNNCell = iota
	// LSTMCell: gates i, f, c, o; c = f·c₋ + i·act(x_c + h₋·U_c);
	// h = o·act(c), with i, f, o through the recurrent activation.
	LSTMCell
	// GRUCell: gates z, r, h; h = z·h₋ + (1−z)·hh. Without ResetAfter
	// (Keras 2.2's default) hh = act(x_h + (r·h₋)·U_h) and the bias is one
	// vector; with it (TF2, cuDNN) hh = act(x_h + r·(h₋·U_h + b_rec_h)) and
	// the bias is a 2×3U matrix: input bias, then recurrent bias.
	GRUCell
)

func (c RNNCell) gates() int {
	switch c {
	case LSTMCell:
		return 4
	case GRUCell:
		return 3
	}
	return 1
}

var rnnCellNames = [...]string{"simple_rnn", "lstm", "gru"}

func (c RNNCell) String() string {
	if int(c) < len(rnnCellNames) {
		return rnnCellNames[c]
	}
	return "RNNCell(?)"
}

// RNNActivation is an activation of a recurrent cell. Each derivative is
// computed from the activation's output.
type RNNActivation uint8

// The activations Tape.RNN applies.
const (
	RNNLinear RNNActivation = iota
	RNNTanh
	RNNSigmoid
	// RNNHardSigmoid is Keras's hard_sigmoid: clip(0.2x + 0.5, 0, 1).
	RNNHardSigmoid
	RNNReLU
)

// RNNOptions configures Tape.RNN.
type RNNOptions struct {
	Cell RNNCell
	// Activation (tanh in Keras) and RecurrentActivation (hard_sigmoid in
	// Keras 2.2) of the cell; SimpleRNN uses only Activation.
	Activation, RecurrentActivation RNNActivation
	// ReturnSequences returns every step's h, (batch, steps, units), in
	// the order processed; otherwise the last one, (batch, units).
	ReturnSequences bool
	// GoBackwards processes the steps last to first.
	GoBackwards bool
	// ResetAfter selects the GRU's reset-after form (see GRUCell).
	ResetAfter bool
	// InputOrder returns a GoBackwards sequence in the input's time order
	// (the state after input step t at position t) rather than in the
	// order processed: Bidirectional's backward layer, which Keras
	// reverses back.
	InputOrder bool
	// Dropout, when positive, drops inputs as Keras's dropout argument in
	// training: one mask per gate (1 for SimpleRNN, 4 for LSTM, 3 for GRU,
	// Keras 2.2's implementation 1) of shape (batch, features), the same
	// at every step, survivors scaled by 1/(1−Dropout). The masks are drawn
	// from RNG in the order gate, sample, feature, an element surviving
	// when RNG.Float32() ≥ Dropout. Leave it 0 at inference.
	Dropout float32
	// RecurrentDropout drops the previous state likewise (Keras's
	// recurrent_dropout): one (batch, units) mask per gate, drawn after
	// the input masks, applied to h₋ where each gate reads it.
	RecurrentDropout float32
	RNG              *tensor.RNG
	// Mask, when set, is Keras's sequence mask, (batch, steps): at a step
	// whose value is 0 the state is carried over unchanged (and, with
	// ReturnSequences, the previous output repeated), as Keras's K.rnn
	// does for the padding that Embedding(mask_zero=True) marks.
	Mask *tensor.Tensor
}

const (
	rnnReturnSeq = 1 << iota
	rnnBackwards
	rnnResetAfter
	rnnInputOrder
	rnnMasked
	rnnRecMasked
	rnnStates
)

var (
	opRNN      = register("rnn", rnnBackward)
	opRNNState = register("rnn_state", rnnStateBackward)
)

// rnnAct applies a in place.
func rnnAct(y []float32, a RNNActivation) {
	switch a {
	case RNNLinear:
	case RNNTanh:
		rnnTanh(y)
	case RNNSigmoid:
		cpu.SigmoidF32(y, y)
	case RNNHardSigmoid:
		cpu.HardSigmoid(y)
	case RNNReLU:
		cpu.Relu(y, y)
	default:
		panic("autograd: unknown recurrent activation")
	}
}

// rnnTanh computes tanh in place with cpu.TanhF32 (math.Tanh per element
// was a sixth of an LSTM step; cpu.ExpTanh's float64 exponential, 2.5
// times slower than TanhF32, a tenth of it). The gates' sigmoid is
// cpu.SigmoidF32 likewise: both are within 2 float32 ulps of the exact
// values.
func rnnTanh(y []float32) { cpu.TanhF32(y, y) }

// rnnActGrad sets g[i] *= a'(x) where y[i] = a(x).
func rnnActGrad(g, y []float32, a RNNActivation) {
	y = y[:len(g)]
	switch a {
	case RNNLinear:
	case RNNTanh:
		cpu.TanhGrad(g, y)
	case RNNSigmoid:
		cpu.SigmoidGrad(g, y)
	case RNNHardSigmoid:
		cpu.HardSigmoidGrad(g, y)
	case RNNReLU:
		for i, v := range y {
			if v <= 0 {
				g[i] = 0
			}
		}
	}
}

// rnnDims holds the sizes of an RNN node and the offsets of what it saves.
type rnnDims struct {
	b, t, d, u, g int
	// saved: P (b,t,gu) activated gates; H (b,t+1,u) states; C (b,t+1,u)
	// cell states and A (b,t,u) act(c) for the LSTM; R (b,t,u) r·h₋ or
	// h₋·U_h + b_rec_h for the GRU.
	pOff, hOff, cOff, aOff, rOff, saveLen int
	// with input dropout: XM (g,b,t,d) the masked inputs of every gate,
	// after the rest.
	xmOff int
	// with recurrent dropout: RM (g,b,u) the masks, after XM.
	rmOff int
	// backward scratch: DZ (kc steps × b × gu) the gate gradients of the
	// chunk of steps in flight (see rnnBackward), dh (b,u), dc (b,u), tmp
	// (b,gu), DXC (kc·b, d) a chunk's input gradient; with a mask, the
	// masked rows' dh and dc (b,u each) after them; with recurrent dropout
	// two (b,u) buffers after those. Then Uᵀ packed once per backward pass
	// for the per-step dh GEMMs (cpu.PackB; for the reset-before GRU U_zrᵀ
	// and U_hᵀ apart, utLen floats); XC (kc·b, d) the chunk's inputs, one
	// block per gate with dropout; and, without recurrent dropout (nor
	// reset-after), HC (kc·b, u) the states before the chunk's steps and,
	// for the GRU, RC (kc·b, u) their r·h₋, for dU's GEMMs.
	dzOff, dhOff, dcOff, tmpOff, dxOff, keepOff, hmOff, utOff, xcOff, hcOff, rcOff, bwdLen int
	utLen                                                                                  int
	// kc is the steps of a chunk: the backward pass runs the weight
	// gradients' GEMMs over each kc steps' dz while it is in cache.
	kc int
	// fwdPack is the length of the forward pass's packed U (the same
	// blocks untransposed), 0 with recurrent dropout.
	fwdPack int
}

// rnnChunkFloats bounds a backward chunk's dz (floats): 2 MiB, a core's L2
// on the machines this was tuned on.
var rnnChunkFloats = 1 << 19

func newRNNDims(cell RNNCell, resetAfter bool, b, t, d, u int, masked, seqMasked, recMasked bool) rnnDims {
	g := cell.gates()
	r := rnnDims{b: b, t: t, d: d, u: u, g: g}
	gu := g * u
	r.pOff = 0
	r.hOff = b * t * gu
	n := r.hOff + b*(t+1)*u
	r.cOff, r.aOff, r.rOff = n, n, n
	switch cell {
	case LSTMCell:
		r.cOff = n
		r.aOff = n + b*(t+1)*u
		n = r.aOff + b*t*u
	case GRUCell:
		r.rOff = n
		n += b * t * u
	}
	r.xmOff = n
	if masked {
		n += g * b * t * d
	}
	r.rmOff = n
	if recMasked {
		n += g * b * u
	}
	r.saveLen = n
	r.kc = max(1, min(t, rnnChunkFloats/max(1, b*gu)))
	kb := r.kc * b
	r.dzOff = 0
	r.dhOff = kb * gu
	r.dcOff = r.dhOff + b*u
	r.tmpOff = r.dcOff + b*u
	r.dxOff = r.tmpOff + b*gu
	r.keepOff = r.dxOff + kb*d
	r.hmOff = r.keepOff
	if seqMasked {
		r.hmOff += 2 * b * u
	}
	r.utOff = r.hmOff
	if recMasked {
		r.utOff += 2 * b * u
	}
	if cell == GRUCell && !resetAfter {
		r.utLen = cpu.PackedBLen(2*u, u) + cpu.PackedBLen(u, u)
		if !recMasked {
			r.fwdPack = cpu.PackedBLen(u, 2*u) + cpu.PackedBLen(u, u)
		}
	} else {
		r.utLen = cpu.PackedBLen(gu, u)
		if !recMasked {
			r.fwdPack = cpu.PackedBLen(u, gu)
		}
	}
	r.xcOff = r.utOff + r.utLen
	r.hcOff = r.xcOff + kb*d
	if masked {
		r.hcOff = r.xcOff + g*kb*d
	}
	r.rcOff, r.bwdLen = r.hcOff, r.hcOff
	if !recMasked && !(cell == GRUCell && resetAfter) {
		r.rcOff = r.hcOff + kb*u
		r.bwdLen = r.rcOff
		if cell == GRUCell {
			r.bwdLen += kb * u
		}
	}
	return r
}

// steps: the input time index of processing step s, and the H slots of the
// state before and after it. Slot 0 (forwards) or t (backwards) holds the
// zero initial state.
func (r *rnnDims) step(s int, back bool) (tIn, prev, next int) {
	if back {
		tIn = r.t - 1 - s
		return tIn, tIn + 1, tIn
	}
	return s, s, s + 1
}

// RNN runs a recurrent layer over x of shape (batch, steps, features) as
// one node: the input projections of all steps in one GEMM, then the
// recurrence, one (batch×units)·(units×gates·units) GEMM per step. w is
// the kernel (features, gates·units), u the recurrent kernel (units,
// gates·units), b the bias (gates·units; 2×3·units for the reset-after
// GRU) or nil. The initial state is zero. Backward is backpropagation
// through time inside the node, with the kernel's and the input's
// gradients one GEMM each over all steps.
func (tp *Tape) RNN(x, w, u, b *Var, o RNNOptions) *Var {
	out, _, _, _ := tp.rnn(x, w, u, b, o, false)
	return out
}

// RNNStates is RNN that also returns the final state, as Keras's
// return_state: h (batch, units) and, for the LSTM, the cell state c
// (batch, units; nil for the other cells). With a mask, it is the state
// carried over the padded steps; with GoBackwards, the state after the
// first input step. Gradients that reach h and c join those of out in
// the node's backpropagation through time.
func (tp *Tape) RNNStates(x, w, u, b *Var, o RNNOptions) (out, h, c *Var) {
	out, save, bwd, r := tp.rnn(x, w, u, b, o, true)
	_, _, final := r.step(r.t-1, o.GoBackwards)
	ldH := (r.t + 1) * r.u
	state := func(off, seedOff int) *Var {
		v, nd := tp.output(opRNNState, []int{r.b, r.u}, out)
		dst := v.Value.Data
		for bi := 0; bi < r.b; bi++ {
			src := save.Data[off+bi*ldH+final*r.u:]
			copy(dst[bi*r.u:bi*r.u+r.u], src[:r.u])
		}
		if nd != nil {
			nd.aux[0] = tp.View(bwd.Data[seedOff:seedOff+r.b*r.u], r.b, r.u)
		}
		return v
	}
	h = state(r.hOff, r.dhOff)
	if o.Cell == LSTMCell {
		c = state(r.cOff, r.dcOff)
	}
	return out, h, c
}

// rnnStateBackward adds a final state's gradient into its RNN node's
// initial dh (or dc), which that node's backward, run next, starts from.
func rnnStateBackward(nd *node) {
	cpu.Axpy(nd.aux[0].Data, nd.out.Grad.Data, 1)
}

// rnn is RNN; with states, the node's backward starts from the dh and dc
// that RNNStates' state nodes accumulate in its scratch. It returns the
// saved forward values and the backward scratch (nil when the node is not
// recorded).
func (tp *Tape) rnn(x, w, u, b *Var, o RNNOptions, states bool) (*Var, *tensor.Tensor, *tensor.Tensor, rnnDims) {
	if x.Value.Dims() != 3 {
		panic(fmt.Sprintf("autograd: RNN: input of shape %v is not (batch, steps, features)", x.Value.Shape))
	}
	bs, ts, d := x.Value.Shape[0], x.Value.Shape[1], x.Value.Shape[2]
	g := o.Cell.gates()
	if u.Value.Dims() != 2 || u.Value.Shape[1] != g*u.Value.Shape[0] {
		panic(fmt.Sprintf("autograd: RNN (%v): recurrent kernel of shape %v", o.Cell, u.Value.Shape))
	}
	units := u.Value.Shape[0]
	gu := g * units
	if w.Value.Dims() != 2 || w.Value.Shape[0] != d || w.Value.Shape[1] != gu {
		panic(fmt.Sprintf("autograd: RNN (%v): kernel of shape %v for input %v and %d units", o.Cell, w.Value.Shape, x.Value.Shape, units))
	}
	resetAfter := o.Cell == GRUCell && o.ResetAfter
	if b != nil {
		want := gu
		if resetAfter {
			want = 2 * gu
		}
		if b.Value.Size() != want {
			panic(fmt.Sprintf("autograd: RNN (%v): bias of shape %v for %d units", o.Cell, b.Value.Shape, units))
		}
	}
	if !(o.Dropout >= 0 && o.Dropout < 1) {
		panic(fmt.Sprintf("autograd: RNN (%v): dropout %v outside [0, 1)", o.Cell, o.Dropout))
	}
	if !(o.RecurrentDropout >= 0 && o.RecurrentDropout < 1) {
		panic(fmt.Sprintf("autograd: RNN (%v): recurrent dropout %v outside [0, 1)", o.Cell, o.RecurrentDropout))
	}
	masked, recMasked := o.Dropout > 0, o.RecurrentDropout > 0
	if o.Mask != nil && (o.Mask.Dims() != 2 || o.Mask.Shape[0] != bs || o.Mask.Shape[1] != ts) {
		panic(fmt.Sprintf("autograd: RNN (%v): mask of shape %v for input %v", o.Cell, o.Mask.Shape, x.Value.Shape))
	}
	r := newRNNDims(o.Cell, resetAfter, bs, ts, d, units, masked, o.Mask != nil, recMasked)
	var shape [3]int
	outShape := shape[:2]
	shape[0], shape[1] = bs, units
	if o.ReturnSequences {
		outShape = shape[:3]
		shape[1], shape[2] = ts, units
	}
	out, nd := tp.output(opRNN, outShape, x, w, u, b)
	save := tp.Scratch(r.saveLen)
	tmp := tp.Scratch(bs * gu)
	var mask *tensor.Tensor
	if masked {
		mask = tp.Scratch(g, bs, d)
		scale := 1 / (1 - o.Dropout)
		before, after := tp.splitDraws(bs, d) // a split batch draws the whole batch's masks
		for gi := range g {
			o.RNG.Skip(before)
			for i := range mask.Data[gi*bs*d : (gi+1)*bs*d] {
				if o.RNG.Float32() >= o.Dropout {
					mask.Data[gi*bs*d+i] = scale
				} else {
					mask.Data[gi*bs*d+i] = 0
				}
			}
			o.RNG.Skip(after)
		}
		cj := getRNNCopyJob()
		cj.r, cj.x, cj.xm, cj.mask = r, x.Value.Data, save.Data[r.xmOff:], mask.Data
		cj.run(copyXMask)
		putRNNCopyJob(cj)
	}
	var hm []float32
	if recMasked {
		rm := save.Data[r.rmOff : r.rmOff+g*bs*units]
		scale := 1 / (1 - o.RecurrentDropout)
		before, after := tp.splitDraws(bs, units)
		for gi := range g {
			o.RNG.Skip(before)
			for i := gi * bs * units; i < (gi+1)*bs*units; i++ {
				rm[i] = 0
				if o.RNG.Float32() >= o.RecurrentDropout {
					rm[i] = scale
				}
			}
			o.RNG.Skip(after)
		}
		hm = tp.Scratch(bs * units).Data
	}
	var pack []float32
	if r.fwdPack > 0 {
		pack = tp.Scratch(r.fwdPack).Data
	}
	rnnForward(&r, o, x.Value.Data, w.Value.Data, u.Value.Data, biasData(b), save.Data, tmp.Data, out.Value.Data, hm, pack)
	if nd != nil {
		nd.ints = [4]int{int(o.Cell), int(o.Activation), int(o.RecurrentActivation), 0}
		if o.ReturnSequences {
			nd.ints[3] |= rnnReturnSeq
		}
		if o.GoBackwards {
			nd.ints[3] |= rnnBackwards
		}
		if resetAfter {
			nd.ints[3] |= rnnResetAfter
		}
		if o.InputOrder {
			nd.ints[3] |= rnnInputOrder
		}
		if recMasked {
			nd.ints[3] |= rnnRecMasked
		}
		if o.Mask != nil {
			nd.ints[3] |= rnnMasked
			nd.idx = tp.IntScratch(bs * ts)
			for i, v := range o.Mask.Data {
				nd.idx[i] = 0
				if v != 0 {
					nd.idx[i] = 1
				}
			}
		}
		if states {
			nd.ints[3] |= rnnStates
		}
		nd.aux[0] = save
		nd.aux[1] = tp.Scratch(r.bwdLen)
		nd.aux[2] = mask
		// The state nodes' gradients accumulate into dh and dc (contiguous).
		clear(nd.aux[1].Data[r.dhOff:r.tmpOff])
		return out, save, nd.aux[1], r
	}
	return out, save, nil, r
}

func biasData(b *Var) []float32 {
	if b == nil {
		return nil
	}
	return b.Value.Data
}

// rnnMaskedState writes hp ⊙ m (bs rows of u, hp with stride ldH) into
// hm (bs×u).
func rnnMaskedState(hm, hp []float32, ldH int, m []float32, bs, u int) {
	for bi := 0; bi < bs; bi++ {
		cpu.Mul(hm[bi*u:bi*u+u], hp[bi*ldH:bi*ldH+u], m[bi*u:bi*u+u])
	}
}

// rnnRecMaskedGEMM adds, for each gate g in gates, (hp ⊙ m_g)·U_g into
// dst's block g (stride ldDst), scaled by beta before.
func rnnRecMaskedGEMM(dst []float32, ldDst int, hp []float32, ldH int, uw, rm []float32, gates []int, bs, u, gu int, hm []float32, beta float32) {
	for _, g := range gates {
		rnnMaskedState(hm, hp, ldH, rm[g*bs*u:], bs, u)
		cpu.Gemm(false, false, bs, u, u, 1, hm, u, uw[g*u:], gu, beta, dst[g*u:], ldDst)
	}
}

// rnnRecMaskedGrads accumulates, for each gate g in gates, dh += (D_g·U_gᵀ)
// ⊙ m_g and dU_g += (hp ⊙ m_g)ᵀ·D_g, D's block g with stride ldD.
func rnnRecMaskedGrads(dh, dU, uw, d []float32, ldD int, hp []float32, ldH int, rm []float32, gates []int, bs, u, gu int, hm, tmp []float32) {
	for _, g := range gates {
		m := rm[g*bs*u:]
		if dU != nil {
			rnnMaskedState(hm, hp, ldH, m, bs, u)
			cpu.Gemm(true, false, u, u, bs, 1, hm, u, d[g*u:], ldD, 1, dU[g*u:], gu)
		}
		cpu.Gemm(false, true, bs, u, u, 1, d[g*u:], ldD, uw[g*u:], gu, 0, tmp, u)
		cpu.AddMul(dh[:bs*u], tmp[:bs*u], m[:bs*u])
	}
}

var rnnGates = [4]int{0, 1, 2, 3}

// rnnPackU packs U's blocks for the per-step GEMMs h·U (untransposed) or
// dz·Uᵀ (transposed) into buf: all of U (u×gu), or for the reset-before GRU
// U_zr (the first 2u columns) and U_h apart.
func rnnPackU(buf []float32, transposed, split bool, uw []float32, u, gu int) (all, zr, h cpu.PackedB) {
	pack := func(buf []float32, col, cols int) cpu.PackedB {
		if transposed {
			return cpu.PackB(buf, true, cols, u, uw[col:], gu)
		}
		return cpu.PackB(buf, false, u, cols, uw[col:], gu)
	}
	if !split {
		return pack(buf, 0, gu), cpu.PackedB{}, cpu.PackedB{}
	}
	n := cpu.PackedBLen(u, 2*u)
	if transposed {
		n = cpu.PackedBLen(2*u, u)
	}
	return cpu.PackedB{}, pack(buf, 0, 2*u), pack(buf[n:], 2*u, u)
}

func rnnForward(r *rnnDims, o RNNOptions, x, w, uw, bias, save, tmp, out, hm, pack []float32) {
	bs, ts, d, u := r.b, r.t, r.d, r.u
	gu := r.g * u
	ldP, ldH, ldU := ts*gu, (ts+1)*u, ts*u
	p := save[r.pOff:r.hOff]
	hs := save[r.hOff:]
	cs := save[r.cOff:]
	ca := save[r.aOff:]
	rs := save[r.rOff:]
	var rm []float32
	if o.RecurrentDropout > 0 {
		rm = save[r.rmOff : r.rmOff+r.g*bs*u]
	}
	var inBias, recBias []float32
	if bias != nil {
		inBias = bias[:gu]
		if o.Cell == GRUCell && o.ResetAfter {
			recBias = bias[gu : 2*gu]
		}
	}
	// All steps' input projections at once (one GEMM per gate's masked
	// inputs with dropout).
	if o.Dropout > 0 {
		btd := bs * ts * d
		for gi := 0; gi < r.g; gi++ {
			var bg []float32
			if inBias != nil {
				bg = inBias[gi*u : (gi+1)*u]
			}
			cpu.GemmBias(false, false, bs*ts, u, d, 1, save[r.xmOff+gi*btd:], d, w[gi*u:], gu, 0, p[gi*u:], gu, bg, false)
		}
	} else {
		cpu.GemmBias(false, false, bs*ts, gu, d, 1, x, d, w, gu, 0, p, gu, inBias, false)
	}
	back := o.GoBackwards
	_, first, _ := r.step(0, back)
	for bi := 0; bi < bs; bi++ {
		clear(hs[bi*ldH+first*u : bi*ldH+first*u+u])
		if o.Cell == LSTMCell {
			clear(cs[bi*ldH+first*u : bi*ldH+first*u+u])
		}
	}
	act, ract := o.Activation, o.RecurrentActivation
	// Without recurrent dropout every step multiplies by the same U:
	// packed once here, not by each step's GEMM.
	var uAll, uZR, uH cpu.PackedB
	if rm == nil {
		uAll, uZR, uH = rnnPackU(pack, false, o.Cell == GRUCell && !o.ResetAfter, uw, u, gu)
	}
	rj := getRNNJob()
	defer putRNNJob(rj)
	rj.hs, rj.cs, rj.ca, rj.rs, rj.tmp, rj.rm, rj.recBias = hs, cs, ca, rs, tmp, rm, recBias
	rj.ldP, rj.ldH, rj.ldU, rj.u, rj.gu, rj.bs, rj.act, rj.ract = ldP, ldH, ldU, u, gu, bs, act, ract
	for s := 0; s < ts; s++ {
		t, prev, next := r.step(s, back)
		pa := p[t*gu:]
		hp := hs[prev*u:]
		rj.pa, rj.t, rj.prev, rj.next = pa, t, prev, next
		switch o.Cell {
		case SimpleRNNCell:
			if rm != nil {
				rnnRecMaskedGEMM(pa, ldP, hp, ldH, uw, rm, rnnGates[:1], bs, u, gu, hm, 1)
			} else {
				cpu.GemmPacked(false, bs, 1, hp, ldH, uAll, 1, pa, ldP)
			}
			rj.run(rowSimpleFwd, bs)
		case LSTMCell:
			if rm != nil {
				rnnRecMaskedGEMM(pa, ldP, hp, ldH, uw, rm, rnnGates[:4], bs, u, gu, hm, 1)
			} else {
				cpu.GemmPacked(false, bs, 1, hp, ldH, uAll, 1, pa, ldP)
			}
			rj.run(rowLSTMFwd, bs)
		case GRUCell:
			if !o.ResetAfter {
				if rm != nil {
					rnnRecMaskedGEMM(pa, ldP, hp, ldH, uw, rm, rnnGates[:2], bs, u, gu, hm, 1)
				} else {
					cpu.GemmPacked(false, bs, 1, hp, ldH, uZR, 1, pa, ldP)
				}
				rj.run(rowGRUResetFwd, bs)
				if rm != nil {
					cpu.Gemm(false, false, bs, u, u, 1, rs[t*u:], ldU, uw[2*u:], gu, 1, pa[2*u:], ldP)
				} else {
					cpu.GemmPacked(false, bs, 1, rs[t*u:], ldU, uH, 1, pa[2*u:], ldP)
				}
			} else {
				if rm != nil {
					rnnRecMaskedGEMM(tmp, gu, hp, ldH, uw, rm, rnnGates[:3], bs, u, gu, hm, 0)
				} else {
					cpu.GemmPacked(false, bs, 1, hp, ldH, uAll, 0, tmp, gu)
				}
				rj.run(rowGRUAfterFwd, bs)
			}
			rj.run(rowGRUFinalFwd, bs)
		}
		if o.Mask != nil {
			for bi := 0; bi < bs; bi++ {
				if o.Mask.Data[bi*ts+t] != 0 {
					continue
				}
				copy(hs[bi*ldH+next*u:bi*ldH+next*u+u], hs[bi*ldH+prev*u:bi*ldH+prev*u+u])
				if o.Cell == LSTMCell {
					copy(cs[bi*ldH+next*u:bi*ldH+next*u+u], cs[bi*ldH+prev*u:bi*ldH+prev*u+u])
				}
			}
		}
		if o.ReturnSequences {
			pos := s
			if o.InputOrder {
				pos = t
			}
			for bi := 0; bi < bs; bi++ {
				copy(out[bi*ldU+pos*u:bi*ldU+pos*u+u], hs[bi*ldH+next*u:bi*ldH+next*u+u])
			}
		} else if s == ts-1 {
			for bi := 0; bi < bs; bi++ {
				copy(out[bi*u:bi*u+u], hs[bi*ldH+next*u:bi*ldH+next*u+u])
			}
		}
	}
}

func rnnBackward(nd *node) {
	in := nd.inputs()
	x, uv, b := in[0], in[2], in[3]
	cell := RNNCell(nd.ints[0])
	act, ract := RNNActivation(nd.ints[1]), RNNActivation(nd.ints[2])
	flags := nd.ints[3]
	retSeq, back, resetAfter := flags&rnnReturnSeq != 0, flags&rnnBackwards != 0, flags&rnnResetAfter != 0
	inputOrder := flags&rnnInputOrder != 0
	bs, ts, d := x.Value.Shape[0], x.Value.Shape[1], x.Value.Shape[2]
	u := uv.Value.Shape[0]
	mask := nd.aux[2]
	var seqMask []int32
	if flags&rnnMasked != 0 {
		seqMask = nd.idx
	}
	recMasked := flags&rnnRecMasked != 0
	r := newRNNDims(cell, resetAfter, bs, ts, d, u, mask != nil, seqMask != nil, recMasked)
	var rm, hm, hmTmp []float32
	if recMasked {
		rm = nd.aux[0].Data[r.rmOff : r.rmOff+r.g*bs*u]
		hm = nd.aux[1].Data[r.hmOff : r.hmOff+bs*u]
		hmTmp = nd.aux[1].Data[r.hmOff+bs*u : r.hmOff+2*bs*u]
	}
	gu := r.g * u
	ldP, ldH, ldU := ts*gu, (ts+1)*u, ts*u
	save, bwd := nd.aux[0].Data, nd.aux[1].Data
	p := save[r.pOff:r.hOff]
	hs := save[r.hOff:]
	cs := save[r.cOff:]
	ca := save[r.aOff:]
	rs := save[r.rOff:]
	dzBuf := bwd[r.dzOff:r.dhOff]
	kc, ldZ := r.kc, gu
	dh := bwd[r.dhOff:r.dcOff]
	dc := bwd[r.dcOff:r.tmpOff]
	tmp := bwd[r.tmpOff:r.dxOff]
	uw := uv.Value.Data
	dout := nd.out.Grad.Data
	var dU, dB, dBrec []float32
	if uv.Grad != nil {
		dU = uv.Grad.Data
	}
	if b != nil && b.Grad != nil {
		dB = b.Grad.Data[:gu]
		if resetAfter {
			dBrec = b.Grad.Data[gu:]
		}
	}
	// With return_state, dh and dc hold the final state's gradients (see
	// RNNStates); otherwise they start at zero.
	statesSeeded := flags&rnnStates != 0
	if !statesSeeded {
		clear(dh)
		clear(dc)
	}
	// Uᵀ packed once for the per-step dh = dz·Uᵀ GEMMs; with recurrent
	// dropout only the reset-before GRU's d(r·h₋) GEMM reads it.
	split := cell == GRUCell && !resetAfter
	var utAll, utZR, utH cpu.PackedB
	if rm == nil || split {
		utAll, utZR, utH = rnnPackU(bwd[r.utOff:r.utOff+r.utLen], true, split, uw, u, gu)
	}
	rj := getRNNJob()
	defer putRNNJob(rj)
	rj.hs, rj.cs, rj.ca, rj.rs, rj.tmp, rj.rm, rj.dh, rj.dc = hs, cs, ca, rs, tmp, rm, dh, dc
	rj.ldP, rj.ldZ, rj.ldH, rj.ldU, rj.u, rj.gu, rj.bs, rj.act, rj.ract = ldP, ldZ, ldH, ldU, u, gu, bs, act, ract
	for s := ts - 1; s >= 0; s-- {
		t, prev, next := r.step(s, back)
		if retSeq {
			pos := s
			if inputOrder {
				pos = t
			}
			for bi := 0; bi < bs; bi++ {
				cpu.Axpy(dh[bi*u:bi*u+u], dout[bi*ldU+pos*u:bi*ldU+pos*u+u], 1)
			}
		} else if s == ts-1 {
			cpu.Axpy(dh, dout, 1) // onto the states' seeds, or zeros
		}
		pa := p[t*gu:]
		dz := dzBuf[(s%kc)*bs*gu:]
		hp := hs[prev*u:]
		rj.pa, rj.dz, rj.t, rj.prev, rj.next = pa, dz, t, prev, next
		// A masked step passes dh and dc through and contributes nothing:
		// its rows' dh and dc are kept and restored after the step, its dz
		// rows zeroed before any GEMM reads them.
		if seqMask != nil {
			keep := bwd[r.keepOff:r.hmOff]
			for bi := 0; bi < bs; bi++ {
				if seqMask[bi*ts+t] == 0 {
					copy(keep[bi*u:bi*u+u], dh[bi*u:bi*u+u])
					copy(keep[(bs+bi)*u:(bs+bi)*u+u], dc[bi*u:bi*u+u])
				}
			}
		}
		switch cell {
		case SimpleRNNCell:
			rj.run(rowSimpleBwd, bs)
		case LSTMCell:
			rj.run(rowLSTMBwd, bs)
		case GRUCell:
			rj.run(rowGRUBwd, bs)
			rnnZeroMasked(dz, seqMask, bs, ts, t, ldZ, gu)
			if !resetAfter {
				// d(r·h₋) = da_h·U_hᵀ, into tmp (bs×u).
				cpu.GemmPacked(false, bs, 1, dz[2*u:], ldZ, utH, 0, tmp, u)
				rj.run(rowGRUResetBwd, bs)
				if rm != nil {
					rnnRecMaskedGrads(dh, dU, uw, dz, ldZ, hp, ldH, rm, rnnGates[:2], bs, u, gu, hm, hmTmp)
				} else {
					cpu.GemmPacked(false, bs, 1, dz, ldZ, utZR, 1, dh, u)
				}
				if dU != nil && rm != nil {
					cpu.Gemm(true, false, u, u, bs, 1, rs[t*u:], ldU, dz[2*u:], ldZ, 1, dU[2*u:], gu)
				}
			} else {
				// dRec = [da_z, da_r, da_h·r], into tmp (bs×gu).
				rj.run(rowGRUAfterBwd, bs)
				if rm != nil {
					rnnRecMaskedGrads(dh, dU, uw, tmp, gu, hp, ldH, rm, rnnGates[:3], bs, u, gu, hm, hmTmp)
				} else {
					cpu.GemmPacked(false, bs, 1, tmp, gu, utAll, 1, dh, u)
					if dU != nil {
						cpu.Gemm(true, false, u, gu, bs, 1, hp, ldH, tmp, gu, 1, dU, gu)
					}
				}
				if dBrec != nil {
					cpu.SumRows(dBrec, tmp)
				}
			}
		}
		rnnZeroMasked(dz, seqMask, bs, ts, t, ldZ, gu)
		if cell != GRUCell {
			if rm != nil {
				clear(dh)
				rnnRecMaskedGrads(dh, dU, uw, dz, ldZ, hp, ldH, rm, rnnGates[:r.g], bs, u, gu, hm, hmTmp)
			} else {
				cpu.GemmPacked(false, bs, 1, dz, ldZ, utAll, 0, dh, u)
			}
		}
		if seqMask != nil {
			keep := bwd[r.keepOff:r.hmOff]
			for bi := 0; bi < bs; bi++ {
				if seqMask[bi*ts+t] == 0 {
					copy(dh[bi*u:bi*u+u], keep[bi*u:bi*u+u])
					copy(dc[bi*u:bi*u+u], keep[(bs+bi)*u:(bs+bi)*u+u])
				}
			}
		}
		if s%kc == 0 {
			rnnChunkGrads(nd, &r, s, min(s+kc, ts), dU, dB)
		}
	}
	if statesSeeded {
		// Leave the seeds zero for the state nodes of a later replay.
		clear(dh)
		clear(dc)
	}
}

// rnnChunkGrads adds what the processing steps [s0, s1) contribute to the
// kernel's, the input's and the bias's gradients and, without recurrent
// dropout (nor reset-after), to dU: one GEMM each over the chunk's kc·b
// rows of dz (slot j holding step s0+j), read while they are in cache,
// instead of one over all steps' dz from memory (1.2-1.3 times faster for
// the book's LSTM backward pass, docs/design.md). dU = Σ h₋ᵀ·dz and dW =
// Σ xᵀ·dz take the chunk's states and inputs gathered in the same row
// order; dx = dz·Wᵀ is scattered back to the input's rows. Masked steps'
// dz rows are zero.
func rnnChunkGrads(nd *node, r *rnnDims, s0, s1 int, dU, dB []float32) {
	in := nd.inputs()
	x, w := in[0], in[1]
	flags := nd.ints[3]
	back, resetAfter := flags&rnnBackwards != 0, flags&rnnResetAfter != 0
	recMasked := flags&rnnRecMasked != 0
	mask := nd.aux[2]
	bs, d, u := r.b, r.d, r.u
	gu := r.g * u
	rows := (s1 - s0) * bs
	save, bwd := nd.aux[0].Data, nd.aux[1].Data
	dz := bwd[r.dzOff : r.dzOff+rows*gu]
	gates := 1
	if mask != nil {
		gates = r.g
	}
	xc := bwd[r.xcOff : r.xcOff+gates*rows*d]
	withU := dU != nil && !recMasked && !resetAfter
	hc, rc := bwd[r.hcOff:r.rcOff], bwd[r.rcOff:r.bwdLen]
	cj := getRNNCopyJob()
	defer putRNNCopyJob(cj)
	cj.r, cj.x, cj.save, cj.xc, cj.hc, cj.rc = *r, x.Value.Data, save, xc, hc, rc
	cj.s0, cj.slots, cj.gates, cj.back, cj.withU, cj.masked, cj.hasGRU = s0, s1-s0, gates, back, withU, mask != nil, r.g == 3
	cj.run(copyGather)
	if withU {
		hg := gu
		if r.g == 3 {
			hg = 2 * u // the candidate's block goes with r·h₋
			cpu.Gemm(true, false, u, u, rows, 1, rc, u, dz[2*u:], gu, 1, dU[2*u:], gu)
		}
		cpu.Gemm(true, false, u, hg, rows, 1, hc, u, dz, gu, 1, dU, gu)
	}
	if dB != nil {
		cpu.SumRows(dB, dz)
	}
	dx := bwd[r.dxOff : r.dxOff+rows*d]
	for gi := 0; gi < gates; gi++ {
		c0, n := 0, gu
		if mask != nil {
			c0, n = gi*u, u
		}
		if w.Grad != nil {
			cpu.Gemm(true, false, d, n, rows, 1, xc[gi*rows*d:], d, dz[c0:], gu, 1, w.Grad.Data[c0:], gu)
		}
		if x.Grad == nil {
			continue
		}
		cpu.Gemm(false, true, rows, d, n, 1, dz[c0:], gu, w.Value.Data[c0:], gu, 0, dx, d)
		cj.dx, cj.xg, cj.gi = dx, x.Grad.Data, gi
		if mask != nil {
			cj.mask = mask.Data
		}
		cj.run(copyScatter)
	}
}

// rnnZeroMasked clears the dz rows of the masked samples at input step t.
func rnnZeroMasked(dz []float32, seqMask []int32, bs, ts, t, ldZ, gu int) {
	if seqMask == nil {
		return
	}
	for bi := 0; bi < bs; bi++ {
		if seqMask[bi*ts+t] == 0 {
			clear(dz[bi*ldZ : bi*ldZ+gu])
		}
	}
}
