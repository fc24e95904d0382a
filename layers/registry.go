package layers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// registry maps each Keras class name to a constructor of its zero config.
var registry = map[string]func() Layer{
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
	"Reshape":                func() Layer { return &Reshape{} },
}

// Register adds a layer class so that configs and spec files can name it.
// It panics if the name is taken.
func Register(className string, newLayer func() Layer) {
	if _, ok := registry[className]; ok {
		panic("layers: Register: duplicate class " + className)
	}
	registry[className] = newLayer
}

// ClassNames returns the registered layer classes, sorted.
func ClassNames() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

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
	newLayer, ok := registry[c.ClassName]
	if !ok {
		return nil, fmt.Errorf("unknown layer class %q (valid: %s)", c.ClassName, strings.Join(ClassNames(), ", "))
	}
	l := newLayer()
	if len(c.Config) > 0 {
		dec := json.NewDecoder(bytes.NewReader(c.Config))
		dec.DisallowUnknownFields()
		if err := dec.Decode(l); err != nil {
			return nil, fmt.Errorf("layer class %s: %w", c.ClassName, describeJSONError(err, l))
		}
	}
	return l, nil
}

// describeJSONError turns encoding/json's errors into messages that list
// the valid fields.
func describeJSONError(err error, l Layer) error {
	var te *json.UnmarshalTypeError
	if ok := asTypeError(err, &te); ok {
		return fmt.Errorf("field %q must be %s, not %s", te.Field, jsonTypeName(te.Type.String()), te.Value)
	}
	if strings.HasPrefix(err.Error(), "json: unknown field ") {
		return fmt.Errorf("%s (valid: %s)", strings.TrimPrefix(err.Error(), "json: "), strings.Join(FieldNames(l), ", "))
	}
	return err
}

func asTypeError(err error, te **json.UnmarshalTypeError) bool {
	t, ok := err.(*json.UnmarshalTypeError)
	if ok {
		*te = t
	}
	return ok
}

func jsonTypeName(goType string) string {
	switch {
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "an integer"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	}
	return "a string"
}

// FieldNames returns the configuration field names of a layer, as they
// appear in configs and spec files.
func FieldNames(l Layer) []string {
	return fieldNames(reflect.TypeOf(l))
}

func fieldNames(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct && f.Tag.Get("json") == "" {
			names = append(names, fieldNames(f.Type)...)
			continue
		}
		if !f.IsExported() {
			continue
		}
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch tag {
		case "-":
		case "":
			names = append(names, f.Name)
		default:
			names = append(names, tag)
		}
	}
	return names
}
