package losses

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestGet(t *testing.T) {
	for name, want := range map[string]Loss{
		"mse":                             MeanSquaredError{},
		"MeanAbsoluteError":               MeanAbsoluteError{},
		"categorical_crossentropy":        CategoricalCrossentropy{},
		"sparse_categorical_crossentropy": SparseCategoricalCrossentropy{},
	} {
		got, err := Get(name, nil)
		if err != nil || got != want {
			t.Errorf("Get(%q) = %v, %v", name, got, err)
		}
		if ClassName(got) != ClassName(want) {
			t.Errorf("ClassName(%T) = %q", got, ClassName(got))
		}
	}
	got, err := Get("binary_crossentropy", json.RawMessage(`{"from_logits": true}`))
	if err != nil || got != (BinaryCrossentropy{FromLogits: true}) {
		t.Errorf("from_logits config: %v, %v", got, err)
	}
	if _, err := Get("msq", nil); err == nil || !strings.Contains(err.Error(), `unknown loss "msq" (valid: `) {
		t.Errorf("unknown loss: %v", err)
	}
	if _, err := Get("mse", json.RawMessage(`{"from_logits": true}`)); err == nil {
		t.Error("an unknown field for mse was accepted")
	}
}

func TestGetErrorsListFields(t *testing.T) {
	_, err := Get("BinaryCrossentropy", json.RawMessage(`{"logits": true}`))
	if err == nil || err.Error() != `loss BinaryCrossentropy: unknown field "logits" (valid: from_logits)` {
		t.Errorf("unknown field: %v", err)
	}
	if got, err := Get(" MSE ", nil); err != nil || got != (MeanSquaredError{}) {
		t.Errorf("Get(MSE) = %v, %v", got, err)
	}
}
