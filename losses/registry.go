package losses

import (
	"encoding/json"
	"reflect"

	"github.com/neurona/neurona/internal/registry"
)

// classes maps Keras loss class names, and the strings Keras accepts in
// compile(loss=...), to constructors.
var classes = func() *registry.Registry[Loss] {
	r := registry.New[Loss]("loss").FoldCase()
	r.Register("MeanSquaredError", func() Loss { return MeanSquaredError{} })
	r.Register("MeanAbsoluteError", func() Loss { return MeanAbsoluteError{} })
	r.Register("CategoricalCrossentropy", func() Loss { return CategoricalCrossentropy{} })
	r.Register("SparseCategoricalCrossentropy", func() Loss { return SparseCategoricalCrossentropy{} })
	r.Register("BinaryCrossentropy", func() Loss { return BinaryCrossentropy{} })
	for alias, class := range map[string]string{
		"mse": "MeanSquaredError", "mean_squared_error": "MeanSquaredError",
		"mae": "MeanAbsoluteError", "mean_absolute_error": "MeanAbsoluteError",
		"categorical_crossentropy":        "CategoricalCrossentropy",
		"sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
		"binary_crossentropy":             "BinaryCrossentropy",
	} {
		r.Alias(alias, class)
	}
	return r
}()

// Names returns the loss names and classes Get accepts, sorted.
func Names() []string { return classes.Names() }

// Get returns a loss by Keras name ("mse", "categorical_crossentropy") or
// class name ("MeanSquaredError"), in any case, configured from config
// (JSON, may be empty): {"from_logits": true}. Unknown names and unknown
// or mistyped fields are errors that list what is valid.
func Get(name string, config json.RawMessage) (Loss, error) {
	return classes.New(name, config)
}

// ClassName returns the Keras class name of a loss: its Go type's name.
func ClassName(l Loss) string { return reflect.TypeOf(l).Name() }
