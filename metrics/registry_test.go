package metrics

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/neurona/neurona/tensor"
)

func TestGet(t *testing.T) {
	for name, want := range map[string]string{
		"accuracy": "accuracy", "acc": "acc", " MSE ": "mse", "mean_absolute_error": "mean_absolute_error",
		"auc": "auc", "sparse_top_k_categorical_accuracy": "sparse_top_k_categorical_accuracy",
	} {
		m, err := Get(name)
		if err != nil || m.Name() != want {
			t.Errorf("Get(%q) = %v, %v; want a metric named %q", name, m, err, want)
		}
	}
	if _, err := Get("acuracy"); err == nil || !strings.HasPrefix(err.Error(), `unknown metric "acuracy" (valid: acc, accuracy, auc, `) {
		t.Errorf("unknown metric: %v", err)
	}
	// Get returns fresh metrics.
	a, _ := Get("mae")
	b, _ := Get("mae")
	if a == b {
		t.Error("Get returned the same metric twice")
	}
}

// TestConfigRoundTrip checks that metrics, labelled ones included, are
// restored from their configs with the same name and settings.
func TestConfigRoundTrip(t *testing.T) {
	for _, m := range []Metric{
		Accuracy(), &AutoAccuracy{Label: "acc"}, MSE(), &MeanAbsoluteError{},
		&MeanSquaredError{Label: "my_mse"},
		&BinaryAccuracy{Threshold: 0.7, Label: "bin@0.7"},
		&CategoricalAccuracy{}, &SparseCategoricalAccuracy{Label: "sca"},
		&TopKCategoricalAccuracy{K: 3, Label: "top3"}, &SparseTopKCategoricalAccuracy{K: 2},
		&Precision{Label: "precision_at_0.9", Threshold: 0.9}, &Recall{Threshold: 0.3},
		&AUC{Label: "roc", NumThresholds: 50},
	} {
		c, err := ConfigOf(m)
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
		if got.Name() != m.Name() || !reflect.DeepEqual(got, m) {
			t.Errorf("round trip of %s gave %#v (name %q)", b, got, got.Name())
		}
	}
	c, _ := ConfigOf(&Precision{Label: "p", Threshold: 0.9})
	if string(c.Config) != `{"threshold":0.9,"name":"p"}` || c.ClassName != "Precision" {
		t.Errorf("Precision config %s %s", c.ClassName, c.Config)
	}
}

// TestConfigOfDropsState checks that a config carries settings, not
// accumulated values, and that the restored metric starts empty.
func TestConfigOfDropsState(t *testing.T) {
	m := MAE()
	m.Update(tensor.FromSlice([]float32{1, 2}, 2, 1), tensor.FromSlice([]float32{0, 0}, 2, 1))
	c, err := ConfigOf(m)
	if err != nil || string(c.Config) != `{"name":"mae"}` {
		t.Fatalf("config %s, %v", c.Config, err)
	}
	got, _ := FromConfig(c)
	if got.Result() != 0 || m.Result() != 1.5 {
		t.Errorf("restored result %v, original %v", got.Result(), m.Result())
	}
}

type custom struct{ MeanSquaredError }

type unregistered struct{ MeanSquaredError }

func TestConfigErrors(t *testing.T) {
	if _, err := ConfigOf(&unregistered{}); err == nil || !strings.Contains(err.Error(), `class "unregistered" is not registered`) {
		t.Errorf("unregistered class: %v", err)
	}
	for _, c := range []struct{ class, config, want string }{
		{"Accuracy", `{}`, `unknown metric class "Accuracy" (valid: AUC, AutoAccuracy, BinaryAccuracy, `},
		{"Precision", `{"thresholds": 0.5}`, `metric class Precision: unknown field "thresholds" (valid: threshold, name)`},
		{"AUC", `{"num_thresholds": 1}`, `metric class AUC: num_thresholds must be 0 (200) or at least 2, got 1`},
		{"TopKCategoricalAccuracy", `{"k": -1}`, `k must be ≥ 0`},
		{"TopKCategoricalAccuracy", `{"k": "five"}`, `field "k" must be an integer, not string`},
	} {
		_, err := FromConfig(Config{ClassName: c.class, Config: json.RawMessage(c.config)})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: %v, want %q", c.class, c.config, err, c.want)
		}
	}
	if _, ok := classes.Lookup("custom"); !ok { // -count=2 runs this twice
		Register("custom", func() Metric { return &custom{} })
	}
	c, err := ConfigOf(&custom{MeanSquaredError{Label: "c"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := FromConfig(c); err != nil || got.Name() != "c" {
		t.Errorf("registered custom metric: %v, %v", got, err)
	}
}
