package hdf5

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// expected is what h5py read back from a fixture (make_fixtures.py).
type expected struct {
	Groups   map[string]expGroup `json:"groups"`
	Datasets map[string]expValue `json:"datasets"`
}

type expGroup struct {
	Attrs   map[string]expValue `json:"attrs"`
	Members []string            `json:"members"`
}

type expValue struct {
	Kind    string              `json:"kind"` // "string", "f", "i", "u"
	Dtype   string              `json:"dtype"`
	Shape   []int               `json:"shape"`
	Strings []string            `json:"strings"`
	Values  []float64           `json:"values"`
	Attrs   map[string]expValue `json:"attrs"`
}

var fixtures = []string{"basic_v0.h5", "latest_v3.h5", "v108_v2.h5"}

func loadExpected(t *testing.T, name string) expected {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var e expected
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func open(t *testing.T, name string) *File {
	t.Helper()
	f, err := Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func checkAttrs(t *testing.T, where string, got []*Attribute, want map[string]expValue) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d attributes, h5py reads %d", where, len(got), len(want))
	}
	for _, a := range got {
		w, ok := want[a.Name]
		if !ok {
			t.Errorf("%s: attribute %q that h5py does not list", where, a.Name)
			continue
		}
		if !slices.Equal(a.Shape, w.Shape) {
			t.Errorf("%s: attribute %q has shape %v, h5py %v", where, a.Name, a.Shape, w.Shape)
		}
		if w.Kind == "string" {
			if !slices.Equal(a.Strings, w.Strings) {
				t.Errorf("%s: attribute %q = %q, h5py %q", where, a.Name, a.Strings, w.Strings)
			}
			continue
		}
		if len(a.Numbers) != len(w.Values) {
			t.Errorf("%s: attribute %q has %d values, h5py %d", where, a.Name, len(a.Numbers), len(w.Values))
			continue
		}
		for i, v := range w.Values {
			if a.Numbers[i] != v {
				t.Errorf("%s: attribute %q[%d] = %v, h5py %v", where, a.Name, i, a.Numbers[i], v)
			}
		}
	}
}

// TestFixtures reads every group, attribute and dataset of each fixture and
// compares them with what h5py read.
func TestFixtures(t *testing.T) {
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			f, want := open(t, name), loadExpected(t, name)
			if len(want.Datasets) < 10 {
				t.Fatalf("fixture lists only %d datasets", len(want.Datasets))
			}
			for path, wg := range want.Groups {
				g, err := f.Group(path)
				if err != nil {
					t.Errorf("group %s: %v", path, err)
					continue
				}
				names, err := g.Names()
				if err != nil {
					t.Errorf("group %s: %v", path, err)
				} else if !slices.Equal(names, wg.Members) {
					t.Errorf("group %s has members %q, h5py %q", path, names, wg.Members)
				}
				as, err := g.Attrs()
				if err != nil {
					t.Errorf("group %s: %v", path, err)
				}
				checkAttrs(t, path, as, wg.Attrs)
			}
			for path, wd := range want.Datasets {
				d, err := f.Dataset(path)
				if err != nil {
					t.Errorf("dataset %s: %v", path, err)
					continue
				}
				if !slices.Equal(d.Shape(), wd.Shape) {
					t.Errorf("dataset %s has shape %v, h5py %v", path, d.Shape(), wd.Shape)
				}
				if d.Type() != wd.Dtype {
					t.Errorf("dataset %s has type %s, h5py %s", path, d.Type(), wd.Dtype)
				}
				got, err := d.Float64s()
				if err != nil {
					t.Errorf("dataset %s: %v", path, err)
					continue
				}
				if !slices.Equal(got, wd.Values) {
					t.Errorf("dataset %s = %v, h5py %v", path, got, wd.Values)
				}
				if wd.Dtype == "float32" {
					g32, err := d.Float32s()
					if err != nil || len(g32) != len(wd.Values) {
						t.Errorf("dataset %s: Float32s: %v", path, err)
					}
					for i, v := range wd.Values {
						if i < len(g32) && g32[i] != float32(v) {
							t.Errorf("dataset %s: Float32s[%d] = %v, h5py %v", path, i, g32[i], v)
						}
					}
				}
				if wd.Kind == "i" || wd.Kind == "u" {
					ints, err := d.Int64s()
					if err != nil {
						t.Errorf("dataset %s: %v", path, err)
					}
					for i, v := range wd.Values {
						if i < len(ints) && ints[i] != int64(v) {
							t.Errorf("dataset %s: Int64s[%d] = %d, h5py %v", path, i, ints[i], v)
						}
					}
				}
				as, err := d.Attrs()
				if err != nil {
					t.Errorf("dataset %s: %v", path, err)
				}
				checkAttrs(t, path, as, wd.Attrs)
			}
		})
	}
}

// TestSuperblockVersions checks that the fixtures cover the superblock
// and object header versions they claim to.
func TestSuperblockVersions(t *testing.T) {
	for name, want := range map[string]byte{"basic_v0.h5": 0, "v108_v2.h5": 2, "latest_v3.h5": 3} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if b[8] != want {
			t.Errorf("%s has superblock version %d, want %d", name, b[8], want)
		}
		if hasOHDR := bytes.Contains(b, []byte("OHDR")); hasOHDR != (want >= 2) {
			t.Errorf("%s: OHDR headers present = %v", name, hasOHDR)
		}
	}
}

// h5dumpTree parses `h5dump -H`'s output: each object's path with its
// kind, datatype and dataspace.
func h5dumpTree(t *testing.T, text string) map[string]string {
	t.Helper()
	out := map[string]string{}
	var stack []string
	var cur string
	open := regexp.MustCompile(`^\s*(GROUP|DATASET|ATTRIBUTE) "([^"]*)" \{$`)
	typ := regexp.MustCompile(`^\s*DATATYPE\s+(\S+)`)
	space := regexp.MustCompile(`^\s*DATASPACE\s+(SCALAR|SIMPLE \{ \( ([0-9, ]*) \))`)
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		switch m := open.FindStringSubmatch(line); {
		case m != nil:
			p := m[2]
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				if m[1] == "ATTRIBUTE" {
					p = parent + "@" + p
				} else if parent == "/" {
					p = "/" + p
				} else {
					p = parent + "/" + p
				}
			}
			stack = append(stack, p)
			cur = p
			out[p] = strings.ToLower(m[1])
			continue
		case strings.TrimSpace(line) == "}" && len(stack) > 0:
			stack = stack[:len(stack)-1]
			continue
		}
		if m := typ.FindStringSubmatch(line); m != nil && cur != "" {
			out[cur] += " " + m[1]
		}
		if m := space.FindStringSubmatch(line); m != nil && cur != "" {
			if m[1] == "SCALAR" {
				out[cur] += " ()"
			} else {
				out[cur] += " (" + strings.ReplaceAll(m[2], " ", "") + ")"
			}
		}
		if strings.HasSuffix(line, "{") && len(stack) > 0 {
			stack = append(stack, stack[len(stack)-1]) // a datatype's block
		}
	}
	return out
}

func h5dumpType(typ string) string {
	return map[string]string{
		"float16": "16-bit", "float32": "H5T_IEEE_F32LE", "float64": "H5T_IEEE_F64LE",
		"int32": "H5T_STD_I32LE", "int64": "H5T_STD_I64LE", "uint8": "H5T_STD_U8LE",
	}[typ]
}

// TestH5dumpStructure walks basic_v0.h5 and compares every group, dataset
// and attribute, with datatypes and dataspaces, to h5dump -H's view,
// recorded when the fixtures were made.
func TestH5dumpStructure(t *testing.T) {
	b, err := os.ReadFile("testdata/basic_v0.h5.h5dump")
	if err != nil {
		t.Fatal(err)
	}
	want := h5dumpTree(t, string(b))
	if len(want) < 20 {
		t.Fatalf("h5dump tree has only %d objects", len(want))
	}
	got := map[string]string{}
	f := open(t, "basic_v0.h5")
	shape := func(s []int) string {
		var p []string
		for _, d := range s {
			p = append(p, strconv.Itoa(d))
		}
		return "(" + strings.Join(p, ",") + ")"
	}
	attrs := func(path string, as []*Attribute) {
		for _, a := range as {
			typ := h5dumpType(a.Type)
			if typ == "" {
				typ = "H5T_STRING"
			}
			got[path+"@"+a.Name] = "attribute " + typ + " " + shape(a.Shape)
		}
	}
	var walk func(g *Group)
	walk = func(g *Group) {
		got[g.Path()] = "group"
		as, err := g.Attrs()
		if err != nil {
			t.Fatal(err)
		}
		attrs(g.Path(), as)
		names, err := g.Names()
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if g.IsGroup(n) {
				sub, err := g.Group(n)
				if err != nil {
					t.Fatal(err)
				}
				walk(sub)
				continue
			}
			d, err := g.Dataset(n)
			if err != nil {
				t.Fatal(err)
			}
			typ := h5dumpType(d.Type())
			if d.BigEndian() {
				typ = strings.Replace(typ, "LE", "BE", 1)
			}
			got[d.Path()] = "dataset " + typ + " " + shape(d.Shape())
			as, err := d.Attrs()
			if err != nil {
				t.Fatal(err)
			}
			attrs(d.Path(), as)
		}
	}
	root, err := f.Root()
	if err != nil {
		t.Fatal(err)
	}
	walk(root)
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if got[k] != want[k] {
			t.Errorf("%s: reader %q, h5dump %q", k, got[k], want[k])
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: the reader lists it, h5dump does not", k)
		}
	}
}

// TestRefused checks the error of each feature the reader refuses.
func TestRefused(t *testing.T) {
	f := open(t, "refused.h5")
	cases := map[string]string{
		"resizable":   "extensible-array chunk index",
		"dense_links": "dense link storage",
		"bools":       "enum",
		"lzf":         "filter 32000 is not supported",
		"soft/link":   "soft link",
	}
	for path, want := range cases {
		var err error
		if path == "dense_links" {
			var g *Group
			if g, err = f.Group(path); err == nil {
				_, err = g.Names()
			}
		} else {
			var d *Dataset
			if d, err = f.Dataset(path); err == nil {
				_, err = d.Float32s()
			}
		}
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "refused.h5") {
			t.Errorf("%s: error %v, want one that names the file and says %q", path, err, want)
		}
	}
}

// TestErrorsNamePaths checks that a missing member is reported with the
// file and group.
func TestErrorsNamePaths(t *testing.T) {
	f := open(t, "basic_v0.h5")
	_, err := f.Dataset("/a/b/nothing")
	if err == nil || !strings.Contains(err.Error(), "basic_v0.h5") || !strings.Contains(err.Error(), `/a/b: no member "nothing"`) {
		t.Errorf("error %v", err)
	}
	_, err = f.Dataset("/a/b")
	if err == nil || !strings.Contains(err.Error(), "/a/b is not a dataset") {
		t.Errorf("error %v", err)
	}
	_, err = f.Group("/scalar/x")
	if err == nil || !strings.Contains(err.Error(), "/scalar is not a group") {
		t.Errorf("error %v", err)
	}
}

// patchDims rewrites the dims of the one version 1 dataspace message of
// shape from in a file.
func patchDims(t *testing.T, b []byte, from []uint64, to []uint64) []byte {
	t.Helper()
	var pat, rep []byte
	pat = append(pat, 1, byte(len(from)))
	rep = append(rep, 1, byte(len(to)))
	for _, v := range from {
		pat = binary.LittleEndian.AppendUint64(pat, v)
	}
	for _, v := range to {
		rep = binary.LittleEndian.AppendUint64(rep, v)
	}
	// version, rank, flags (max dims present), 5 reserved bytes, dims
	i := bytes.Index(b, append(append([]byte{1, byte(len(from)), 1}, make([]byte, 5)...), pat[2:]...))
	if i < 0 || bytes.Count(b, pat[2:]) != 2 { // the dims and the max dims
		t.Fatal("dataspace message not found once")
	}
	out := slices.Clone(b)
	copy(out[i+8:], rep[2:])
	return out
}

// TestHugeDatasetRefused claims 2³⁰ × 7 float32 values in a 40 KB file:
// the read is refused before the buffer is allocated.
func TestHugeDatasetRefused(t *testing.T) {
	b, err := os.ReadFile("testdata/basic_v0.h5")
	if err != nil {
		t.Fatal(err)
	}
	for _, dims := range [][]uint64{{1 << 30, 7}, {1 << 62, 1 << 62}} {
		bad := patchDims(t, b, []uint64{5, 7}, dims)
		f, err := NewFile(bytes.NewReader(bad), int64(len(bad)), "huge.h5")
		if err != nil {
			t.Fatal(err)
		}
		d, err := f.Dataset("/a/contiguous")
		if err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err = d.Float32s()
		runtime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error(), "huge.h5") || !strings.Contains(err.Error(), "/a/contiguous") {
			t.Errorf("dims %v: error %v, want a refusal naming the file and dataset", dims, err)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
			t.Errorf("dims %v: allocated %d bytes before refusing", dims, grew)
		}
	}
}

// TestMaxBytes checks that a caller's lower limit applies.
func TestMaxBytes(t *testing.T) {
	f := open(t, "basic_v0.h5")
	f.MaxBytes = 100
	d, err := f.Dataset("/a/contiguous") // 140 bytes
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Float32s(); err == nil || !strings.Contains(err.Error(), "limit 100 bytes") {
		t.Errorf("error %v", err)
	}
}

// TestTruncated reads every prefix length class of a file: errors, never
// panics, and the full file still reads.
func TestTruncated(t *testing.T) {
	for _, name := range fixtures {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n < len(b); n += 1 + n/16 {
			readAll(b[:n])
		}
	}
}

// readAll reads everything it can of an HDF5 file and reports how many
// values it decoded.
func readAll(b []byte) int {
	f, err := NewFile(bytes.NewReader(b), int64(len(b)), "fuzz.h5")
	if err != nil {
		return 0
	}
	f.MaxBytes = 1 << 24
	n := 0
	root, err := f.Root()
	if err != nil {
		return 0
	}
	seen := map[uint64]bool{}
	var walk func(g *Group, depth int)
	walk = func(g *Group, depth int) {
		if depth > 8 || seen[g.o.addr] {
			return
		}
		seen[g.o.addr] = true
		g.Attrs()
		names, _ := g.Names()
		for _, name := range names {
			if g.IsGroup(name) {
				if sub, err := g.Group(name); err == nil {
					walk(sub, depth+1)
				}
				continue
			}
			if d, err := g.Dataset(name); err == nil {
				d.Attrs()
				v, _ := d.Float64s()
				n += len(v)
			}
		}
	}
	walk(root, 0)
	return n
}

func FuzzHDF5(f *testing.F) {
	for _, name := range append(fixtures, "refused.h5") {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		readAll(b)
	})
}

func TestHalf(t *testing.T) {
	for h, want := range map[uint16]float32{0x3c00: 1, 0xc000: -2, 0x7bff: 65504, 0x0001: float32(math.Ldexp(1, -24)), 0x8000: float32(math.Copysign(0, -1))} {
		if got := half(h); got != want || math.Signbit(float64(got)) != math.Signbit(float64(want)) {
			t.Errorf("half(%#x) = %v, want %v", h, got, want)
		}
	}
}
