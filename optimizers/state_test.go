package optimizers

import (
	"encoding/json"
	"reflect"
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
	if o, err := Get("ADAM", json.RawMessage(`{}`)); err != nil || o.LearningRate() != 1e-3 || o.(*Adam).Beta2 != 0.999 {
		t.Errorf("Get(ADAM, {}) = %+v, %v", o, err)
	}
	if _, err := Get("adamw", nil); err == nil || !strings.Contains(err.Error(), `unknown optimizer "adamw" (valid: Adam, RMSprop, SGD, adam, rmsprop, sgd)`) {
		t.Errorf("unknown optimizer: %v", err)
	}
	_, err = Get("adam", json.RawMessage(`{"beta1": 1}`))
	if want := `optimizer Adam: unknown field "beta1" (valid: learning_rate, beta_1, beta_2, epsilon, decay, clipnorm, clipvalue)`; err == nil || err.Error() != want {
		t.Errorf("unknown field: %v\nwant %s", err, want)
	}
	if _, err := Get("rmsprop", json.RawMessage(`{"rho": "high"}`)); err == nil || err.Error() != `optimizer RMSprop: field "rho" must be a number, not string` {
		t.Errorf("type error: %v", err)
	}
}

// TestGetKerasLR checks that Keras 2's "lr" is accepted for learning_rate.
func TestGetKerasLR(t *testing.T) {
	o, err := Get("SGD", json.RawMessage(`{"lr": 0.05, "momentum": 0.5, "decay": 1e-4}`))
	if err != nil {
		t.Fatal(err)
	}
	if s := o.(*SGD); s.LR != 0.05 || s.Momentum != 0.5 || s.Decay != 1e-4 {
		t.Errorf("lr alias not applied: %+v", s)
	}
	_, err = Get("SGD", json.RawMessage(`{"lr": 0.05, "learning_rate": 0.1}`))
	if err == nil || strings.Contains(err.Error(), "json: ") || !strings.Contains(err.Error(), `both "learning_rate" and its alias "lr"`) {
		t.Errorf("lr and learning_rate: %v", err)
	}
}

func TestGetValidates(t *testing.T) {
	for _, c := range []struct{ name, config, want string }{
		{"sgd", `{"lr": -0.1}`, "learning_rate must be a finite number ≥ 0, got -0.1"},
		{"sgd", `{"momentum": 1}`, "momentum must be in [0, 1), got 1"},
		{"sgd", `{"momentum": -0.5}`, "momentum must be in [0, 1), got -0.5"},
		{"sgd", `{"decay": -1}`, "decay must be a finite number ≥ 0, got -1"},
		{"adam", `{"clipnorm": -1}`, "clipnorm must be a finite number ≥ 0, got -1"},
		{"adam", `{"beta_1": 1}`, "beta_1 must be in [0, 1), got 1"},
		{"adam", `{"epsilon": -1e-7}`, "epsilon must be a finite number ≥ 0, got -1e-07"},
		{"rmsprop", `{"clipvalue": -2}`, "clipvalue must be a finite number ≥ 0, got -2"},
		{"rmsprop", `{"rho": 1.5}`, "rho must be in [0, 1), got 1.5"},
	} {
		_, err := Get(c.name, json.RawMessage(c.config))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: %v, want %q", c.name, c.config, err, c.want)
		}
	}
	// Zero rates and zero momentum are valid.
	for _, c := range []string{`{"lr": 0}`, `{"momentum": 0, "decay": 0, "clipnorm": 0}`} {
		if _, err := Get("sgd", json.RawMessage(c)); err != nil {
			t.Errorf("%s refused: %v", c, err)
		}
	}
	// Validate on literals sees the defaults, and is what Compile calls.
	for _, o := range []Optimizer{&SGD{}, &Adam{}, &RMSprop{}} {
		if err := Validate(o); err != nil {
			t.Errorf("%s{}: %v", o.Name(), err)
		}
	}
	if err := Validate(&Adam{LR: -1, Beta2: 2}); err == nil || !strings.Contains(err.Error(), "learning_rate") || !strings.Contains(err.Error(), "beta_2") {
		t.Errorf("Validate lists every bad field: %v", err)
	}
	if err := Validate(&SGD{Momentum: 0.9, ClipValue: -1}); err == nil || !strings.Contains(err.Error(), "clipvalue") {
		t.Errorf("Validate: %v", err)
	}
}

// TestConfigRoundTrip checks that the saved config round-trips every field
// exactly, the current learning rate included, 0 included.
func TestConfigRoundTrip(t *testing.T) {
	zeroLR := &Adam{}
	zeroLR.SetLearningRate(0)
	for _, o := range []Optimizer{
		&SGD{}, &SGD{LR: 0.2, Momentum: 0.9, Nesterov: true, Decay: 1e-3, ClipNorm: 1, ClipValue: 0.5},
		&Adam{}, &Adam{LR: 0.1, Beta1: 0.8, Beta2: 0.99, Epsilon: 1e-3, Decay: 0.01, ClipNorm: 2},
		&RMSprop{}, &RMSprop{LR: 3e-4, Rho: 0.95, Epsilon: 1e-6, ClipValue: 0.25},
		zeroLR,
	} {
		b, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Get(o.Name(), b)
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		b2, _ := json.Marshal(back)
		if string(b) != string(b2) || back.LearningRate() != o.LearningRate() {
			t.Errorf("round trip of %s gave %s (lr %v, want %v)", b, b2, back.LearningRate(), o.LearningRate())
		}
		// encoding/json alone reads the same values.
		fresh := reflect.New(reflect.TypeOf(o).Elem()).Interface().(Optimizer)
		if err := json.Unmarshal(b, fresh); err != nil {
			t.Fatal(err)
		}
		if b3, _ := json.Marshal(fresh); string(b3) != string(b) {
			t.Errorf("json.Unmarshal of %s gave %s", b, b3)
		}
	}
	if b, _ := json.Marshal(zeroLR); !strings.Contains(string(b), `"learning_rate":0,`) {
		t.Errorf("a zero rate is not saved as 0: %s", b)
	}
	if b, _ := json.Marshal(&SGD{}); string(b) != `{"learning_rate":0.01,"momentum":0,"nesterov":false,"decay":0,"clipnorm":0,"clipvalue":0}` {
		t.Errorf("SGD{} config %s", b)
	}
	// An explicit 0 in a config is 0, not the default.
	if o, err := Get("sgd", json.RawMessage(`{"learning_rate": 0}`)); err != nil || o.LearningRate() != 0 {
		t.Errorf("explicit 0: %v, %v", o.LearningRate(), err)
	}
	var s SGD
	if err := json.Unmarshal([]byte(`{"learning_rate": 0, "momentum": 0.5}`), &s); err != nil || s.LearningRate() != 0 || s.Momentum != 0.5 {
		t.Errorf("json.Unmarshal explicit 0: %+v, %v", s, err)
	}
	if err := json.Unmarshal([]byte(`{"lr_typo": 1}`), &s); err == nil || !strings.Contains(err.Error(), `unknown field "lr_typo"`) {
		t.Errorf("json.Unmarshal unknown field: %v", err)
	}
}

// TestSetLearningRateZero checks that 0 is a rate, not "the default".
func TestSetLearningRateZero(t *testing.T) {
	for _, o := range []Optimizer{&SGD{}, &SGD{Momentum: 0.9}, &Adam{}, &RMSprop{}} {
		p := newProblem()
		o.Build(p.params)
		p.setGrads(1)
		o.Apply()
		o.SetLearningRate(0)
		if o.LearningRate() != 0 {
			t.Errorf("%s: LearningRate %v after SetLearningRate(0)", o.Name(), o.LearningRate())
		}
		before := append([]float32(nil), p.params[0].Value.Data...)
		p.setGrads(2)
		o.Apply()
		if !reflect.DeepEqual(before, p.params[0].Value.Data) && o.Name() != "SGD" {
			t.Errorf("%s: a zero rate changed the weights", o.Name())
		}
		if s, ok := o.(*SGD); ok && s.Momentum == 0 && !reflect.DeepEqual(before, p.params[0].Value.Data) {
			t.Errorf("SGD: a zero rate changed the weights")
		}
	}
	// Set before first use, then built: still 0.
	o := &Adam{}
	o.SetLearningRate(0)
	o.Build(newProblem().params)
	if o.LearningRate() != 0 {
		t.Errorf("rate set before Build became %v", o.LearningRate())
	}
}

// TestRebuildKeepsSlots checks that slots follow their variables when
// Build is called again with another set and order.
func TestRebuildKeepsSlots(t *testing.T) {
	for _, newOpt := range []func() Stateful{
		func() Stateful { return &Adam{} },
		func() Stateful { return &RMSprop{} },
		func() Stateful { return &SGD{Momentum: 0.9} },
	} {
		o := newOpt()
		p := newProblem()
		a, b := p.params[0], p.params[1]
		o.Build([]*autograd.Var{a, b})
		p.setGrads(1)
		o.Apply()
		sa := o.Slots(a)
		if len(sa) != len(o.SlotNames()) || sa[0].Data[0] == 0 {
			t.Fatalf("%s: slots of a after one step: %v", o.Name(), sa)
		}
		saved := append([]float32(nil), sa[0].Data...)
		// Rebind in another order, with a new variable c.
		c := autograd.NewParam(tensor.New(2))
		o.Build([]*autograd.Var{c, a})
		if got := o.Slots(a); got[0] != sa[0] || !reflect.DeepEqual(got[0].Data, saved) {
			t.Errorf("%s: a's slots changed on rebuild", o.Name())
		}
		for _, s := range o.Slots(c) {
			for _, x := range s.Data {
				if x != 0 {
					t.Errorf("%s: new variable's slots are not zero", o.Name())
				}
			}
		}
		// b, no longer bound, is not updated.
		bBefore := append([]float32(nil), b.Value.Data...)
		p.setGrads(2)
		c.Grad.Fill(1)
		o.Apply()
		if !reflect.DeepEqual(bBefore, b.Value.Data) {
			t.Errorf("%s: an unbound variable was updated", o.Name())
		}
		if c.Value.Data[0] == 0 {
			t.Errorf("%s: the new variable was not updated", o.Name())
		}
		if o.Slots(autograd.NewParam(tensor.New(1))) != nil {
			t.Errorf("%s: Slots of a never-bound variable is not nil", o.Name())
		}
	}
	if (&SGD{}).Slots(autograd.NewParam(tensor.New(1))) != nil {
		t.Error("SGD without momentum has slots")
	}
}

func TestBuildAndApplyMisuse(t *testing.T) {
	mustPanic := func(what string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s did not panic", what)
			}
		}()
		f()
	}
	mustPanic("Apply before Build", func() { (&Adam{}).Apply() })
	v := autograd.NewParam(tensor.New(2))
	mustPanic("a variable twice", func() { (&SGD{}).Build([]*autograd.Var{v, v}) })
	// Building with no variables is fine: Apply only counts.
	o := &RMSprop{}
	o.Build(nil)
	o.Apply()
	if o.Iterations() != 1 {
		t.Errorf("Iterations %d", o.Iterations())
	}
}

// TestStateRestoreContinuesExactly checks that copying an optimizer's
// slots and iterations into a fresh one continues the same updates.
func TestStateRestoreContinuesExactly(t *testing.T) {
	for _, newOpt := range []func() Stateful{
		func() Stateful { return &Adam{Decay: 0.01} },
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
		oa.Build(a)
		ob.Build(b)
		step := func(o Stateful, ps []*autograd.Var, g *tensor.Tensor) {
			ps[0].Grad.CopyFrom(g)
			o.Apply()
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
		src, dst := oa.Slots(a[0]), ob.Slots(b[0])
		if len(src) != len(oa.SlotNames()) || len(dst) != len(src) {
			t.Fatalf("%s: %d and %d slots for %d names", oa.Name(), len(src), len(dst), len(oa.SlotNames()))
		}
		for s := range src {
			dst[s].CopyFrom(src[s])
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
