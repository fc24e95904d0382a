package layers

import (
	"fmt"

	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/initializers"
)

// BatchNormalization normalizes its input over the batch, feature by
// feature (the last dimension), then scales by gamma and shifts by beta,
// with Keras's semantics: training uses the batch's statistics and moves the
// moving mean and variance toward them; inference uses the moving ones.
// gamma and beta are trainable; the moving statistics are not.
type BatchNormalization struct {
	// Momentum of the moving statistics; 0 means Keras's 0.99.
	Momentum float32 `json:"momentum,omitempty"`
	// Epsilon added to the variance; 0 means Keras's 1e-3.
	Epsilon float32 `json:"epsilon,omitempty"`
	// Synchronized takes the training statistics over the global batch of
	// data-parallel training, summed over the ranks, as Keras 3's
	// synchronized=True: every rank normalizes with the same mean and
	// variance, and the moving statistics stay the same on all. False (the
	// default, as in Keras) keeps them per rank, over its own rows. In one
	// process the two are the same.
	Synchronized bool `json:"synchronized,omitempty"`

	Base
	gamma, beta *autograd.Var
	params      autograd.BatchNormParams
}

// ClassName implements Layer.
func (*BatchNormalization) ClassName() string { return "BatchNormalization" }

// Build implements Layer.
func (l *BatchNormalization) Build(input []int) error {
	if err := checkShape(l.ClassName(), l.Name, input); err != nil {
		return err
	}
	mom, eps := l.Momentum, l.Epsilon
	if mom == 0 {
		mom = 0.99
	}
	if eps == 0 {
		eps = 1e-3
	}
	if !(mom > 0 && mom < 1) || !(eps > 0) {
		return fmt.Errorf("layer %q (BatchNormalization): momentum must be in (0, 1) and epsilon positive, got %v and %v", l.Name, mom, eps)
	}
	n := []int{input[len(input)-1]}
	l.SetOutputShape(input)
	l.gamma = l.AddWeight("gamma", n, initializers.Ones{}, true)
	l.beta = l.AddWeight("beta", n, initializers.Zeros{}, true)
	mm := l.AddWeight("moving_mean", n, initializers.Zeros{}, false)
	mv := l.AddWeight("moving_variance", n, initializers.Ones{}, false)
	l.params = autograd.BatchNormParams{MovingMean: mm.Value, MovingVariance: mv.Value, Momentum: mom, Epsilon: eps, Synchronized: l.Synchronized}
	return nil
}

// Call implements Layer.
func (l *BatchNormalization) Call(c *CallContext, x *autograd.Var) *autograd.Var {
	return c.Tape.BatchNorm(x, l.gamma, l.beta, l.params, c.Training)
}
