package metrics

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/neurona/neurona/internal/registry"
)

// byName maps the names Keras accepts in compile(metrics=[...]) to new
// metrics with default settings, logged under that name.
var byName = func() *registry.Registry[Metric] {
	r := registry.New[Metric]("metric").FoldCase()
	for name, f := range map[string]func() Metric{
		"accuracy":                          func() Metric { return Accuracy() },
		"acc":                               func() Metric { return &AutoAccuracy{Label: "acc"} },
		"mse":                               func() Metric { return MSE() },
		"mean_squared_error":                func() Metric { return &MeanSquaredError{} },
		"mae":                               func() Metric { return MAE() },
		"mean_absolute_error":               func() Metric { return &MeanAbsoluteError{} },
		"binary_accuracy":                   func() Metric { return &BinaryAccuracy{} },
		"categorical_accuracy":              func() Metric { return &CategoricalAccuracy{} },
		"sparse_categorical_accuracy":       func() Metric { return &SparseCategoricalAccuracy{} },
		"top_k_categorical_accuracy":        func() Metric { return &TopKCategoricalAccuracy{} },
		"sparse_top_k_categorical_accuracy": func() Metric { return &SparseTopKCategoricalAccuracy{} },
		"precision":                         func() Metric { return &Precision{} },
		"recall":                            func() Metric { return &Recall{} },
		"auc":                               func() Metric { return &AUC{} },
	} {
		r.Register(name, f)
	}
	return r
}()

// classes maps metric class names (their Go type names, which are Keras's
// class names except AutoAccuracy) to constructors of their zero configs.
var classes = func() *registry.Registry[Metric] {
	r := registry.New[Metric]("metric class")
	r.Register("AutoAccuracy", func() Metric { return &AutoAccuracy{} })
	r.Register("MeanSquaredError", func() Metric { return &MeanSquaredError{} })
	r.Register("MeanAbsoluteError", func() Metric { return &MeanAbsoluteError{} })
	r.Register("BinaryAccuracy", func() Metric { return &BinaryAccuracy{} })
	r.Register("CategoricalAccuracy", func() Metric { return &CategoricalAccuracy{} })
	r.Register("SparseCategoricalAccuracy", func() Metric { return &SparseCategoricalAccuracy{} })
	r.Register("TopKCategoricalAccuracy", func() Metric { return &TopKCategoricalAccuracy{} })
	r.Register("SparseTopKCategoricalAccuracy", func() Metric { return &SparseTopKCategoricalAccuracy{} })
	r.Register("Precision", func() Metric { return &Precision{} })
	r.Register("Recall", func() Metric { return &Recall{} })
	r.Register("AUC", func() Metric { return &AUC{} })
	r.SetCheck(check)
	return r
}()

// check refuses configs that would make a metric panic when used.
func check(m Metric) error {
	switch m := m.(type) {
	case *AUC:
		if m.NumThresholds != 0 && m.NumThresholds < 2 {
			return fmt.Errorf("num_thresholds must be 0 (200) or at least 2, got %d", m.NumThresholds)
		}
	case *TopKCategoricalAccuracy:
		if m.K < 0 {
			return fmt.Errorf("k must be ≥ 0 (0 means 5), got %d", m.K)
		}
	case *SparseTopKCategoricalAccuracy:
		if m.K < 0 {
			return fmt.Errorf("k must be ≥ 0 (0 means 5), got %d", m.K)
		}
	}
	return nil
}

// Names returns the metric names Get accepts, sorted.
func Names() []string { return byName.Names() }

// Get returns a new metric by its Keras name ("accuracy", "mae", …), as a
// spec file or Keras's compile(metrics=[...]) names it.
func Get(name string) (Metric, error) { return byName.New(name, nil) }

// ClassNames returns the metric classes FromConfig accepts, sorted.
func ClassNames() []string { return classes.Names() }

// Register adds a metric class, so that ConfigOf and FromConfig can save
// and restore metrics of that type. className must be the name of the Go
// type that newMetric returns a pointer to. It panics if the name is taken.
func Register(className string, newMetric func() Metric) {
	classes.Register(className, newMetric)
}

// Config is a metric's serialized configuration, in Keras's
// {"class_name": ..., "config": {...}} shape: its class and its settings,
// the display name (Label) included, as "name".
type Config struct {
	ClassName string          `json:"class_name"`
	Config    json.RawMessage `json:"config"`
}

// className is the Go type name of m, through one pointer.
func className(m Metric) string {
	t := reflect.TypeOf(m)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

// ConfigOf returns m's configuration. A metric whose type is not
// registered is an error, since FromConfig could not restore it.
func ConfigOf(m Metric) (Config, error) {
	class := className(m)
	if c, ok := classes.Lookup(class); !ok || c != class {
		return Config{}, fmt.Errorf("metric %q: class %q is not registered (valid: %s)", m.Name(), class, strings.Join(ClassNames(), ", "))
	}
	b, err := json.Marshal(m)
	if err != nil {
		return Config{}, fmt.Errorf("metric %q: %w", m.Name(), err)
	}
	return Config{ClassName: class, Config: b}, nil
}

// FromConfig returns a new metric, with its state reset, from a
// configuration. Unknown classes and unknown or mistyped fields are errors
// that say what is valid.
func FromConfig(c Config) (Metric, error) { return classes.New(c.ClassName, c.Config) }
