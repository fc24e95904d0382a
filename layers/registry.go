package layers

import (
	"encoding/json"
	"fmt"

	"github.com/neurona/neurona/internal/registry"
)

// classes maps each Keras class name to a constructor of its zero config.
var classes = func() *registry.Registry[Layer] {
	r := registry.New[Layer]("layer class")
	for name, newLayer := range map[string]func() Layer{
		"InputLayer":         func() Layer { return &Input{} },
		"Dense":              func() Layer { return &Dense{} },
		"Activation":         func() Layer { return &Activation{} },
		"Dropout":            func() Layer { return &Dropout{} },
		"BatchNormalization": func() Layer { return &BatchNormalization{} },

		"Conv2D":                 func() Layer { return &Conv2D{} },
		"Conv2DTranspose":        func() Layer { return &Conv2DTranspose{} },
		"UpSampling2D":           func() Layer { return &UpSampling2D{} },
		"MaxPooling2D":           func() Layer { return &MaxPooling2D{} },
		"AveragePooling2D":       func() Layer { return &AveragePooling2D{} },
		"GlobalAveragePooling2D": func() Layer { return &GlobalAveragePooling2D{} },
		"GlobalMaxPooling2D":     func() Layer { return &GlobalMaxPooling2D{} },
		"Flatten":                func() Layer { return &Flatten{} },

		"Embedding":              func() Layer { return &Embedding{} },
		"SpatialDropout1D":       func() Layer { return &SpatialDropout1D{} },
		"Conv1D":                 func() Layer { return &Conv1D{} },
		"MaxPooling1D":           func() Layer { return &MaxPooling1D{} },
		"AveragePooling1D":       func() Layer { return &AveragePooling1D{} },
		"GlobalMaxPooling1D":     func() Layer { return &GlobalMaxPooling1D{} },
		"GlobalAveragePooling1D": func() Layer { return &GlobalAveragePooling1D{} },
		"Reshape":                func() Layer { return &Reshape{} },

		"Concatenate": func() Layer { return &Concatenate{} },
		"Add":         func() Layer { return &Add{} },
		"Subtract":    func() Layer { return &Subtract{} },
		"Multiply":    func() Layer { return &Multiply{} },
		"Average":     func() Layer { return &Average{} },
		"Maximum":     func() Layer { return &Maximum{} },
		"Minimum":     func() Layer { return &Minimum{} },
		"Dot":         func() Layer { return &Dot{} },

		"SimpleRNN": func() Layer { return &SimpleRNN{} },
		"LSTM":      func() Layer { return &LSTM{} },
		"GRU":       func() Layer { return &GRU{} },

		"Bidirectional":   func() Layer { return &Bidirectional{} },
		"TimeDistributed": func() Layer { return &TimeDistributed{} },
	} {
		r.Register(name, newLayer)
	}
	return r
}()

// Register adds a layer class so that configs and spec files can name it.
// It panics if the name is taken.
func Register(className string, newLayer func() Layer) {
	classes.Register(className, newLayer)
}

// ClassNames returns the registered layer classes, sorted.
func ClassNames() []string { return classes.Names() }

// Config is a layer's serialized configuration, in Keras's
// {"class_name": ..., "config": {...}} shape.
type Config struct {
	ClassName string          `json:"class_name"`
	Config    json.RawMessage `json:"config"`
}

// ConfigOf returns l's configuration: its class and its exported fields.
func ConfigOf(l Layer) (Config, error) {
	b, err := json.Marshal(l)
	if err != nil {
		return Config{}, fmt.Errorf("layer %q: %w", l.LayerName(), err)
	}
	return Config{ClassName: l.ClassName(), Config: b}, nil
}

// FromConfig returns a new, unbuilt layer from a configuration. Unknown
// classes and unknown or mistyped fields are errors that say what is valid.
func FromConfig(c Config) (Layer, error) {
	return classes.New(c.ClassName, c.Config)
}

// FieldNames returns the configuration field names of a layer, as they
// appear in configs and spec files.
func FieldNames(l Layer) []string { return registry.FieldNames(l) }
