package optimizers

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/tensor"
)

func TestGetAndConfig(t *testing.T) {
	o, err := Get("sgd", json.RawMessage(`{"learning_rate": 0.1, "momentum": 0.9, "nesterov": true}`))
	if err != nil {
		t.Fatal(err)
	}
	if s := o.(*SGD); s.LR != 0.1 || s.Momentum != 0.9 || !s.Nesterov {
		t.Errorf("config not applied: %+v", s)
	}
	if o, err := Get("Adam", nil); err != nil || o.LearningRate() != 1e-3 {
		t.Errorf("Get(Adam) = %v, %v", o, err)
	}
	if _, err := Get("adamw", nil); err == nil || !strings.Contains(err.Error(), `unknown optimizer "adamw"`) {
		t.Errorf("unknown optimizer: %v", err)
	}
	if _, err := Get("adam", json.RawMessage(`{"lr": 1}`)); err == nil || !strings.Contains(err.Error(), "learning_rate, beta_1, beta_2, epsilon") {
		t.Errorf("unknown field: %v", err)
	}
}

// TestStateRestoreContinuesExactly checks that copying an optimizer's
// slots and iterations into a fresh one continues the same updates.
func TestStateRestoreContinuesExactly(t *testing.T) {
	for _, newOpt := range []func() Stateful{
		func() Stateful { return &Adam{} },
		func() Stateful { return &RMSprop{} },
		func() Stateful { return &SGD{Momentum: 0.9} },
	} {
		rng := tensor.NewRNG(1)
		mk := func() []*autograd.Var {
			p := autograd.NewParam(tensor.New(3, 2))
			rng2 := tensor.NewRNG(2)
			rng2.Normal(p.Value, 0, 1)
			return []*autograd.Var{p}
		}
		a, b := mk(), mk()
		oa, ob := newOpt(), newOpt()
		step := func(o Stateful, ps []*autograd.Var, g *tensor.Tensor) {
			ps[0].Grad.CopyFrom(g)
			o.Apply(ps)
		}
		grads := make([]*tensor.Tensor, 6)
		for i := range grads {
			grads[i] = tensor.New(3, 2)
			rng.Normal(grads[i], 0, 1)
		}
		for _, g := range grads[:3] {
			step(oa, a, g)
		}
		// Restore into ob/b: weights, slots and iterations.
		b[0].Value.CopyFrom(a[0].Value)
		src, dst := oa.Slots(a), ob.Slots(b)
		for s := range src {
			for i := range src[s] {
				dst[s][i].CopyFrom(src[s][i])
			}
		}
		ob.SetIterations(oa.Iterations())
		for _, g := range grads[3:] {
			step(oa, a, g)
			step(ob, b, g)
		}
		for i, v := range a[0].Value.Data {
			if v != b[0].Value.Data[i] {
				t.Fatalf("%s: restored optimizer diverges at %d: %v vs %v", oa.Name(), i, v, b[0].Value.Data[i])
			}
		}
	}
}
