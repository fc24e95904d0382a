// Package optimizers holds Keras's optimizers, with Keras's update rules and
// defaults. The zero value of each is ready to use with those defaults.
package optimizers

import (
	"math"

	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/internal/cpu"
	"github.com/neurona/neurona/tensor"
)

// Optimizer updates parameters from their gradients.
type Optimizer interface {
	// Name returns the Keras class name, such as "Adam".
	Name() string
	// Apply performs one update of params from their Grad tensors. The
	// parameter list must be the same, in the same order, on every call.
	Apply(params []*autograd.Var)
	// LearningRate returns the current learning rate.
	LearningRate() float32
	// SetLearningRate changes the learning rate, as callbacks do.
	SetLearningRate(lr float32)
	// Iterations returns the number of updates applied so far.
	Iterations() int
}

// slots returns per-parameter state tensors, allocating them on first use.
func slots(s *[]*tensor.Tensor, params []*autograd.Var) []*tensor.Tensor {
	if len(*s) != len(params) {
		*s = make([]*tensor.Tensor, len(params))
		for i, p := range params {
			(*s)[i] = tensor.New(p.Value.Shape...)
		}
	}
	return *s
}

func orDefault(v, def float32) float32 {
	if v == 0 {
		return def
	}
	return v
}

// SGD is stochastic gradient descent with optional (Nesterov) momentum:
// v = momentum·v − lr·g; p += v (or p += momentum·v − lr·g with Nesterov).
type SGD struct {
	// LR is the learning rate; 0 means Keras's 0.01.
	LR       float32 `json:"learning_rate,omitempty"`
	Momentum float32 `json:"momentum,omitempty"`
	Nesterov bool    `json:"nesterov,omitempty"`

	velocity []*tensor.Tensor
	iter     int
}

// Name implements Optimizer.
func (*SGD) Name() string { return "SGD" }

// LearningRate implements Optimizer.
func (o *SGD) LearningRate() float32 { return orDefault(o.LR, 0.01) }

// SetLearningRate implements Optimizer.
func (o *SGD) SetLearningRate(lr float32) { o.LR = lr }

// Iterations implements Optimizer.
func (o *SGD) Iterations() int { return o.iter }

// Apply implements Optimizer.
func (o *SGD) Apply(params []*autograd.Var) {
	o.iter++
	lr := o.LearningRate()
	if o.Momentum == 0 {
		for _, p := range params {
			cpu.Axpy(p.Value.Data, p.Grad.Data, -lr)
		}
		return
	}
	vel := slots(&o.velocity, params)
	mom := o.Momentum
	for i, p := range params {
		v, g, w := vel[i].Data, p.Grad.Data, p.Value.Data
		for j := range v {
			v[j] = mom*v[j] - lr*g[j]
			if o.Nesterov {
				w[j] += mom*v[j] - lr*g[j]
			} else {
				w[j] += v[j]
			}
		}
	}
}

// Adam is Kingma and Ba's optimizer in Keras's form: with t updates so far,
// lr_t = lr·√(1−β₂ᵗ)/(1−β₁ᵗ), m = β₁m + (1−β₁)g, v = β₂v + (1−β₂)g²,
// p −= lr_t·m/(√v + ε). Zero fields mean Keras's defaults: lr 1e-3, β₁ 0.9,
// β₂ 0.999, ε 1e-7.
type Adam struct {
	LR      float32 `json:"learning_rate,omitempty"`
	Beta1   float32 `json:"beta_1,omitempty"`
	Beta2   float32 `json:"beta_2,omitempty"`
	Epsilon float32 `json:"epsilon,omitempty"`

	m, v []*tensor.Tensor
	iter int
}

// Name implements Optimizer.
func (*Adam) Name() string { return "Adam" }

// LearningRate implements Optimizer.
func (o *Adam) LearningRate() float32 { return orDefault(o.LR, 1e-3) }

// SetLearningRate implements Optimizer.
func (o *Adam) SetLearningRate(lr float32) { o.LR = lr }

// Iterations implements Optimizer.
func (o *Adam) Iterations() int { return o.iter }

// Apply implements Optimizer.
func (o *Adam) Apply(params []*autograd.Var) {
	o.iter++
	b1 := float64(orDefault(o.Beta1, 0.9))
	b2 := float64(orDefault(o.Beta2, 0.999))
	eps := orDefault(o.Epsilon, 1e-7)
	t := float64(o.iter)
	lrT := float32(float64(o.LearningRate()) * math.Sqrt(1-math.Pow(b2, t)) / (1 - math.Pow(b1, t)))
	ms, vs := slots(&o.m, params), slots(&o.v, params)
	for i, p := range params {
		cpu.AdamUpdate(p.Value.Data, p.Grad.Data, ms[i].Data, vs[i].Data, float32(b1), float32(b2), lrT, eps)
	}
}

// RMSprop divides the gradient by a running root mean square:
// a = ρa + (1−ρ)g², p −= lr·g/(√a + ε). Zero fields mean Keras's defaults:
// lr 1e-3, ρ 0.9, ε 1e-7.
type RMSprop struct {
	LR      float32 `json:"learning_rate,omitempty"`
	Rho     float32 `json:"rho,omitempty"`
	Epsilon float32 `json:"epsilon,omitempty"`

	acc  []*tensor.Tensor
	iter int
}

// Name implements Optimizer.
func (*RMSprop) Name() string { return "RMSprop" }

// LearningRate implements Optimizer.
func (o *RMSprop) LearningRate() float32 { return orDefault(o.LR, 1e-3) }

// SetLearningRate implements Optimizer.
func (o *RMSprop) SetLearningRate(lr float32) { o.LR = lr }

// Iterations implements Optimizer.
func (o *RMSprop) Iterations() int { return o.iter }

// Apply implements Optimizer.
func (o *RMSprop) Apply(params []*autograd.Var) {
	o.iter++
	lr := o.LearningRate()
	rho := orDefault(o.Rho, 0.9)
	eps := float64(orDefault(o.Epsilon, 1e-7))
	acc := slots(&o.acc, params)
	for i, p := range params {
		a, g, w := acc[i].Data, p.Grad.Data, p.Value.Data
		for j := range a {
			a[j] = rho*a[j] + (1-rho)*g[j]*g[j]
			w[j] -= lr * g[j] / float32(math.Sqrt(float64(a[j]))+eps)
		}
	}
}
