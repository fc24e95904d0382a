// Package activations names the activation functions, as Keras's
// keras.activations does.
//
// A Name is a typed constant, so a misspelt activation in Go code fails to
// compile, and Parse turns a name from a spec file into a Name or an error
// that lists the valid ones.
package activations

import (
	"fmt"
	"strings"

	"github.com/neurona/neurona/autograd"
)

// Name is an activation function's Keras name.
type Name string

// The activations. The zero value, "", means Linear (Keras's None).
const (
	Linear  Name = "linear"
	ReLU    Name = "relu"
	Sigmoid Name = "sigmoid"
	Tanh    Name = "tanh"
	Softmax Name = "softmax"
)

var all = []Name{Linear, ReLU, Sigmoid, Tanh, Softmax}

// Names returns every valid activation name.
func Names() []Name { return append([]Name(nil), all...) }

// Parse returns the activation called s (case-insensitive).
func Parse(s string) (Name, error) {
	n := Name(strings.ToLower(strings.TrimSpace(s)))
	if _, err := n.Kind(); err != nil {
		return "", err
	}
	if n == "" {
		n = Linear
	}
	return n, nil
}

// Kind returns the autograd activation that implements n.
func (n Name) Kind() (autograd.Activation, error) {
	switch n {
	case "", Linear:
		return autograd.Linear, nil
	case ReLU:
		return autograd.ReLU, nil
	case Sigmoid:
		return autograd.Sigmoid, nil
	case Tanh:
		return autograd.Tanh, nil
	case Softmax:
		return autograd.Softmax, nil
	}
	valid := make([]string, len(all))
	for i, a := range all {
		valid[i] = string(a)
	}
	return 0, fmt.Errorf("unknown activation %q (valid: %s)", string(n), strings.Join(valid, ", "))
}

// Apply returns n(x) on the tape.
func (n Name) Apply(tp *autograd.Tape, x *autograd.Var) (*autograd.Var, error) {
	k, err := n.Kind()
	if err != nil {
		return nil, err
	}
	if k == autograd.Linear {
		return x, nil
	}
	return tp.Activate(x, k), nil
}
