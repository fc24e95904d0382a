package layers

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestConfigRoundTrip(t *testing.T) {
	for _, l := range []Layer{
		&Dense{Units: 32, Activation: "relu", InputDim: 13, Base: Base{Name: "dense_1"}},
		&Dense{Units: 1, NoBias: true},
		&BatchNormalization{Momentum: 0.9, Base: Base{Name: "bn"}},
		&Dropout{Rate: 0.2},
		&Activation{Activation: "softmax"},
		&Input{Shape: []int{28, 28, 1}},
	} {
		c, err := ConfigOf(l)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var back Config
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		got, err := FromConfig(back)
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if !reflect.DeepEqual(got, l) {
			t.Errorf("round trip of %s gave %#v", b, got)
		}
	}
}

func TestFromConfigErrors(t *testing.T) {
	for _, c := range []struct {
		class, config, want string
	}{
		{"Dens", `{}`, `unknown layer class "Dens" (valid: Activation, Add, Average, AveragePooling2D, BatchNormalization, Bidirectional, Concatenate, Conv2D, Conv2DTranspose, Dense, Dot, Dropout, Flatten, GRU, GlobalAveragePooling2D, GlobalMaxPooling2D, InputLayer, LSTM, MaxPooling2D, Maximum, Minimum, Multiply, Reshape, SimpleRNN, Subtract, TimeDistributed, UpSampling2D)`},
		{"Dense", `{"unit": 3}`, `unknown field "unit" (valid: units, activation, no_bias, input_dim, name, input_shape, frozen)`},
		{"Dense", `{"units": "many"}`, `field "units" must be an integer, not string`},
		{"Dropout", `{"rate": true}`, `field "rate" must be a number, not bool`},
	} {
		_, err := FromConfig(Config{ClassName: c.class, Config: json.RawMessage(c.config)})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: err = %v, want %q", c.class, c.config, err, c.want)
		}
	}
}

func TestRegisterDuplicatePanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), `duplicate layer class "Dense"`) {
			t.Errorf("recover() = %v", r)
		}
	}()
	Register("Dense", func() Layer { return &Dense{} })
}

func TestFromConfigRefusesTrailingData(t *testing.T) {
	_, err := FromConfig(Config{ClassName: "Dense", Config: json.RawMessage(`{"units": 1} {"units": 2}`)})
	if err == nil || strings.Contains(err.Error(), "json: ") {
		t.Errorf("trailing data: %v", err)
	}
}
