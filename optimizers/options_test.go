package optimizers

import (
	"math"
	"strconv"
	"testing"

	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/internal/alloctest"
	"github.com/neurona/neurona/internal/cpu"
	"github.com/neurona/neurona/tensor"
)

// ref is a float64 reference of Keras 2.2's SGD, Adam and RMSprop with
// decay, clipnorm and clipvalue, written from keras/optimizers.py.
type ref struct {
	kind                       string
	lr, mom, b1, b2, eps, rho  float64
	decay, clipnorm, clipvalue float64
	nesterov                   bool
	s1, s2                     [][]float64
	iterations                 int
}

func (r *ref) step(p, grads [][]float64) {
	g := make([][]float64, len(grads))
	for i := range grads {
		g[i] = append([]float64(nil), grads[i]...)
	}
	// get_gradients: clipnorm over the global norm, then clipvalue.
	if r.clipnorm > 0 {
		var sum float64
		for i := range g {
			for _, x := range g[i] {
				sum += x * x
			}
		}
		if n := math.Sqrt(sum); n >= r.clipnorm {
			for i := range g {
				for j := range g[i] {
					g[i][j] = g[i][j] * r.clipnorm / n
				}
			}
		}
	}
	if r.clipvalue > 0 {
		for i := range g {
			for j := range g[i] {
				g[i][j] = math.Max(-r.clipvalue, math.Min(r.clipvalue, g[i][j]))
			}
		}
	}
	if r.s1 == nil {
		for i := range p {
			r.s1 = append(r.s1, make([]float64, len(p[i])))
			r.s2 = append(r.s2, make([]float64, len(p[i])))
		}
	}
	lr := r.lr
	if r.decay > 0 {
		lr = lr * (1 / (1 + r.decay*float64(r.iterations)))
	}
	t := float64(r.iterations + 1)
	r.iterations++
	for i := range p {
		for j := range p[i] {
			gg := g[i][j]
			switch r.kind {
			case "SGD":
				v := r.mom*r.s1[i][j] - lr*gg
				r.s1[i][j] = v
				if r.nesterov {
					p[i][j] += r.mom*v - lr*gg
				} else {
					p[i][j] += v
				}
			case "Adam":
				lrT := lr * math.Sqrt(1-math.Pow(r.b2, t)) / (1 - math.Pow(r.b1, t))
				r.s1[i][j] = r.b1*r.s1[i][j] + (1-r.b1)*gg
				r.s2[i][j] = r.b2*r.s2[i][j] + (1-r.b2)*gg*gg
				p[i][j] -= lrT * r.s1[i][j] / (math.Sqrt(r.s2[i][j]) + r.eps)
			case "RMSprop":
				r.s1[i][j] = r.rho*r.s1[i][j] + (1-r.rho)*gg*gg
				p[i][j] -= lr * gg / (math.Sqrt(r.s1[i][j]) + r.eps)
			}
		}
	}
}

func f64(x float32) float64 { return float64(x) }

// refFor returns the reference for o's settings (after defaults).
func refFor(o Optimizer) *ref {
	switch o := o.(type) {
	case *SGD:
		o.resolve()
		return &ref{kind: "SGD", lr: f64(o.LR), mom: f64(o.Momentum), nesterov: o.Nesterov,
			decay: f64(o.Decay), clipnorm: f64(o.ClipNorm), clipvalue: f64(o.ClipValue)}
	case *Adam:
		o.resolve()
		return &ref{kind: "Adam", lr: f64(o.LR), b1: f64(o.Beta1), b2: f64(o.Beta2), eps: f64(o.Epsilon),
			decay: f64(o.Decay), clipnorm: f64(o.ClipNorm), clipvalue: f64(o.ClipValue)}
	case *RMSprop:
		o.resolve()
		return &ref{kind: "RMSprop", lr: f64(o.LR), rho: f64(o.Rho), eps: f64(o.Epsilon),
			decay: f64(o.Decay), clipnorm: f64(o.ClipNorm), clipvalue: f64(o.ClipValue)}
	}
	panic("unknown optimizer")
}

// TestOptionsAgainstReference runs decay, clipnorm and clipvalue, alone
// and together, on every optimizer against the float64 reference.
func TestOptionsAgainstReference(t *testing.T) {
	opts := []Optimizer{
		&SGD{LR: 0.05, Decay: 0.1},
		&SGD{LR: 0.05, Momentum: 0.9, ClipNorm: 1},
		&SGD{LR: 0.05, Momentum: 0.9, Nesterov: true, ClipValue: 0.7},
		&SGD{LR: 0.05, Momentum: 0.5, Decay: 0.3, ClipNorm: 2, ClipValue: 0.4},
		&SGD{LR: 0.05, ClipNorm: 1e6}, // never reached: no scaling
		&Adam{LR: 0.1, Decay: 0.1},
		&Adam{LR: 0.1, ClipNorm: 1},
		&Adam{LR: 0.1, ClipValue: 0.7},
		&Adam{LR: 0.1, Decay: 0.2, ClipNorm: 3, ClipValue: 0.5},
		&RMSprop{LR: 0.01, Decay: 0.1},
		&RMSprop{LR: 0.01, ClipNorm: 1},
		&RMSprop{LR: 0.01, ClipValue: 0.7},
		&RMSprop{LR: 0.01, Decay: 0.5, ClipNorm: 1.5, ClipValue: 0.3},
	}
	for _, o := range opts {
		r := refFor(o)
		p := newProblem()
		o.Build(p.params)
		for k := 1; k <= 6; k++ {
			g := p.setGrads(k)
			raw := append([]float32(nil), p.params[0].Grad.Data...)
			o.Apply()
			r.step(p.ref, g)
			p.check(t, o.Name()+" "+describe(o), k)
			for j, x := range raw {
				if p.params[0].Grad.Data[j] != x {
					t.Fatalf("%s: Apply wrote into the Grad tensor", describe(o))
				}
			}
		}
	}
}

func describe(o Optimizer) string {
	switch o := o.(type) {
	case *SGD:
		return "SGD lr/mom/decay/clipnorm/clipvalue " + fmtf(o.LR, o.Momentum, o.Decay, o.ClipNorm, o.ClipValue)
	case *Adam:
		return "Adam lr/decay/clipnorm/clipvalue " + fmtf(o.LR, o.Decay, o.ClipNorm, o.ClipValue)
	case *RMSprop:
		return "RMSprop lr/decay/clipnorm/clipvalue " + fmtf(o.LR, o.Decay, o.ClipNorm, o.ClipValue)
	}
	return o.Name()
}

func fmtf(xs ...float32) string {
	s := ""
	for i, x := range xs {
		if i > 0 {
			s += "/"
		}
		s += formatFloat(x)
	}
	return s
}

func formatFloat(x float32) string { return strconv.FormatFloat(float64(x), 'g', -1, 32) }

// TestClipNormIsGlobal tells a global norm from a per-variable one: two
// variables whose gradients are each below c but together above it.
func TestClipNormIsGlobal(t *testing.T) {
	a := autograd.NewParam(tensor.New(1))
	b := autograd.NewParam(tensor.New(1))
	o := &SGD{LR: 1, ClipNorm: 5}
	o.Build([]*autograd.Var{a, b})
	a.Grad.Data[0], b.Grad.Data[0] = 3, 4 // norms 3 and 4 < 5, global norm 5 ≥ 5
	o.Apply()
	if a.Value.Data[0] != -3 || b.Value.Data[0] != -4 {
		t.Errorf("at the norm: %v %v, want -3 -4", a.Value.Data[0], b.Value.Data[0])
	}
	o.ClipNorm = 2.5 // global norm 5: scale by 1/2
	o.Apply()
	if a.Value.Data[0] != -4.5 || b.Value.Data[0] != -6 {
		t.Errorf("scaled: %v %v, want -4.5 -6", a.Value.Data[0], b.Value.Data[0])
	}
}

// Legacy copies of the update loops before Build existed, to check that
// Apply is bit-identical to them.
func legacySGD(lr, mom float32, nesterov bool, vel [][]float32, params []*autograd.Var) {
	if mom == 0 {
		for _, p := range params {
			cpu.Axpy(p.Value.Data, p.Grad.Data, -lr)
		}
		return
	}
	for i, p := range params {
		v, g, w := vel[i], p.Grad.Data, p.Value.Data
		for j := range v {
			v[j] = mom*v[j] - lr*g[j]
			if nesterov {
				w[j] += mom*v[j] - lr*g[j]
			} else {
				w[j] += v[j]
			}
		}
	}
}

func legacyAdam(iter int, lr, beta1, beta2, eps float32, m, v [][]float32, params []*autograd.Var) {
	b1, b2 := float64(beta1), float64(beta2)
	t := float64(iter)
	lrT := float32(float64(lr) * math.Sqrt(1-math.Pow(b2, t)) / (1 - math.Pow(b1, t)))
	for i, p := range params {
		cpu.AdamUpdate(p.Value.Data, p.Grad.Data, m[i], v[i], float32(b1), float32(b2), lrT, eps)
	}
}

func legacyRMSprop(lr, rho, epsilon float32, acc [][]float32, params []*autograd.Var) {
	eps := float64(epsilon)
	for i, p := range params {
		a, g, w := acc[i], p.Grad.Data, p.Value.Data
		for j := range a {
			a[j] = rho*a[j] + (1-rho)*g[j]*g[j]
			w[j] -= lr * g[j] / float32(math.Sqrt(float64(a[j]))+eps)
		}
	}
}

// TestBitIdenticalToLegacy runs each optimizer next to the old code, on
// large variables (so the parallel kernels run), and compares bits.
func TestBitIdenticalToLegacy(t *testing.T) {
	rng := tensor.NewRNG(7)
	mk := func() []*autograd.Var {
		vs := []*autograd.Var{autograd.NewParam(tensor.New(300, 70)), autograd.NewParam(tensor.New(70))}
		r := tensor.NewRNG(3)
		for _, v := range vs {
			r.Normal(v.Value, 0, 1)
		}
		return vs
	}
	zeros := func(ps []*autograd.Var) [][]float32 {
		var s [][]float32
		for _, p := range ps {
			s = append(s, make([]float32, len(p.Value.Data)))
		}
		return s
	}
	for _, o := range []Optimizer{
		&SGD{}, &SGD{LR: 0.1, Momentum: 0.9}, &SGD{LR: 0.1, Momentum: 0.9, Nesterov: true},
		&Adam{}, &Adam{LR: 0.1, Beta1: 0.8, Beta2: 0.99, Epsilon: 1e-3},
		&RMSprop{}, &RMSprop{LR: 0.01, Rho: 0.8, Epsilon: 1e-2},
	} {
		a, b := mk(), mk()
		o.Build(a)
		s1, s2 := zeros(b), zeros(b)
		for k := 1; k <= 5; k++ {
			for i := range a {
				rng.Normal(a[i].Grad, 0, float32(k))
				b[i].Grad.CopyFrom(a[i].Grad)
			}
			o.Apply()
			switch o := o.(type) {
			case *SGD:
				legacySGD(o.LR, o.Momentum, o.Nesterov, s1, b)
			case *Adam:
				legacyAdam(k, o.LR, o.Beta1, o.Beta2, o.Epsilon, s1, s2, b)
			case *RMSprop:
				legacyRMSprop(o.LR, o.Rho, o.Epsilon, s1, b)
			}
			for i := range a {
				for j, x := range a[i].Value.Data {
					if math.Float32bits(x) != math.Float32bits(b[i].Value.Data[j]) {
						t.Fatalf("%s step %d: var %d[%d] = %v, legacy %v", describe(o), k, i, j, x, b[i].Value.Data[j])
					}
				}
			}
		}
	}
}

func TestApplyWithClippingAllocatesNothing(t *testing.T) {
	for _, o := range []Optimizer{
		&SGD{ClipNorm: 1, ClipValue: 0.5, Decay: 0.1}, &Adam{ClipNorm: 1, Decay: 0.1}, &RMSprop{ClipValue: 0.1},
	} {
		p := newProblem()
		p.setGrads(3)
		o.Build(p.params)
		if allocs := alloctest.PerRun(20, o.Apply); allocs != 0 {
			t.Errorf("%s: Apply allocates %v times per call", describe(o), allocs)
		}
	}
	// Clipping turned on after Build allocates its copy once.
	p := newProblem()
	p.setGrads(1)
	o := &Adam{}
	o.Build(p.params)
	o.Apply()
	o.ClipValue = 0.1
	o.Apply()
	if allocs := alloctest.PerRun(20, o.Apply); allocs != 0 {
		t.Errorf("clipping on after Build: Apply allocates %v times per call", allocs)
	}
}
