package metrics

import (
	"fmt"
	"sort"
	"strings"
)

// byName maps the names Keras accepts in compile(metrics=[...]) to new
// metrics with default settings, logged under that name.
var byName = map[string]func() Metric{
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
}

// Names returns the metric names Get accepts, sorted.
func Names() []string {
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Get returns a new metric by its Keras name ("accuracy", "mae", …).
func Get(name string) (Metric, error) {
	f, ok := byName[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		return nil, fmt.Errorf("unknown metric %q (valid: %s)", name, strings.Join(Names(), ", "))
	}
	return f(), nil
}
