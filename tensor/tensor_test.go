package tensor

import (
	"math"
	"strings"
	"testing"

	"github.com/neurona/neurona/internal/alloctest"
)

// mustPanic runs f and fails the test unless it panics with a message that
// contains want.
func mustPanic(t *testing.T, name, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Errorf("%s: did not panic", name)
			return
		}
		msg, _ := r.(string)
		if !strings.Contains(msg, want) {
			t.Errorf("%s: panic %q does not mention %q", name, msg, want)
		}
	}()
	f()
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestNewShapes(t *testing.T) {
	cases := []struct {
		shape []int
		size  int
	}{
		{nil, 1},
		{[]int{3}, 3},
		{[]int{2, 3}, 6},
		{[]int{2, 3, 4}, 24},
		{[]int{0, 5}, 0},
		{[]int{1, 2, 1, 2, 1, 2, 1}, 8}, // more dims than the inline buffer
	}
	for _, c := range cases {
		x := New(c.shape...)
		if !equalInts(x.Shape, c.shape) {
			t.Errorf("New(%v).Shape = %v", c.shape, x.Shape)
		}
		if x.Shape == nil {
			t.Errorf("New(%v).Shape is nil", c.shape)
		}
		if len(x.Data) != c.size || x.Size() != c.size {
			t.Errorf("New(%v): len(Data)=%d Size()=%d, want %d", c.shape, len(x.Data), x.Size(), c.size)
		}
		if x.Dims() != len(c.shape) {
			t.Errorf("New(%v).Dims() = %d", c.shape, x.Dims())
		}
		for i, v := range x.Data {
			if v != 0 {
				t.Fatalf("New(%v).Data[%d] = %v, want 0", c.shape, i, v)
			}
		}
	}
	// The shape is copied, not aliased.
	s := []int{2, 3}
	x := New(s...)
	s[0] = 7
	if x.Shape[0] != 2 {
		t.Errorf("New aliases its shape argument: %v", x.Shape)
	}
	mustPanic(t, "New(-1, 2)", "negative", func() { New(-1, 2) })
}

func TestFromSlice(t *testing.T) {
	d := []float32{1, 2, 3, 4, 5, 6}
	x := FromSlice(d, 2, 3)
	if !equalInts(x.Shape, []int{2, 3}) {
		t.Fatalf("shape %v", x.Shape)
	}
	d[4] = 42 // no copy: the tensor sees the change
	if x.At(1, 1) != 42 {
		t.Errorf("FromSlice copied its data: At(1,1) = %v", x.At(1, 1))
	}
	if x.At(0, 2) != 3 || x.At(1, 0) != 4 {
		t.Errorf("row-major indexing wrong: At(0,2)=%v At(1,0)=%v", x.At(0, 2), x.At(1, 0))
	}
	mustPanic(t, "FromSlice 5 values for (2,3)", "FromSlice", func() { FromSlice(make([]float32, 5), 2, 3) })
	mustPanic(t, "FromSlice 7 values for (2,3)", "FromSlice", func() { FromSlice(make([]float32, 7), 2, 3) })
	s := FromSlice([]float32{9})
	if s.Size() != 1 || s.Dims() != 0 || s.Data[0] != 9 {
		t.Errorf("scalar FromSlice: %v", s)
	}
}

func TestFull(t *testing.T) {
	x := Full(2.5, 3, 2)
	if !equalInts(x.Shape, []int{3, 2}) || len(x.Data) != 6 {
		t.Fatalf("Full shape %v len %d", x.Shape, len(x.Data))
	}
	for i, v := range x.Data {
		if v != 2.5 {
			t.Errorf("Full Data[%d] = %v", i, v)
		}
	}
	mustPanic(t, "Full(1, 2, -3)", "negative", func() { Full(1, 2, -3) })
}

func TestAtSetOffsets(t *testing.T) {
	x := New(2, 3, 4)
	x.Set(7, 1, 2, 3)
	if x.Data[1*12+2*4+3] != 7 {
		t.Errorf("Set(1,2,3) wrote the wrong offset")
	}
	mustPanic(t, "At out of range", "out of range", func() { x.At(2, 0, 0) })
	mustPanic(t, "At wrong rank", "index", func() { x.At(0, 0) })
	if x.Dim(-1) != 4 || x.Dim(0) != 2 || x.Dim(-3) != 2 {
		t.Errorf("Dim: %d %d %d", x.Dim(-1), x.Dim(0), x.Dim(-3))
	}
}

func TestReshapeExplicit(t *testing.T) {
	x := FromSlice([]float32{0, 1, 2, 3, 4, 5}, 2, 3)
	v := x.Reshape(3, 2)
	if !equalInts(v.Shape, []int{3, 2}) {
		t.Fatalf("Reshape(3,2).Shape = %v", v.Shape)
	}
	if !equalInts(x.Shape, []int{2, 3}) {
		t.Errorf("Reshape changed the original's shape to %v", x.Shape)
	}
	v.Data[5] = 50 // a view: shares storage
	if x.Data[5] != 50 {
		t.Errorf("Reshape copied the data")
	}
	if v.At(2, 1) != 50 || v.At(1, 0) != 2 {
		t.Errorf("Reshape view indexing wrong")
	}
	mustPanic(t, "Reshape(4,2) of 6", "Reshape", func() { x.Reshape(4, 2) })
	mustPanic(t, "Reshape(7) of 6", "Reshape", func() { x.Reshape(7) })
}

// TestBug_ReshapeInfersMinusOne: Reshape documents that one dimension may be
// -1, but setShape validates the requested shape through shapeSize, which
// panics on any negative dimension before the -1 is ever inferred.
func TestBug_ReshapeInfersMinusOne(t *testing.T) {
	cases := []struct {
		in, want []int
	}{
		{[]int{-1}, []int{6}},
		{[]int{-1, 2}, []int{3, 2}},
		{[]int{3, -1}, []int{3, 2}},
		{[]int{1, -1, 3}, []int{1, 2, 3}},
	}
	for _, c := range cases {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("Reshape(%v) of a (2, 3) tensor panicked: %v", c.in, r)
				}
			}()
			x := New(2, 3)
			v := x.Reshape(c.in...)
			if !equalInts(v.Shape, c.want) {
				t.Errorf("Reshape(%v).Shape = %v, want %v", c.in, v.Shape, c.want)
			}
		}()
	}
}

func TestReshapeMinusOnePanics(t *testing.T) {
	x := New(2, 3)
	// These must panic whether or not -1 inference works: 6 is not a
	// multiple of 4, and two -1s are ambiguous.
	mustPanic(t, "Reshape(-1, 4)", "", func() { x.Reshape(-1, 4) })
	mustPanic(t, "Reshape(-1, -1)", "", func() { x.Reshape(-1, -1) })
	mustPanic(t, "Reshape(-2, -3)", "", func() { x.Reshape(-2, -3) })
}

func TestResize(t *testing.T) {
	x := New(4, 5) // capacity 20
	x.Resize(2, 3)
	if !equalInts(x.Shape, []int{2, 3}) || len(x.Data) != 6 {
		t.Fatalf("Resize(2,3): shape %v len %d", x.Shape, len(x.Data))
	}
	if cap(x.Data) != 20 {
		t.Errorf("Resize shrinking reallocated: cap %d", cap(x.Data))
	}
	x.Resize(5, 4)
	if len(x.Data) != 20 || !equalInts(x.Shape, []int{5, 4}) {
		t.Errorf("Resize(5,4): shape %v len %d", x.Shape, len(x.Data))
	}
	x.Resize(3, 10)
	if len(x.Data) != 30 || cap(x.Data) < 30 || !equalInts(x.Shape, []int{3, 10}) {
		t.Errorf("Resize growing: shape %v len %d cap %d", x.Shape, len(x.Data), cap(x.Data))
	}
	mustPanic(t, "Resize(-1)", "negative", func() { x.Resize(-1) })

	y := New(8, 16)
	shapes := [][]int{{4, 16}, {8, 16}, {2, 2, 2}, {128}, {1, 2, 4, 8}}
	i := 0
	allocs := alloctest.PerRun(100, func() {
		s := shapes[i%len(shapes)]
		i++
		y.Resize(s...)
	})
	if allocs != 0 {
		t.Errorf("Resize within capacity allocates %v times per call, want 0", allocs)
	}
	allocs = alloctest.PerRun(100, func() { y.Resize(4, 8) })
	if allocs != 0 {
		t.Errorf("Resize(4, 8) within capacity allocates %v times per call, want 0", allocs)
	}
}

func TestSetView(t *testing.T) {
	var v Tensor
	d := []float32{1, 2, 3, 4, 5, 6}
	v.SetView(d, 3, 2)
	if !equalInts(v.Shape, []int{3, 2}) || &v.Data[0] != &d[0] || len(v.Data) != 6 {
		t.Fatalf("SetView: shape %v, shares=%v", v.Shape, &v.Data[0] == &d[0])
	}
	if v.At(2, 0) != 5 {
		t.Errorf("SetView At(2,0) = %v", v.At(2, 0))
	}
	mustPanic(t, "SetView size mismatch", "SetView", func() { v.SetView(d, 4, 2) })
	allocs := alloctest.PerRun(100, func() { v.SetView(d, 2, 3) })
	if allocs != 0 {
		t.Errorf("SetView allocates %v times per call, want 0", allocs)
	}
}

func TestRowAndRowSize(t *testing.T) {
	x := New(3, 2, 4)
	for i := range x.Data {
		x.Data[i] = float32(i)
	}
	if x.Rows() != 3 || x.RowSize() != 8 {
		t.Fatalf("Rows %d RowSize %d", x.Rows(), x.RowSize())
	}
	r := x.Row(1)
	if len(r) != 8 || cap(r) != 8 {
		t.Fatalf("Row(1) len %d cap %d, want 8 8", len(r), cap(r))
	}
	for j, v := range r {
		if v != float32(8+j) {
			t.Errorf("Row(1)[%d] = %v", j, v)
		}
	}
	r[0] = -1 // no copy
	if x.Data[8] != -1 {
		t.Errorf("Row copied the data")
	}
	// A full cap limit means append cannot overwrite row 2.
	_ = append(r, 99)
	if x.Data[16] != 16 {
		t.Errorf("append to Row(1) overwrote row 2")
	}
	e := New(0, 5)
	if e.Rows() != 0 || e.RowSize() != 5 {
		t.Errorf("(0,5): Rows %d RowSize %d", e.Rows(), e.RowSize())
	}
	s := New()
	if s.Rows() != 1 || s.RowSize() != 1 {
		t.Errorf("scalar: Rows %d RowSize %d", s.Rows(), s.RowSize())
	}
	v := New(7)
	if v.Rows() != 7 || v.RowSize() != 1 {
		t.Errorf("(7,): Rows %d RowSize %d", v.Rows(), v.RowSize())
	}
}

func TestGatherRows(t *testing.T) {
	src := New(4, 3)
	for i := range src.Data {
		src.Data[i] = float32(i)
	}
	idx := []int{3, 0, 3}
	dst := New(3, 3)
	GatherRows(dst, src, idx)
	for i, r := range idx {
		for j := 0; j < 3; j++ {
			if dst.At(i, j) != float32(r*3+j) {
				t.Errorf("dst[%d][%d] = %v, want %v", i, j, dst.At(i, j), r*3+j)
			}
		}
	}
	allocs := alloctest.PerRun(50, func() { GatherRows(dst, src, idx) })
	if allocs != 0 {
		t.Errorf("GatherRows allocates %v", allocs)
	}
	mustPanic(t, "wrong row count", "GatherRows", func() { GatherRows(New(2, 3), src, idx) })
	mustPanic(t, "wrong row size", "GatherRows", func() { GatherRows(New(3, 2), src, idx) })

	// GatherRowsAt fills a range of rows and leaves the others alone.
	part := Full(-1, 4, 3)
	GatherRowsAt(part, 1, src, []int{2, 1})
	for i, want := range [][]float32{{-1, -1, -1}, {6, 7, 8}, {3, 4, 5}, {-1, -1, -1}} {
		for j, w := range want {
			if part.At(i, j) != w {
				t.Errorf("GatherRowsAt: part[%d][%d] = %v, want %v", i, j, part.At(i, j), w)
			}
		}
	}
	mustPanic(t, "past the last row", "GatherRowsAt", func() { GatherRowsAt(part, 3, src, []int{0, 1}) })
}

func TestHasNaN(t *testing.T) {
	inf := float32(math.Inf(1))
	cases := []struct {
		data []float32
		want bool
	}{
		{[]float32{1, 2, 3}, false},
		{[]float32{}, false},
		{[]float32{math.MaxFloat32, -math.MaxFloat32}, false},
		{[]float32{1, float32(math.NaN()), 3}, true},
		{[]float32{inf}, true},
		{[]float32{0, -inf}, true},
	}
	for _, c := range cases {
		if got := FromSlice(c.data, len(c.data)).HasNaN(); got != c.want {
			t.Errorf("HasNaN(%v) = %v, want %v", c.data, got, c.want)
		}
	}
}

func TestShapeString(t *testing.T) {
	cases := map[string][]int{
		"()":        {},
		"(3,)":      {3},
		"(2, 3)":    {2, 3},
		"(1, 2, 3)": {1, 2, 3},
		"(0, 10)":   {0, 10},
	}
	for want, s := range cases {
		if got := ShapeString(s); got != want {
			t.Errorf("ShapeString(%v) = %q, want %q", s, got, want)
		}
	}
}

func TestCloneCopyFillZero(t *testing.T) {
	x := FromSlice([]float32{1, 2, 3, 4}, 2, 2)
	c := x.Clone()
	c.Data[0] = 9
	if x.Data[0] != 1 || !SameShape(x, c) {
		t.Errorf("Clone is not a deep copy")
	}
	y := New(4)
	y.CopyFrom(x)
	if y.Data[3] != 4 {
		t.Errorf("CopyFrom: %v", y.Data)
	}
	mustPanic(t, "CopyFrom size mismatch", "CopyFrom", func() { New(3).CopyFrom(x) })
	y.Fill(3)
	y.Zero()
	for _, v := range y.Data {
		if v != 0 {
			t.Fatalf("Zero left %v", v)
		}
	}
	if !EqualShape([]int{1, 2}, []int{1, 2}) || EqualShape([]int{1, 2}, []int{2, 1}) || EqualShape([]int{1}, []int{1, 1}) {
		t.Errorf("EqualShape wrong")
	}
}

// ---- RNG ----

func TestRNGDeterminism(t *testing.T) {
	a, b := NewRNG(42), NewRNG(42)
	for i := 0; i < 1000; i++ {
		if x, y := a.Uint64(), b.Uint64(); x != y {
			t.Fatalf("same seed diverged at draw %d: %x vs %x", i, x, y)
		}
	}
	c, d := NewRNG(1), NewRNG(2)
	same := 0
	for i := 0; i < 100; i++ {
		if c.Uint64() == d.Uint64() {
			same++
		}
	}
	if same > 0 {
		t.Errorf("seeds 1 and 2 gave %d identical draws out of 100", same)
	}
	// Seed resets to the start of the stream.
	e := NewRNG(7)
	first := [3]uint64{e.Uint64(), e.Uint64(), e.Uint64()}
	e.Seed(7)
	for i, w := range first {
		if g := e.Uint64(); g != w {
			t.Errorf("after Seed(7), draw %d = %x, want %x", i, g, w)
		}
	}
	// Seed 0 must not produce a degenerate all-zero state.
	z := NewRNG(0)
	if z.State() == ([4]uint64{}) {
		t.Errorf("seed 0 gives an all-zero xoshiro state")
	}
}

// TestRNGKnownStream pins the stream against an independent implementation
// of splitmix64 seeding + xoshiro256**, so a seed gives the same numbers
// forever as the doc promises.
func TestRNGKnownStream(t *testing.T) {
	var s [4]uint64
	x := uint64(12345)
	for i := range s {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		s[i] = z ^ (z >> 31)
	}
	rot := func(v uint64, k uint) uint64 { return v<<k | v>>(64-k) }
	next := func() uint64 {
		r := rot(s[1]*5, 7) * 9
		t := s[1] << 17
		s[2] ^= s[0]
		s[3] ^= s[1]
		s[1] ^= s[2]
		s[0] ^= s[3]
		s[2] ^= t
		s[3] = rot(s[3], 45)
		return r
	}
	r := NewRNG(12345)
	for i := 0; i < 50; i++ {
		if g, w := r.Uint64(), next(); g != w {
			t.Fatalf("draw %d = %x, reference xoshiro256** gives %x", i, g, w)
		}
	}
}

func TestRNGFloatRange(t *testing.T) {
	r := NewRNG(3)
	const n = 100000
	var s32, s64 float64
	for i := 0; i < n; i++ {
		f := r.Float64()
		if f < 0 || f >= 1 {
			t.Fatalf("Float64 = %v outside [0,1)", f)
		}
		s64 += f
		g := r.Float32()
		if g < 0 || g >= 1 {
			t.Fatalf("Float32 = %v outside [0,1)", g)
		}
		s32 += float64(g)
	}
	// Mean of U(0,1) is 0.5 with sd 1/sqrt(12n) ≈ 0.0009; allow 5 sd.
	for name, s := range map[string]float64{"Float64": s64, "Float32": s32} {
		if m := s / n; math.Abs(m-0.5) > 0.0046 {
			t.Errorf("%s mean = %v, want 0.5", name, m)
		}
	}
}

func TestRNGIntn(t *testing.T) {
	r := NewRNG(9)
	const k, n = 10, 50000
	var counts [k]int
	for i := 0; i < n; i++ {
		v := r.Intn(k)
		if v < 0 || v >= k {
			t.Fatalf("Intn(%d) = %d", k, v)
		}
		counts[v]++
	}
	exp := float64(n) / k
	var chi2 float64
	for _, c := range counts {
		d := float64(c) - exp
		chi2 += d * d / exp
	}
	// 9 degrees of freedom: P(chi2 > 27.88) = 0.001.
	if chi2 > 27.88 {
		t.Errorf("Intn(10) chi-square %v > 27.88: counts %v", chi2, counts)
	}
	// A non-power-of-two n and n = 1.
	for i := 0; i < 1000; i++ {
		if v := r.Intn(7); v < 0 || v >= 7 {
			t.Fatalf("Intn(7) = %d", v)
		}
		if v := r.Intn(1); v != 0 {
			t.Fatalf("Intn(1) = %d", v)
		}
	}
	// Huge n still in range.
	big := 1<<62 + 12345
	for i := 0; i < 1000; i++ {
		if v := r.Intn(big); v < 0 || v >= big {
			t.Fatalf("Intn(%d) = %d", big, v)
		}
	}
	mustPanic(t, "Intn(0)", "Intn", func() { r.Intn(0) })
	mustPanic(t, "Intn(-3)", "Intn", func() { r.Intn(-3) })
}

func isPerm(p []int) bool {
	seen := make([]bool, len(p))
	for _, v := range p {
		if v < 0 || v >= len(p) || seen[v] {
			return false
		}
		seen[v] = true
	}
	return true
}

func TestRNGPermShuffle(t *testing.T) {
	r := NewRNG(5)
	p := make([]int, 100)
	r.Perm(p)
	if !isPerm(p) {
		t.Fatalf("Perm gave %v", p)
	}
	ident := true
	for i, v := range p {
		if v != i {
			ident = false
		}
	}
	if ident {
		t.Errorf("Perm(100) returned the identity")
	}
	q := make([]int, 50)
	for i := range q {
		q[i] = i * 3
	}
	r.Shuffle(q)
	for i := range q {
		if q[i]%3 != 0 {
			t.Fatalf("Shuffle changed values: %v", q)
		}
		q[i] /= 3
	}
	if !isPerm(q) {
		t.Fatalf("Shuffle lost or duplicated elements: %v", q)
	}
	// Every one of the 6 permutations of 3 elements comes up about equally.
	counts := map[[3]int]int{}
	for i := 0; i < 6000; i++ {
		var s [3]int
		r.Perm(s[:])
		counts[s]++
	}
	if len(counts) != 6 {
		t.Fatalf("Perm(3) gave %d distinct permutations, want 6", len(counts))
	}
	for k, c := range counts {
		if c < 850 || c > 1150 {
			t.Errorf("permutation %v came up %d times out of 6000", k, c)
		}
	}
	r.Perm(nil) // must not panic
	one := []int{5}
	r.Perm(one)
	if one[0] != 0 {
		t.Errorf("Perm of one element = %v", one)
	}
}

func TestRNGNormFloat64(t *testing.T) {
	r := NewRNG(11)
	const n = 100000
	var s, s2 float64
	for i := 0; i < n; i++ {
		z := r.NormFloat64()
		if math.IsNaN(z) || math.IsInf(z, 0) {
			t.Fatalf("NormFloat64 = %v", z)
		}
		s += z
		s2 += z * z
	}
	mean := s / n
	variance := s2/n - mean*mean
	// sd of the mean is 1/sqrt(n) ≈ 0.0032; of the variance ≈ sqrt(2/n) ≈ 0.0045.
	if math.Abs(mean) > 0.016 {
		t.Errorf("NormFloat64 mean = %v", mean)
	}
	if math.Abs(variance-1) > 0.025 {
		t.Errorf("NormFloat64 variance = %v", variance)
	}
}

func TestRNGUniformNormalTensors(t *testing.T) {
	r := NewRNG(13)
	u := New(20000)
	r.Uniform(u, -2, 3)
	var s float64
	for _, v := range u.Data {
		if v < -2 || v >= 3 {
			t.Fatalf("Uniform(-2,3) gave %v", v)
		}
		s += float64(v)
	}
	if m := s / 20000; math.Abs(m-0.5) > 0.05 {
		t.Errorf("Uniform(-2,3) mean %v, want 0.5", m)
	}
	x := New(50000)
	r.Normal(x, 3, 0.5)
	var sx, sx2 float64
	for _, v := range x.Data {
		sx += float64(v)
		sx2 += float64(v) * float64(v)
	}
	m := sx / 50000
	sd := math.Sqrt(sx2/50000 - m*m)
	if math.Abs(m-3) > 0.01 || math.Abs(sd-0.5) > 0.01 {
		t.Errorf("Normal(3, 0.5): mean %v sd %v", m, sd)
	}
}

func TestRNGTruncatedNormal(t *testing.T) {
	r := NewRNG(17)
	const mean, sd = 1.5, 0.25
	x := New(50000)
	r.TruncatedNormal(x, mean, sd)
	var s, s2 float64
	for _, v := range x.Data {
		d := float64(v) - mean
		if math.Abs(d) > 2*sd+1e-6 {
			t.Fatalf("TruncatedNormal gave %v, more than 2σ from %v", v, mean)
		}
		s += d
		s2 += d * d
	}
	n := float64(len(x.Data))
	m := s / n
	std := math.Sqrt(s2/n - m*m)
	// A unit normal truncated to [-2, 2] has sd 0.8796.
	if math.Abs(m) > 0.005 {
		t.Errorf("TruncatedNormal mean offset %v", m)
	}
	if want := sd * 0.87962566103423978; math.Abs(std-want) > 0.01*want+0.001 {
		t.Errorf("TruncatedNormal sd %v, want %v", std, want)
	}
}

func TestRNGStateResume(t *testing.T) {
	r := NewRNG(99)
	for i := 0; i < 17; i++ {
		r.Uint64()
	}
	st := r.State()
	want := make([]float64, 20)
	for i := range want {
		want[i] = r.Float64()
	}
	wantInt := r.Intn(1000)

	q := NewRNG(1) // a different stream
	q.SetState(st)
	for i, w := range want {
		if g := q.Float64(); g != w {
			t.Fatalf("resumed draw %d = %v, want %v", i, g, w)
		}
	}
	if g := q.Intn(1000); g != wantInt {
		t.Errorf("resumed Intn = %d, want %d", g, wantInt)
	}
	if q.State() != r.State() {
		t.Errorf("states differ after identical draws")
	}
	// State is a copy: drawing more does not change a saved state.
	st2 := r.State()
	r.Uint64()
	if st2 == r.State() {
		t.Errorf("State did not change after a draw")
	}
}

func TestRNGSplit(t *testing.T) {
	a, b := NewRNG(4), NewRNG(4)
	sa, sb := a.Split(), b.Split()
	for i := 0; i < 10; i++ {
		if sa.Uint64() != sb.Uint64() {
			t.Fatalf("Split is not deterministic")
		}
	}
	// The child's stream differs from the parent's.
	if a.Uint64() == sa.Uint64() {
		t.Errorf("Split child repeats the parent's next draw")
	}
}

// TestRNGDropMask checks DropMask against the same draws made one Uint64
// at a time: the same mask, bit for bit, and the same state afterwards.
func TestRNGDropMask(t *testing.T) {
	for _, rate := range []float64{0, 0.2, 0.5, 0.999} {
		keepFrom := uint64(math.Ceil(rate * (1 << 24)))
		scale := float32(1 / (1 - rate))
		a, b := NewRNG(7), NewRNG(7)
		got, want := make([]float32, 1001), make([]float32, 1001)
		a.DropMask(got, keepFrom, scale)
		kept := 0
		for i := range want {
			if float64(b.Float32()) >= rate {
				want[i] = scale
			}
			if got[i] != 0 {
				kept++
			}
		}
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("rate %v: mask[%d] = %v, want %v", rate, i, got[i], want[i])
			}
		}
		if a.State() != b.State() {
			t.Fatalf("rate %v: the state after DropMask differs from that after the same draws", rate)
		}
		if rate == 0.5 && (kept < 400 || kept > 600) {
			t.Fatalf("rate 0.5: %d of 1001 kept", kept)
		}
	}
}
