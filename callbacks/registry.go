package callbacks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

var classes = map[string]func() Callback{
	"EarlyStopping":     func() Callback { return &EarlyStopping{} },
	"ModelCheckpoint":   func() Callback { return &ModelCheckpoint{} },
	"CSVLogger":         func() Callback { return &CSVLogger{} },
	"TerminateOnNaN":    func() Callback { return &TerminateOnNaN{} },
	"ReduceLROnPlateau": func() Callback { return &ReduceLROnPlateau{} },
	"TensorBoard":       func() Callback { return &TensorBoard{} },
	"LearningSpeed":     func() Callback { return &LearningSpeed{} },
}

// Names returns the callback classes FromConfig accepts, sorted.
func Names() []string {
	names := make([]string, 0, len(classes))
	for n := range classes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// FromConfig returns a callback by Keras class name, configured from JSON
// ({"monitor": "val_loss", "patience": 3}). Unknown classes and fields are
// errors that list what is valid.
func FromConfig(class string, config json.RawMessage) (Callback, error) {
	newCB, ok := classes[class]
	if !ok {
		return nil, fmt.Errorf("unknown callback %q (valid: %s)", class, strings.Join(Names(), ", "))
	}
	cb := newCB()
	if c := bytes.TrimSpace(config); len(c) > 0 && string(c) != "null" {
		dec := json.NewDecoder(bytes.NewReader(c))
		dec.DisallowUnknownFields()
		if err := dec.Decode(cb); err != nil {
			return nil, fmt.Errorf("callback %s: %v (valid: %s)", class, strings.TrimPrefix(err.Error(), "json: "), strings.Join(fieldNames(cb), ", "))
		}
	}
	return cb, nil
}

func fieldNames(v any) []string {
	t := reflect.TypeOf(v).Elem()
	var names []string
	for i := range t.NumField() {
		if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); tag != "" && tag != "-" {
			names = append(names, tag)
		}
	}
	return names
}
