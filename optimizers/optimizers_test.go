package optimizers

import (
	"math"
	"testing"

	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/internal/alloctest"
	"github.com/neurona/neurona/tensor"
)

// problem is a small set of parameters and a deterministic sequence of
// changing gradients, with a float64 mirror for the reference code.
type problem struct {
	params []*autograd.Var
	ref    [][]float64
}

func newProblem() *problem {
	p := &problem{}
	init := [][]float32{
		{0.5, -1.25, 2, 0.1, -0.3, 0.75}, // (2, 3)
		{1, -2, 0.05},                    // (3,)
	}
	shapes := [][]int{{2, 3}, {3}}
	for i, d := range init {
		v := autograd.NewParam(tensor.FromSlice(append([]float32(nil), d...), shapes[i]...))
		p.params = append(p.params, v)
		r := make([]float64, len(d))
		for j, x := range d {
			r[j] = float64(x)
		}
		p.ref = append(p.ref, r)
	}
	return p
}

// setGrads writes step k's gradients into the params and returns them as
// float64 (exactly the float32 values the optimizer sees).
func (p *problem) setGrads(k int) [][]float64 {
	out := make([][]float64, len(p.params))
	for i, v := range p.params {
		out[i] = make([]float64, len(v.Grad.Data))
		for j := range v.Grad.Data {
			// Varying sign and magnitude from step to step.
			g := float32(math.Sin(float64(1+k*7+i*3+j*5)) * (0.5 + float64(k)))
			v.Grad.Data[j] = g
			out[i][j] = float64(g)
		}
	}
	return out
}

func (p *problem) check(t *testing.T, name string, step int) {
	t.Helper()
	for i, v := range p.params {
		for j, got := range v.Value.Data {
			want := p.ref[i][j]
			if d := math.Abs(float64(got) - want); d > 2e-6+1e-5*math.Abs(want) {
				t.Fatalf("%s step %d: param %d[%d] = %.9g, reference %.9g", name, step, i, j, got, want)
			}
		}
	}
}

func TestSGDPlain(t *testing.T) {
	p := newProblem()
	o := &SGD{LR: 0.1}
	o.Build(p.params)
	for k := 1; k <= 4; k++ {
		g := p.setGrads(k)
		o.Apply()
		for i := range p.ref {
			for j := range p.ref[i] {
				p.ref[i][j] -= float64(float32(0.1)) * g[i][j]
			}
		}
		p.check(t, "SGD", k)
		if o.Iterations() != k {
			t.Errorf("Iterations = %d after %d steps", o.Iterations(), k)
		}
	}
}

func sgdMomentumRef(t *testing.T, nesterov bool) {
	p := newProblem()
	lr, mom := float32(0.05), float32(0.9)
	o := &SGD{LR: lr, Momentum: mom, Nesterov: nesterov}
	o.Build(p.params)
	vel := make([][]float64, len(p.ref))
	for i := range vel {
		vel[i] = make([]float64, len(p.ref[i]))
	}
	l, m := float64(lr), float64(mom)
	for k := 1; k <= 5; k++ {
		g := p.setGrads(k)
		o.Apply()
		for i := range p.ref {
			for j := range p.ref[i] {
				// Keras 2: v = m·v − lr·g; p += v, or p += m·v − lr·g (Nesterov).
				vel[i][j] = m*vel[i][j] - l*g[i][j]
				if nesterov {
					p.ref[i][j] += m*vel[i][j] - l*g[i][j]
				} else {
					p.ref[i][j] += vel[i][j]
				}
			}
		}
		name := "SGD momentum"
		if nesterov {
			name = "SGD Nesterov"
		}
		p.check(t, name, k)
	}
}

func TestSGDMomentum(t *testing.T) { sgdMomentumRef(t, false) }
func TestSGDNesterov(t *testing.T) { sgdMomentumRef(t, true) }

// TestSGDMomentumDiffersFromNesterov makes sure the two paths are not the
// same code by accident.
func TestSGDMomentumDiffersFromNesterov(t *testing.T) {
	a, b := newProblem(), newProblem()
	oa := &SGD{LR: 0.05, Momentum: 0.9}
	ob := &SGD{LR: 0.05, Momentum: 0.9, Nesterov: true}
	oa.Build(a.params)
	ob.Build(b.params)
	for k := 1; k <= 2; k++ {
		a.setGrads(k)
		b.setGrads(k)
		oa.Apply()
		ob.Apply()
	}
	if a.params[0].Value.Data[0] == b.params[0].Value.Data[0] {
		t.Errorf("momentum and Nesterov updates coincide")
	}
}

func adamRef(t *testing.T, o *Adam, lr, b1, b2, eps float64, scale float32) {
	p := newProblem()
	o.Build(p.params)
	m := make([][]float64, len(p.ref))
	v := make([][]float64, len(p.ref))
	for i := range m {
		m[i] = make([]float64, len(p.ref[i]))
		v[i] = make([]float64, len(p.ref[i]))
	}
	for k := 1; k <= 5; k++ {
		g := p.setGrads(k)
		if scale != 1 {
			for i, pv := range p.params {
				for j := range pv.Grad.Data {
					pv.Grad.Data[j] *= scale
					g[i][j] = float64(pv.Grad.Data[j])
				}
			}
		}
		o.Apply()
		tt := float64(k)
		lrT := lr * math.Sqrt(1-math.Pow(b2, tt)) / (1 - math.Pow(b1, tt))
		for i := range p.ref {
			for j := range p.ref[i] {
				m[i][j] = b1*m[i][j] + (1-b1)*g[i][j]
				v[i][j] = b2*v[i][j] + (1-b2)*g[i][j]*g[i][j]
				p.ref[i][j] -= lrT * m[i][j] / (math.Sqrt(v[i][j]) + eps)
			}
		}
		p.check(t, "Adam", k)
		if o.Iterations() != k {
			t.Errorf("Adam Iterations = %d after %d steps", o.Iterations(), k)
		}
	}
}

func TestAdamExplicit(t *testing.T) {
	o := &Adam{LR: 0.1, Beta1: 0.8, Beta2: 0.99, Epsilon: 1e-3}
	adamRef(t, o, float64(float32(0.1)), float64(float32(0.8)), float64(float32(0.99)), float64(float32(1e-3)), 1)
}

func TestAdamDefaults(t *testing.T) {
	o := &Adam{}
	if o.LearningRate() != 1e-3 {
		t.Errorf("Adam default lr %v", o.LearningRate())
	}
	if o.Name() != "Adam" {
		t.Errorf("Name %q", o.Name())
	}
	// Large gradients: the defaults lr, β₁, β₂ drive the update.
	adamRef(t, o, float64(float32(1e-3)), float64(float32(0.9)), float64(float32(0.999)), float64(float32(1e-7)), 1)
}

// TestAdamDefaultEpsilon uses gradients of order 1e-6, where √v ≈ 3e-8 is
// comparable to ε, so the result depends on ε being Keras's 1e-7.
func TestAdamDefaultEpsilon(t *testing.T) {
	adamRef(t, &Adam{LR: 1}, 1, float64(float32(0.9)), float64(float32(0.999)), float64(float32(1e-7)), 1e-6)
}

func rmspropRef(t *testing.T, o *RMSprop, lr, rho, eps float64, scale float32) {
	p := newProblem()
	o.Build(p.params)
	a := make([][]float64, len(p.ref))
	for i := range a {
		a[i] = make([]float64, len(p.ref[i]))
	}
	for k := 1; k <= 5; k++ {
		g := p.setGrads(k)
		if scale != 1 {
			for i, pv := range p.params {
				for j := range pv.Grad.Data {
					pv.Grad.Data[j] *= scale
					g[i][j] = float64(pv.Grad.Data[j])
				}
			}
		}
		o.Apply()
		for i := range p.ref {
			for j := range p.ref[i] {
				a[i][j] = rho*a[i][j] + (1-rho)*g[i][j]*g[i][j]
				p.ref[i][j] -= lr * g[i][j] / (math.Sqrt(a[i][j]) + eps)
			}
		}
		p.check(t, "RMSprop", k)
		if o.Iterations() != k {
			t.Errorf("RMSprop Iterations = %d after %d steps", o.Iterations(), k)
		}
	}
}

func TestRMSpropExplicit(t *testing.T) {
	o := &RMSprop{LR: 0.01, Rho: 0.8, Epsilon: 1e-2}
	rmspropRef(t, o, float64(float32(0.01)), float64(float32(0.8)), float64(float32(1e-2)), 1)
}

func TestRMSpropDefaults(t *testing.T) {
	o := &RMSprop{}
	if o.LearningRate() != 1e-3 || o.Name() != "RMSprop" {
		t.Errorf("RMSprop default lr %v name %q", o.LearningRate(), o.Name())
	}
	rmspropRef(t, o, float64(float32(1e-3)), float64(float32(0.9)), float64(float32(1e-7)), 1)
	// Tiny gradients: √a ≈ 3e-7, so ε = 1e-7 matters.
	rmspropRef(t, &RMSprop{LR: 0.1}, float64(float32(0.1)), float64(float32(0.9)), float64(float32(1e-7)), 1e-6)
}

func TestZeroValueDefaults(t *testing.T) {
	var s SGD
	if s.LearningRate() != 0.01 || s.Momentum != 0 || s.Nesterov || s.Iterations() != 0 || s.Name() != "SGD" {
		t.Errorf("SGD zero value: lr %v momentum %v nesterov %v iter %d name %q",
			s.LearningRate(), s.Momentum, s.Nesterov, s.Iterations(), s.Name())
	}
	// The zero value works as an optimizer with lr 0.01.
	p := newProblem()
	g := p.setGrads(1)
	s.Build(p.params)
	s.Apply()
	for i := range p.ref {
		for j := range p.ref[i] {
			p.ref[i][j] -= float64(float32(0.01)) * g[i][j]
		}
	}
	p.check(t, "SGD{}", 1)

	var a Adam
	var r RMSprop
	if a.Iterations() != 0 || r.Iterations() != 0 {
		t.Errorf("zero-value Iterations not 0")
	}
	var _ Optimizer = &s
	var _ Optimizer = &a
	var _ Optimizer = &r
}

func TestSetLearningRate(t *testing.T) {
	for _, o := range []Optimizer{&SGD{}, &Adam{}, &RMSprop{}} {
		o.SetLearningRate(0.25)
		if o.LearningRate() != 0.25 {
			t.Errorf("%s: LearningRate %v after SetLearningRate(0.25)", o.Name(), o.LearningRate())
		}
	}
	// A changed rate takes effect on the next step.
	p := newProblem()
	o := &SGD{LR: 0.1}
	o.Build(p.params)
	for k := 1; k <= 3; k++ {
		lr := float32(0.1)
		if k == 3 {
			lr = 0.02
			o.SetLearningRate(lr)
		}
		g := p.setGrads(k)
		o.Apply()
		for i := range p.ref {
			for j := range p.ref[i] {
				p.ref[i][j] -= float64(lr) * g[i][j]
			}
		}
		p.check(t, "SGD with SetLearningRate", k)
	}
	if o.Iterations() != 3 {
		t.Errorf("Iterations %d", o.Iterations())
	}
}

func TestApplyAllocatesNothingAfterFirstCall(t *testing.T) {
	opts := []Optimizer{
		&SGD{}, &SGD{Momentum: 0.9}, &SGD{Momentum: 0.9, Nesterov: true},
		&Adam{}, &RMSprop{},
	}
	for _, o := range opts {
		p := newProblem()
		o.Build(p.params)
		p.setGrads(1)
		o.Apply()
		allocs := alloctest.PerRun(20, func() { o.Apply() })
		if allocs != 0 {
			t.Errorf("%s %+v: Apply allocates %v times per call after the first", o.Name(), o, allocs)
		}
		if o.Iterations() != 22 { // 1 + PerRun's warm-up + 20 runs
			t.Errorf("%s: Iterations %d, want 22", o.Name(), o.Iterations())
		}
	}
}
