package pickle

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The lists make_pickles.py writes.
var wantLists = [][]int{{1, 2, 300}, {70000, 5}, {}, {1 << 40, -1, -70000, 1<<63 - 1, -1 << 63}}

func TestIntLists(t *testing.T) {
	for _, name := range []string{"ints_p2.pkl", "ints_p3.pkl", "ints_p4.pkl"} {
		got, err := IntLists(read(t, name), DefaultLimits)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !reflect.DeepEqual(got, wantLists) {
			t.Errorf("%s: %v, want %v", name, got, wantLists)
		}
	}
	got, err := IntLists(read(t, "shared_p2.pkl"), DefaultLimits)
	if err != nil || !reflect.DeepEqual(got, [][]int{{7, 8}, {7, 8}, {9}}) {
		t.Errorf("shared list: %v, %v", got, err)
	}
	v, err := Load(read(t, "ints_p3.pkl"), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	a := v.(*Array)
	if !reflect.DeepEqual(a.Shape, []int{4}) || a.DType != "O8" {
		t.Errorf("shape %v dtype %q", a.Shape, a.DType)
	}
}

func TestRefusesMalicious(t *testing.T) {
	for _, c := range []struct{ file, global string }{
		{"evil_p2.pkl", "posix.system"},
		{"evil_p4.pkl", "posix.system"},
		{"evil_in_array_p2.pkl", "posix.system"},
	} {
		_, err := Load(read(t, c.file), DefaultLimits)
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "global "+c.global) {
			t.Errorf("%s: error %v, want a refusal naming %s", c.file, err, c.global)
		}
	}
	// Hand-written: GLOBAL os system, and builtins eval by STACK_GLOBAL.
	for _, c := range []struct {
		data, want string
	}{
		{"\x80\x02cos\nsystem\nX\x02\x00\x00\x00ls\x85R.", "global os.system"},
		{"\x80\x04\x8c\x08builtins\x8c\x04eval\x93.", "global builtins.eval"},
		{"\x80\x02cnumpy\ndtype\n)\x81.", "opcode"},                 // NEWOBJ
		{"\x80\x02cnumpy\nndarray\n)R.", "REDUCE of numpy.ndarray"}, // not a constructor we rebuild
		{"\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00aX\x04\x00\x00\x00utf8\x86R.", "latin1"},
		{"\x80\x02K\x01]q\x00b.", "BUILD of a int"},
		{"\x80\x02cnumpy.core.multiarray\n_reconstruct\nK\x01K\x02K\x03\x87R.", "other than (numpy.ndarray"},
	} {
		_, err := Load([]byte(c.data), DefaultLimits)
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want a refusal containing %q", c.data, err, c.want)
		}
	}
}

func TestMalformedAndLimits(t *testing.T) {
	good := read(t, "ints_p2.pkl")
	for n := 0; n < len(good); n++ {
		if _, err := Load(good[:n], DefaultLimits); err == nil {
			t.Fatalf("truncated to %d bytes: no error", n)
		}
	}
	if _, err := Load(append(append([]byte{}, good...), 'N'), DefaultLimits); !errors.Is(err, ErrFormat) {
		t.Errorf("trailing byte: %v", err)
	}
	small := Limits{MaxValues: 10, MaxStack: 100, MaxString: 100, MaxMemo: 100}
	if _, err := Load(good, small); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "more than 10 values") {
		t.Errorf("value limit: %v", err)
	}
	deep := "\x80\x02" + strings.Repeat("(", 200) + "."
	if _, err := Load([]byte(deep), Limits{MaxValues: 1000, MaxStack: 100, MaxString: 10, MaxMemo: 10}); err == nil || !strings.Contains(err.Error(), "MARK") {
		t.Errorf("mark limit: %v", err)
	}
	if _, err := Load([]byte("\x80\x02X\xff\xff\xff\x7f"), DefaultLimits); !errors.Is(err, ErrFormat) {
		t.Errorf("huge string: %v", err)
	}
	if _, err := Load([]byte("\x80\x02h\x05."), DefaultLimits); !errors.Is(err, ErrFormat) {
		t.Errorf("memo get of nothing: %v", err)
	}
	if _, err := IntLists([]byte("\x80\x02K\x05."), DefaultLimits); err == nil || !strings.Contains(err.Error(), "not a numpy array") {
		t.Errorf("an int for an array: %v", err)
	}
}

func FuzzLoad(f *testing.F) {
	for _, n := range []string{"ints_p2.pkl", "ints_p4.pkl", "shared_p2.pkl", "evil_p4.pkl"} {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		Load(b, Limits{MaxValues: 1 << 12, MaxStack: 1 << 10, MaxString: 1 << 10, MaxMemo: 1 << 10})
	})
}

func TestSharedListBomb(t *testing.T) {
	// t0 = [1]; t(k+1) = (tk, tk): 2^40 leaves if copied naively.
	b := []byte("\x80\x02]q\x00K\x01a")
	for k := 0; k < 40; k++ {
		b = append(b, 'h', byte(k), 0x86, 'q', byte(k+1))
	}
	b = append(b, '.')
	_, err := Load(b, Limits{MaxValues: 1 << 16, MaxStack: 100, MaxString: 10, MaxMemo: 100})
	if err == nil || !strings.Contains(err.Error(), "MaxValues") {
		t.Errorf("shared-list bomb: %v", err)
	}
}
