// Package registry is the one lookup table behind layers.FromConfig,
// losses.Get, optimizers.Get, metrics.Get/FromConfig and
// callbacks.FromConfig: a map from a Keras class name (and the aliases a
// package accepts, such as "mse" or "adam") to a constructor of the zero
// configuration, and a strict JSON decoder whose errors say what is valid.
package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
)

// Registry maps names to constructors of T. The zero value is not usable;
// create one with New. A Registry is filled at package initialization and
// only read afterwards; it is not safe to Register concurrently with
// lookups.
type Registry[T any] struct {
	kind       string
	fold       bool
	ctors      map[string]func() T
	class      map[string]string // every name → its canonical class name
	keyAliases map[string]string // config key alias → field key
	check      func(T) error
}

// New returns an empty registry. kind names what it holds in error
// messages: "unknown <kind> "x" (valid: …)" and "<kind> <Class>: …".
func New[T any](kind string) *Registry[T] {
	return &Registry[T]{
		kind:       kind,
		ctors:      map[string]func() T{},
		class:      map[string]string{},
		keyAliases: map[string]string{},
	}
}

// FoldCase makes lookups case-insensitive ("ADAM" finds "Adam") and
// returns r. Names that differ only in case must then name the same class.
func (r *Registry[T]) FoldCase() *Registry[T] {
	r.fold = true
	return r
}

// SetCheck sets a function that New calls on every value it decodes, so
// that a registry can refuse configurations that decode but make no sense
// (a negative learning rate). Its error is reported as "<kind> <Class>: …".
func (r *Registry[T]) SetCheck(check func(T) error) { r.check = check }

// Register adds a class: name is its Keras class name and newT returns its
// zero configuration (a fresh value on every call). It panics if name is
// already taken.
func (r *Registry[T]) Register(name string, newT func() T) {
	r.add(name, name, newT)
}

// Alias makes alias another name for the registered name: "mse" for
// "MeanSquaredError". It panics if name is not registered or alias is
// taken.
func (r *Registry[T]) Alias(alias, name string) {
	newT, ok := r.ctors[name]
	if !ok {
		panic(fmt.Sprintf("registry: Alias %q: %s %q is not registered", alias, r.kind, name))
	}
	r.add(alias, r.class[name], newT)
}

func (r *Registry[T]) add(name, class string, newT func() T) {
	if newT == nil {
		panic(fmt.Sprintf("registry: Register %s %q: nil constructor", r.kind, name))
	}
	if _, ok := r.ctors[name]; ok {
		panic(fmt.Sprintf("registry: Register: duplicate %s %q", r.kind, name))
	}
	if r.fold {
		for n, c := range r.class {
			if strings.EqualFold(n, name) && c != class {
				panic(fmt.Sprintf("registry: Register: %s %q differs only in case from %q", r.kind, name, n))
			}
		}
	}
	r.ctors[name] = newT
	r.class[name] = class
}

// KeyAlias makes alias another key for the config field key: Keras 2's
// "lr" for "learning_rate". A config that gives both is an error.
func (r *Registry[T]) KeyAlias(alias, key string) {
	if _, ok := r.keyAliases[alias]; ok {
		panic(fmt.Sprintf("registry: KeyAlias: duplicate key %q", alias))
	}
	r.keyAliases[alias] = key
}

// Names returns every name New accepts, classes and aliases, sorted.
func (r *Registry[T]) Names() []string {
	names := make([]string, 0, len(r.ctors))
	for n := range r.ctors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Classes returns the registered class names only (no aliases), sorted.
func (r *Registry[T]) Classes() []string {
	var names []string
	for n, c := range r.class {
		if n == c {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// Lookup returns the class that name stands for (surrounding spaces
// ignored; case too if the registry folds case).
func (r *Registry[T]) Lookup(name string) (class string, ok bool) {
	name = strings.TrimSpace(name)
	if c, ok := r.class[name]; ok {
		return c, true
	}
	if r.fold {
		for _, n := range r.Names() {
			if strings.EqualFold(n, name) {
				return r.class[n], true
			}
		}
	}
	return "", false
}

// New returns a new value of the class that name stands for, with config
// decoded into its zero configuration. An empty or null config keeps the
// zero configuration. Unknown names, unknown or mistyped fields and
// trailing data are errors that list what is valid.
func (r *Registry[T]) New(name string, config json.RawMessage) (T, error) {
	var zero T
	n := strings.TrimSpace(name)
	if _, ok := r.ctors[n]; !ok {
		c, ok := r.Lookup(n)
		if !ok {
			return zero, fmt.Errorf("unknown %s %q (valid: %s)", r.kind, name, strings.Join(r.Names(), ", "))
		}
		n = c
	}
	v := r.ctors[n]()
	class := r.class[n]
	v, err := r.decode(v, config)
	if err != nil {
		return zero, fmt.Errorf("%s %s: %w", r.kind, class, err)
	}
	if r.check != nil {
		if err := r.check(v); err != nil {
			return zero, fmt.Errorf("%s %s: %w", r.kind, class, err)
		}
	}
	return v, nil
}

// decode decodes config into v. A pointer is decoded into; any other value
// is copied, decoded, and the copy returned.
func (r *Registry[T]) decode(v T, config json.RawMessage) (T, error) {
	c := bytes.TrimSpace(config)
	if len(c) == 0 || string(c) == "null" {
		return v, nil
	}
	c, err := r.renameKeys(c)
	if err != nil {
		return v, err
	}
	rv := reflect.ValueOf(&v).Elem()
	if rv.Kind() == reflect.Interface {
		rv = rv.Elem()
	}
	if !rv.IsValid() {
		return v, errors.New("registry: constructor returned nil")
	}
	target := rv
	if rv.Kind() != reflect.Pointer {
		target = reflect.New(rv.Type())
		target.Elem().Set(rv)
	}
	if err := Decode(target.Interface(), c); err != nil {
		return v, err
	}
	if rv.Kind() != reflect.Pointer {
		v = target.Elem().Interface().(T)
	}
	return v, nil
}

// renameKeys rewrites aliased top-level keys to their field keys.
func (r *Registry[T]) renameKeys(c []byte) ([]byte, error) {
	if len(r.keyAliases) == 0 || c[0] != '{' {
		return c, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(c, &fields); err != nil {
		return c, nil // Decode reports it with context
	}
	renamed := false
	for alias, key := range r.keyAliases {
		v, ok := fields[alias]
		if !ok {
			continue
		}
		if _, both := fields[key]; both {
			return nil, fmt.Errorf("both %q and its alias %q are given", key, alias)
		}
		delete(fields, alias)
		fields[key] = v
		renamed = true
	}
	if !renamed {
		return c, nil
	}
	return json.Marshal(fields)
}

// Decode decodes the JSON object config into the struct that ptr points
// to, refusing unknown fields and trailing data, with errors that name the
// field and, for an unknown one, list the valid ones (see FieldNames). No
// error carries encoding/json's "json: " prefix.
//
// A single integer given for a field that holds a fixed number of them
// (a kernel size or strides of [2]int) stands for that integer repeated,
// as Keras's normalize_tuple reads kernel_size=3 as (3, 3).
func Decode(ptr any, config []byte) error {
	config = repeatInts(ptr, config)
	dec := json.NewDecoder(bytes.NewReader(config))
	dec.DisallowUnknownFields()
	if err := dec.Decode(ptr); err != nil {
		return describe(err, ptr)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the config object")
	}
	return nil
}

// repeatInts rewrites, in the JSON object config, each integer given for
// a field of ptr's struct that is an array of integers into that array
// with the integer repeated. Anything else is left for Decode to judge.
func repeatInts(ptr any, config []byte) []byte {
	t := reflect.TypeOf(ptr)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return config
	}
	arrays := map[string]int{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				walk(f.Type)
				continue
			}
			if !f.IsExported() || f.Type.Kind() != reflect.Array {
				continue
			}
			switch f.Type.Elem().Kind() {
			case reflect.Int, reflect.Int32, reflect.Int64:
			default:
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			arrays[name] = f.Type.Len()
		}
	}
	walk(t)
	if len(arrays) == 0 {
		return config
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(config, &fields) != nil {
		return config
	}
	changed := false
	for name, n := range arrays {
		v, ok := fields[name]
		if !ok {
			continue
		}
		var k int64
		if json.Unmarshal(v, &k) != nil {
			continue
		}
		rep := make([]int64, n)
		for i := range rep {
			rep[i] = k
		}
		fields[name], _ = json.Marshal(rep)
		changed = true
	}
	if !changed {
		return config
	}
	out, err := json.Marshal(fields)
	if err != nil {
		return config
	}
	return out
}

// describe turns encoding/json's errors into messages that say what is
// valid.
func describe(err error, v any) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return fmt.Errorf("config must be an object, not %s", te.Value)
		}
		return fmt.Errorf("field %q must be %s, not %s", te.Field, jsonTypeName(te.Type), te.Value)
	}
	msg, fromJSON := strings.CutPrefix(err.Error(), "json: ")
	if fromJSON && strings.HasPrefix(msg, "unknown field ") {
		return fmt.Errorf("%s (valid: %s)", msg, strings.Join(FieldNames(v), ", "))
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("config is cut short")
	}
	return errors.New(msg)
}

// jsonTypeName says in JSON's words what a Go type expects.
func jsonTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a string"
}

// FieldNames returns the configuration keys of v (a struct or a pointer
// to one) as encoding/json reads them: each exported field's tag name, or
// its Go name when untagged, fields of embedded structs included, fields
// tagged "-" left out; in declaration order.
func FieldNames(v any) []string {
	t := reflect.TypeOf(v)
	if t == nil {
		return nil
	}
	return fieldNames(t, nil)
}

func fieldNames(t reflect.Type, names []string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return names
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" {
			continue
		}
		if f.Anonymous && tag == "" {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				names = fieldNames(ft, names)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if tag == "" {
			tag = f.Name
		}
		names = append(names, tag)
	}
	return names
}
