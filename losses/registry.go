package losses

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// classes maps Keras loss class names to constructors.
var classes = map[string]func() Loss{
	"MeanSquaredError":              func() Loss { return MeanSquaredError{} },
	"MeanAbsoluteError":             func() Loss { return MeanAbsoluteError{} },
	"CategoricalCrossentropy":       func() Loss { return CategoricalCrossentropy{} },
	"SparseCategoricalCrossentropy": func() Loss { return SparseCategoricalCrossentropy{} },
	"BinaryCrossentropy":            func() Loss { return BinaryCrossentropy{} },
}

// aliases maps the strings Keras accepts in compile(loss=...) to classes.
var aliases = map[string]string{
	"mse": "MeanSquaredError", "mean_squared_error": "MeanSquaredError",
	"mae": "MeanAbsoluteError", "mean_absolute_error": "MeanAbsoluteError",
	"categorical_crossentropy":        "CategoricalCrossentropy",
	"sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
	"binary_crossentropy":             "BinaryCrossentropy",
}

// Names returns the loss names and classes Get accepts, sorted.
func Names() []string {
	var names []string
	for n := range aliases {
		names = append(names, n)
	}
	for n := range classes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Get returns a loss by Keras name ("mse", "categorical_crossentropy") or
// class name ("MeanSquaredError"), configured from config (JSON, may be
// empty): {"from_logits": true}.
func Get(name string, config json.RawMessage) (Loss, error) {
	class := name
	if c, ok := aliases[strings.ToLower(strings.TrimSpace(name))]; ok {
		class = c
	}
	newLoss, ok := classes[class]
	if !ok {
		return nil, fmt.Errorf("unknown loss %q (valid: %s)", name, strings.Join(Names(), ", "))
	}
	l := newLoss()
	if len(bytes.TrimSpace(config)) == 0 || string(bytes.TrimSpace(config)) == "null" {
		return l, nil
	}
	ptr := reflect.New(reflect.TypeOf(l))
	dec := json.NewDecoder(bytes.NewReader(config))
	dec.DisallowUnknownFields()
	if err := dec.Decode(ptr.Interface()); err != nil {
		return nil, fmt.Errorf("loss %s: %w", class, err)
	}
	return ptr.Elem().Interface().(Loss), nil
}

// ClassName returns the Keras class name of a loss: its Go type's name.
func ClassName(l Loss) string { return reflect.TypeOf(l).Name() }
