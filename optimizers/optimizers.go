// Package optimizers holds Keras's optimizers, with Keras 2.2's update
// rules, options and defaults.
//
// An optimizer is bound to the variables it updates by Build (the model
// does this at Compile, with its trainable weights), then each Apply
// updates them from their Grad tensors and allocates nothing.
//
// The zero value of each optimizer is ready to use with Keras's defaults:
// the fields of a Go literal that are zero and have a nonzero Keras default
// (SGD{}.LR, Adam{}.Beta1, …) are filled in once, the first time the
// optimizer is built, applied, validated or asked for its rate (marshalling
// writes them as filled in, too). From then on every
// field is used as it is, so SetLearningRate(0) really sets a rate of 0.
// A JSON config is taken literally from the start: a missing key means
// Keras's default and a present key its value, 0 included. Marshalling
// writes every field, so a saved config round-trips exactly.
//
// Gradient clipping, shared by every optimizer here, is Keras 2.2's:
// with ClipNorm > 0, gradients are first scaled by ClipNorm/max(‖g‖,
// ClipNorm), where ‖g‖ is the global L2 norm over all bound variables'
// gradients together (as Keras 2.2's get_gradients does); then, with
// ClipValue > 0, each element is clipped to [−ClipValue, ClipValue]. Zero
// turns either off.
//
// Clipping works on a private copy of the gradients: the variables' Grad
// tensors are left as the backward pass wrote them, so callbacks that read
// gradients (LearningSpeed) see the raw ones. The copy is allocated at
// Build, or at the first Apply after clipping is turned on.
package optimizers

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/internal/cpu"
	"github.com/neurona/neurona/internal/registry"
	"github.com/neurona/neurona/tensor"
)

// Optimizer updates variables from their gradients.
type Optimizer interface {
	// Name returns the Keras class name, such as "Adam".
	Name() string
	// Build binds the optimizer to the variables it will update (the
	// model's trainable weights fixed at Compile). Slots are keyed per
	// variable: a variable bound before keeps its slots (Adam's m and v,
	// momentum) when Build is called again with another set or order; new
	// variables get zero slots. A variable may appear only once.
	Build(vars []*autograd.Var)
	// Apply performs one update of the bound variables from their Grad
	// tensors. It allocates nothing. It panics if Build was never called.
	Apply()
	// LearningRate returns the current learning rate (before decay).
	LearningRate() float32
	// SetLearningRate changes the learning rate, as callbacks do; 0 is a
	// rate like any other.
	SetLearningRate(lr float32)
	// Iterations returns the number of updates applied so far.
	Iterations() int
}

// Validator is implemented by optimizers that can check their settings.
// The builtin optimizers all implement it.
type Validator interface {
	// Validate reports settings outside their valid range.
	Validate() error
}

// Validate returns o's Validate error if o is a Validator, nil otherwise.
// Models call it at Compile, since Build cannot fail; Get calls it on every
// optimizer it returns.
func Validate(o Optimizer) error {
	if v, ok := o.(Validator); ok {
		return v.Validate()
	}
	return nil
}

func clipOn(norm, value float32) bool { return norm > 0 || value > 0 }

func validateClip(norm, value float32) error {
	return errors.Join(nonNegative("clipnorm", norm), nonNegative("clipvalue", value))
}

// bound is one variable bound to an optimizer.
type bound struct {
	v     *autograd.Var
	slots []*tensor.Tensor
	// g is the gradient Apply uses: v.Grad.Data, or clip after clipping.
	g    []float32
	clip []float32
}

// state is what every optimizer keeps: its bound variables with their
// slots, and the iteration count.
type state struct {
	built  bool
	vars   []bound
	byVar  map[*autograd.Var][]*tensor.Tensor
	nslots int
	iter   int
	clip   *clipJob
}

// clipJob copies a gradient into its clip buffer clamped to [−cv, cv], over
// the workers (elementwise: the same bits at any GOMAXPROCS). It is made
// once, with its method value.
type clipJob struct {
	dst, g []float32
	cv     float32
	fn     func(lo, hi int)
}

func (j *clipJob) run(lo, hi int) {
	d, g, cv := j.dst[lo:hi], j.g[lo:hi], j.cv
	for i, x := range g {
		d[i] = min(max(x, -cv), cv)
	}
}

// build binds vars with nslots zero slots each, keeping the slots of
// variables bound before.
func (s *state) build(name string, vars []*autograd.Var, nslots int, clip bool) {
	if s.byVar == nil {
		s.byVar = map[*autograd.Var][]*tensor.Tensor{}
	}
	seen := make(map[*autograd.Var]bool, len(vars))
	s.vars = s.vars[:0]
	for i, v := range vars {
		if seen[v] {
			panic(fmt.Sprintf("optimizers: %s.Build: variable %d appears twice", name, i))
		}
		seen[v] = true
		s.vars = append(s.vars, bound{v: v})
	}
	s.nslots = 0
	s.ensure(nslots)
	if clip {
		s.ensureClip()
	}
	s.built = true
}

// ensure gives every bound variable at least n slots.
func (s *state) ensure(n int) {
	if s.nslots >= n {
		return
	}
	for i := range s.vars {
		b := &s.vars[i]
		sl := s.byVar[b.v]
		for len(sl) < n {
			sl = append(sl, tensor.New(b.v.Value.Shape...))
		}
		s.byVar[b.v] = sl
		b.slots = sl
	}
	s.nslots = n
}

func (s *state) ensureClip() {
	for i := range s.vars {
		b := &s.vars[i]
		if n := len(b.v.Value.Data); len(b.clip) != n {
			b.clip = make([]float32, n)
		}
	}
}

// slotsOf returns v's first n slots, or nil if v is not bound.
func (s *state) slotsOf(v *autograd.Var, n int) []*tensor.Tensor {
	if n == 0 {
		return nil
	}
	s.ensure(n)
	sl := s.byVar[v]
	if len(sl) < n {
		return nil
	}
	return sl[:n:n]
}

// begin starts an update: it checks that the optimizer is built, points
// each bound variable's g at its gradient (clipped when c is on) and
// returns the iteration count before this update, which it increments.
func (s *state) begin(name string, clipNorm, clipValue float32) (iter int) {
	if !s.built {
		panic("optimizers: " + name + ".Apply before Build")
	}
	iter = s.iter
	s.iter++
	for i := range s.vars {
		s.vars[i].g = s.vars[i].v.Grad.Data
	}
	if !clipOn(clipNorm, clipValue) {
		return iter
	}
	if len(s.vars) > 0 && s.vars[0].clip == nil {
		s.ensureClip()
	}
	if clipNorm <= 0 {
		// Clip by value alone: copy and clamp in one pass over the workers.
		if s.clip == nil {
			s.clip = &clipJob{}
			s.clip.fn = s.clip.run
		}
		j := s.clip
		j.cv = clipValue
		for i := range s.vars {
			b := &s.vars[i]
			j.dst, j.g = b.clip, b.g[:len(b.clip)]
			cpu.ParallelFor(len(b.clip), updateGrain, j.fn)
			b.g = b.clip
		}
		j.dst, j.g = nil, nil
		return iter
	}
	for i := range s.vars {
		b := &s.vars[i]
		copy(b.clip, b.g)
		b.g = b.clip
	}
	if clipNorm > 0 {
		var sum float64
		for i := range s.vars {
			for _, g := range s.vars[i].g {
				sum += float64(g) * float64(g)
			}
		}
		if norm := math.Sqrt(sum); norm >= float64(clipNorm) {
			scale := float32(float64(clipNorm) / norm)
			for i := range s.vars {
				g := s.vars[i].g
				for j := range g {
					g[j] *= scale
				}
			}
		}
	}
	if cv := clipValue; cv > 0 {
		for i := range s.vars {
			g := s.vars[i].g
			for j, x := range g {
				g[j] = min(max(x, -cv), cv)
			}
		}
	}
	return iter
}

// decayed returns Keras 2.2's lr·1/(1 + decay·iterations), iterations
// being the count before this update; lr itself when decay is 0.
func decayed(lr, decay float32, iter int) float64 {
	if decay > 0 {
		return float64(lr) * (1 / (1 + float64(decay)*float64(iter)))
	}
	return float64(lr)
}

func orDefault(v *float32, def float32) {
	if *v == 0 {
		*v = def
	}
}

func nonNegative(name string, v float32) error {
	if !(v >= 0) || math.IsInf(float64(v), 1) {
		return fmt.Errorf("%s must be a finite number ≥ 0, got %v", name, v)
	}
	return nil
}

func unitInterval(name string, v float32) error {
	if !(v >= 0 && v < 1) {
		return fmt.Errorf("%s must be in [0, 1), got %v", name, v)
	}
	return nil
}

// strictDecode decodes a JSON config into ptr, refusing unknown fields.
func strictDecode(ptr any, b []byte) error {
	return registry.Decode(ptr, b)
}

// SGD is stochastic gradient descent with optional (Nesterov) momentum, as
// Keras 2.2's SGD: with lr_t the decayed rate, v = momentum·v − lr_t·g,
// then p += v, or p += momentum·v − lr_t·g with Nesterov.
type SGD struct {
	// LR is the learning rate; zero in a literal means Keras's 0.01.
	LR float32 `json:"learning_rate"`
	// Momentum is in [0, 1).
	Momentum float32 `json:"momentum"`
	Nesterov bool    `json:"nesterov"`
	// Decay makes the rate lr/(1 + Decay·iterations).
	Decay float32 `json:"decay"`
	// ClipNorm and ClipValue clip the gradients (see the package doc).
	ClipNorm  float32 `json:"clipnorm"`
	ClipValue float32 `json:"clipvalue"`

	resolved bool
	st       state
}

func (o *SGD) resolve() {
	if !o.resolved {
		orDefault(&o.LR, 0.01)
		o.resolved = true
	}
}

// Name implements Optimizer.
func (*SGD) Name() string { return "SGD" }

// LearningRate implements Optimizer.
func (o *SGD) LearningRate() float32 { o.resolve(); return o.LR }

// SetLearningRate implements Optimizer.
func (o *SGD) SetLearningRate(lr float32) { o.resolve(); o.LR = lr }

// Iterations implements Optimizer.
func (o *SGD) Iterations() int { return o.st.iter }

// Validate implements Validator: the rate, decay and clipping must be ≥ 0
// and the momentum in [0, 1).
func (o *SGD) Validate() error {
	o.resolve()
	return errors.Join(nonNegative("learning_rate", o.LR), unitInterval("momentum", o.Momentum),
		nonNegative("decay", o.Decay), validateClip(o.ClipNorm, o.ClipValue))
}

// Build implements Optimizer.
func (o *SGD) Build(vars []*autograd.Var) {
	o.resolve()
	n := 0
	if o.Momentum != 0 {
		n = 1
	}
	o.st.build("SGD", vars, n, clipOn(o.ClipNorm, o.ClipValue))
}

// Apply implements Optimizer.
func (o *SGD) Apply() {
	o.resolve()
	iter := o.st.begin("SGD", o.ClipNorm, o.ClipValue)
	lr := o.LR
	if o.Decay > 0 {
		lr = float32(decayed(lr, o.Decay, iter))
	}
	if o.Momentum == 0 {
		for i := range o.st.vars {
			b := &o.st.vars[i]
			cpu.Axpy(b.v.Value.Data, b.g, -lr)
		}
		return
	}
	o.st.ensure(1)
	mom := o.Momentum
	for i := range o.st.vars {
		b := &o.st.vars[i]
		v, g, w := b.slots[0].Data, b.g, b.v.Value.Data
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

type sgdJSON SGD

// MarshalJSON writes every field, with Keras's defaults filled in.
func (o SGD) MarshalJSON() ([]byte, error) {
	o.resolve()
	return json.Marshal((*sgdJSON)(&o))
}

// UnmarshalJSON reads a config literally: missing keys take Keras's
// defaults, present keys their value (0 included). Unknown keys are errors.
func (o *SGD) UnmarshalJSON(b []byte) error {
	c := SGD{}
	c.resolve()
	if err := strictDecode((*sgdJSON)(&c), b); err != nil {
		return err
	}
	o.LR, o.Momentum, o.Nesterov, o.Decay, o.ClipNorm, o.ClipValue = c.LR, c.Momentum, c.Nesterov, c.Decay, c.ClipNorm, c.ClipValue
	o.resolved = true
	return nil
}

// Adam is Kingma and Ba's optimizer in Keras 2.2's form: with t updates so
// far including this one and lr the decayed rate,
// lr_t = lr·√(1−β₂ᵗ)/(1−β₁ᵗ), m = β₁m + (1−β₁)g, v = β₂v + (1−β₂)g²,
// p −= lr_t·m/(√v + ε). Zero fields of a literal mean Keras's defaults:
// lr 1e-3, β₁ 0.9, β₂ 0.999, ε 1e-7.
type Adam struct {
	LR      float32 `json:"learning_rate"`
	Beta1   float32 `json:"beta_1"`
	Beta2   float32 `json:"beta_2"`
	Epsilon float32 `json:"epsilon"`
	// Decay makes the rate lr/(1 + Decay·iterations).
	Decay float32 `json:"decay"`
	// ClipNorm and ClipValue clip the gradients (see the package doc).
	ClipNorm  float32 `json:"clipnorm"`
	ClipValue float32 `json:"clipvalue"`

	resolved bool
	st       state
}

func (o *Adam) resolve() {
	if !o.resolved {
		orDefault(&o.LR, 1e-3)
		orDefault(&o.Beta1, 0.9)
		orDefault(&o.Beta2, 0.999)
		orDefault(&o.Epsilon, 1e-7)
		o.resolved = true
	}
}

// Name implements Optimizer.
func (*Adam) Name() string { return "Adam" }

// LearningRate implements Optimizer.
func (o *Adam) LearningRate() float32 { o.resolve(); return o.LR }

// SetLearningRate implements Optimizer.
func (o *Adam) SetLearningRate(lr float32) { o.resolve(); o.LR = lr }

// Iterations implements Optimizer.
func (o *Adam) Iterations() int { return o.st.iter }

// Validate implements Validator: the rate, ε, decay and clipping must be
// ≥ 0 and β₁, β₂ in [0, 1).
func (o *Adam) Validate() error {
	o.resolve()
	return errors.Join(nonNegative("learning_rate", o.LR), unitInterval("beta_1", o.Beta1),
		unitInterval("beta_2", o.Beta2), nonNegative("epsilon", o.Epsilon),
		nonNegative("decay", o.Decay), validateClip(o.ClipNorm, o.ClipValue))
}

// Build implements Optimizer.
func (o *Adam) Build(vars []*autograd.Var) {
	o.resolve()
	o.st.build("Adam", vars, 2, clipOn(o.ClipNorm, o.ClipValue))
}

// Apply implements Optimizer.
func (o *Adam) Apply() {
	o.resolve()
	iter := o.st.begin("Adam", o.ClipNorm, o.ClipValue)
	b1, b2 := float64(o.Beta1), float64(o.Beta2)
	t := float64(iter + 1)
	lrT := float32(decayed(o.LR, o.Decay, iter) * math.Sqrt(1-math.Pow(b2, t)) / (1 - math.Pow(b1, t)))
	for i := range o.st.vars {
		b := &o.st.vars[i]
		cpu.AdamUpdate(b.v.Value.Data, b.g, b.slots[0].Data, b.slots[1].Data, o.Beta1, o.Beta2, lrT, o.Epsilon)
	}
}

type adamJSON Adam

// MarshalJSON writes every field, with Keras's defaults filled in.
func (o Adam) MarshalJSON() ([]byte, error) {
	o.resolve()
	return json.Marshal((*adamJSON)(&o))
}

// UnmarshalJSON reads a config literally: missing keys take Keras's
// defaults, present keys their value (0 included). Unknown keys are errors.
func (o *Adam) UnmarshalJSON(b []byte) error {
	c := Adam{}
	c.resolve()
	if err := strictDecode((*adamJSON)(&c), b); err != nil {
		return err
	}
	o.LR, o.Beta1, o.Beta2, o.Epsilon, o.Decay, o.ClipNorm, o.ClipValue = c.LR, c.Beta1, c.Beta2, c.Epsilon, c.Decay, c.ClipNorm, c.ClipValue
	o.resolved = true
	return nil
}

// RMSprop divides the gradient by a running root mean square, as Keras
// 2.2's RMSprop: with lr the decayed rate, a = ρa + (1−ρ)g²,
// p −= lr·g/(√a + ε). Zero fields of a literal mean Keras's defaults:
// lr 1e-3, ρ 0.9, ε 1e-7.
type RMSprop struct {
	LR      float32 `json:"learning_rate"`
	Rho     float32 `json:"rho"`
	Epsilon float32 `json:"epsilon"`
	// Decay makes the rate lr/(1 + Decay·iterations).
	Decay float32 `json:"decay"`
	// ClipNorm and ClipValue clip the gradients (see the package doc).
	ClipNorm  float32 `json:"clipnorm"`
	ClipValue float32 `json:"clipvalue"`

	resolved bool
	st       state
	job      *rmspropJob
}

// rmspropJob carries one variable's RMSprop update to cpu.ParallelFor. Each
// element's update is independent of the others', so the split over
// workers changes no bit. It is made once, with its method value, so that
// an update allocates nothing.
type rmspropJob struct {
	a, g, w []float32
	rho, lr float32
	eps     float64
	fn      func(lo, hi int)
}

// updateGrain is the fewest elements a worker takes in the elementwise
// passes over the variables (RMSprop's update, clipping by value): about
// 20 µs of work.
const updateGrain = 1 << 14

func (j *rmspropJob) run(lo, hi int) {
	a, g, w := j.a[lo:hi], j.g[lo:hi], j.w[lo:hi]
	rho, lr, eps := j.rho, j.lr, j.eps
	for i := range a {
		a[i] = rho*a[i] + (1-rho)*g[i]*g[i]
		w[i] -= lr * g[i] / float32(math.Sqrt(float64(a[i]))+eps)
	}
}

func (o *RMSprop) resolve() {
	if !o.resolved {
		orDefault(&o.LR, 1e-3)
		orDefault(&o.Rho, 0.9)
		orDefault(&o.Epsilon, 1e-7)
		o.resolved = true
	}
}

// Name implements Optimizer.
func (*RMSprop) Name() string { return "RMSprop" }

// LearningRate implements Optimizer.
func (o *RMSprop) LearningRate() float32 { o.resolve(); return o.LR }

// SetLearningRate implements Optimizer.
func (o *RMSprop) SetLearningRate(lr float32) { o.resolve(); o.LR = lr }

// Iterations implements Optimizer.
func (o *RMSprop) Iterations() int { return o.st.iter }

// Validate implements Validator: the rate, ε, decay and clipping must be
// ≥ 0 and ρ in [0, 1).
func (o *RMSprop) Validate() error {
	o.resolve()
	return errors.Join(nonNegative("learning_rate", o.LR), unitInterval("rho", o.Rho),
		nonNegative("epsilon", o.Epsilon), nonNegative("decay", o.Decay), validateClip(o.ClipNorm, o.ClipValue))
}

// Build implements Optimizer.
func (o *RMSprop) Build(vars []*autograd.Var) {
	o.resolve()
	o.st.build("RMSprop", vars, 1, clipOn(o.ClipNorm, o.ClipValue))
}

// Apply implements Optimizer.
func (o *RMSprop) Apply() {
	o.resolve()
	iter := o.st.begin("RMSprop", o.ClipNorm, o.ClipValue)
	lr := o.LR
	if o.Decay > 0 {
		lr = float32(decayed(lr, o.Decay, iter))
	}
	if o.job == nil {
		o.job = &rmspropJob{}
		o.job.fn = o.job.run
	}
	j := o.job
	j.rho, j.lr, j.eps = o.Rho, lr, float64(o.Epsilon)
	for i := range o.st.vars {
		b := &o.st.vars[i]
		j.a, j.g, j.w = b.slots[0].Data, b.g[:len(b.slots[0].Data)], b.v.Value.Data[:len(b.slots[0].Data)]
		cpu.ParallelFor(len(j.a), updateGrain, j.fn)
	}
	j.a, j.g, j.w = nil, nil, nil
}

type rmspropJSON RMSprop

// MarshalJSON writes every field, with Keras's defaults filled in.
func (o RMSprop) MarshalJSON() ([]byte, error) {
	o.resolve()
	return json.Marshal((*rmspropJSON)(&o))
}

// UnmarshalJSON reads a config literally: missing keys take Keras's
// defaults, present keys their value (0 included). Unknown keys are errors.
func (o *RMSprop) UnmarshalJSON(b []byte) error {
	c := RMSprop{}
	c.resolve()
	if err := strictDecode((*rmspropJSON)(&c), b); err != nil {
		return err
	}
	o.LR, o.Rho, o.Epsilon, o.Decay, o.ClipNorm, o.ClipValue = c.LR, c.Rho, c.Epsilon, c.Decay, c.ClipNorm, c.ClipValue
	o.resolved = true
	return nil
}
