package registry

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

type shape interface{ Area() float64 }

type inner struct {
	Color  string `json:"color,omitempty"`
	hidden int
}

// square is a pointer class with an embedded struct and an untagged field.
type square struct {
	inner
	Side     float64 `json:"side"`
	Rate     float64 `json:"learning_rate,omitempty"`
	Label    string
	Skip     int `json:"-"`
	internal int
}

func (s *square) Area() float64 { return s.Side * s.Side }

// circle is a value class.
type circle struct {
	R int `json:"r"`
}

func (c circle) Area() float64 { return 3 * float64(c.R*c.R) }

func newShapes() *Registry[shape] {
	r := New[shape]("shape")
	r.Register("Square", func() shape { return &square{Side: 1} })
	r.Register("Circle", func() shape { return circle{} })
	r.Alias("sq", "Square")
	r.KeyAlias("lr", "learning_rate")
	return r
}

func TestNewDecodes(t *testing.T) {
	r := newShapes()
	s, err := r.New("Square", json.RawMessage(`{"side": 3, "color": "red", "Label": "x"}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := (&square{inner: inner{Color: "red"}, Side: 3, Label: "x"}); !reflect.DeepEqual(s, want) {
		t.Errorf("got %#v, want %#v", s, want)
	}
	// Defaults of the constructor survive an empty or null config.
	for _, c := range []string{"", "null", "  ", "{}"} {
		s, err := r.New(" sq ", json.RawMessage(c))
		if err != nil || s.(*square).Side != 1 {
			t.Errorf("config %q: %#v, %v", c, s, err)
		}
	}
	// A value class comes back decoded.
	c, err := r.New("Circle", json.RawMessage(`{"r": 2}`))
	if err != nil || c != (circle{R: 2}) {
		t.Errorf("Circle: %#v, %v", c, err)
	}
	// Each call returns a fresh value.
	a, _ := r.New("Square", nil)
	b, _ := r.New("Square", nil)
	if a == b {
		t.Error("New returned the same pointer twice")
	}
}

func TestKeyAlias(t *testing.T) {
	r := newShapes()
	s, err := r.New("Square", json.RawMessage(`{"lr": 0.5}`))
	if err != nil || s.(*square).Rate != 0.5 {
		t.Fatalf("lr alias: %#v, %v", s, err)
	}
	_, err = r.New("Square", json.RawMessage(`{"lr": 0.5, "learning_rate": 0.1}`))
	if err == nil || !strings.Contains(err.Error(), `both "learning_rate" and its alias "lr"`) {
		t.Errorf("both keys: %v", err)
	}
	// A type error on an aliased key names the field.
	_, err = r.New("Square", json.RawMessage(`{"lr": "fast"}`))
	if err == nil || err.Error() != `shape Square: field "learning_rate" must be a number, not string` {
		t.Errorf("aliased type error: %v", err)
	}
}

func TestErrors(t *testing.T) {
	r := newShapes()
	for _, c := range []struct{ name, config, want string }{
		{"Triangle", ``, `unknown shape "Triangle" (valid: Circle, Square, sq)`},
		{"square", ``, `unknown shape "square" (valid: Circle, Square, sq)`},
		{"Square", `{"sides": 4}`, `shape Square: unknown field "sides" (valid: color, side, learning_rate, Label)`},
		{"Square", `{"side": "big"}`, `shape Square: field "side" must be a number, not string`},
		{"Circle", `{"r": 1.5}`, `shape Circle: field "r" must be an integer, not number 1.5`},
		{"Circle", `[1]`, `shape Circle: config must be an object, not array`},
		{"Circle", `{"r": 1} {}`, `shape Circle: unexpected data after the config object`},
		{"Circle", `{"r": 1`, `shape Circle: config is cut short`},
		{"Circle", `{"r": x}`, `shape Circle: invalid character 'x' looking for beginning of value`},
	} {
		_, err := r.New(c.name, json.RawMessage(c.config))
		if err == nil || err.Error() != c.want {
			t.Errorf("%s %s: err = %v\nwant %s", c.name, c.config, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "json: ") {
			t.Errorf("%s %s: error leaks the json prefix: %v", c.name, c.config, err)
		}
	}
}

func TestFoldCaseAndCheck(t *testing.T) {
	r := newShapes().FoldCase()
	if c, ok := r.Lookup("SQUARE"); !ok || c != "Square" {
		t.Errorf("Lookup(SQUARE) = %q, %v", c, ok)
	}
	if c, ok := r.Lookup("SQ"); !ok || c != "Square" {
		t.Errorf("Lookup(SQ) = %q, %v", c, ok)
	}
	r.SetCheck(func(s shape) error {
		if s.Area() > 10 {
			return errors.New("too big")
		}
		return nil
	})
	if _, err := r.New("square", json.RawMessage(`{"side": 4}`)); err == nil || err.Error() != "shape Square: too big" {
		t.Errorf("check: %v", err)
	}
	if _, err := r.New("square", json.RawMessage(`{"side": 3}`)); err != nil {
		t.Errorf("check refused a good value: %v", err)
	}
}

func TestNamesAndClasses(t *testing.T) {
	r := newShapes()
	if got := strings.Join(r.Names(), ","); got != "Circle,Square,sq" {
		t.Errorf("Names = %s", got)
	}
	if got := strings.Join(r.Classes(), ","); got != "Circle,Square" {
		t.Errorf("Classes = %s", got)
	}
}

func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", what)
		}
	}()
	f()
}

func TestRegisterPanics(t *testing.T) {
	r := newShapes()
	mustPanic(t, "duplicate Register", func() { r.Register("Square", func() shape { return &square{} }) })
	mustPanic(t, "alias of a taken name", func() { r.Alias("Circle", "Square") })
	mustPanic(t, "alias of an unknown class", func() { r.Alias("tri", "Triangle") })
	mustPanic(t, "nil constructor", func() { r.Register("Nil", nil) })
	mustPanic(t, "duplicate KeyAlias", func() { r.KeyAlias("lr", "rate") })
	f := New[shape]("shape").FoldCase()
	f.Register("Square", func() shape { return &square{} })
	mustPanic(t, "case-only clash", func() { f.Register("square", func() shape { return circle{} }) })
}

func TestFieldNames(t *testing.T) {
	if got := strings.Join(FieldNames(&square{}), ","); got != "color,side,learning_rate,Label" {
		t.Errorf("FieldNames(*square) = %s", got)
	}
	if got := FieldNames(circle{}); !reflect.DeepEqual(got, []string{"r"}) {
		t.Errorf("FieldNames(circle) = %v", got)
	}
	if got := FieldNames(nil); got != nil {
		t.Errorf("FieldNames(nil) = %v", got)
	}
}

type window struct {
	inner
	Kernel  [2]int `json:"kernel_size"`
	Strides [3]int `json:"strides"`
	Rates   []int  `json:"rates"`
}

// A single integer for an array field of integers repeats, as Keras's
// normalize_tuple; lists, other types and bad values are left to Decode.
func TestDecodeRepeatsInts(t *testing.T) {
	var w window
	if err := Decode(&w, []byte(`{"kernel_size": 3, "strides": [1, 2, 3], "rates": [4], "color": "red"}`)); err != nil {
		t.Fatal(err)
	}
	if w.Kernel != [2]int{3, 3} || w.Strides != [3]int{1, 2, 3} || len(w.Rates) != 1 || w.Color != "red" {
		t.Errorf("decoded %+v", w)
	}
	var v window
	if err := Decode(&v, []byte(`{"strides": 2}`)); err != nil || v.Strides != [3]int{2, 2, 2} {
		t.Errorf("strides 2: %+v, %v", v, err)
	}
	for _, bad := range []string{`{"kernel_size": 2.5}`, `{"kernel_size": "3"}`, `{"rates": 3}`} {
		var b window
		if err := Decode(&b, []byte(bad)); err == nil {
			t.Errorf("%s decoded to %+v", bad, b)
		}
	}
}
