package preprocessing

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/neurona/neurona/internal/alloctest"
	"github.com/neurona/neurona/tensor"
)

// dataset is models.Dataset, which preprocessing does not import.
type dataset interface {
	Len() int
	Batch(pass, i int) (xs, ys []*tensor.Tensor, err error)
}

var (
	_ dataset = (*ArrayIterator)(nil)
	_ dataset = (*DirectoryIterator)(nil)
)

// testImages returns n images of h×w×3 whose pixels encode their index (so
// that a batch shows which samples it holds) and labels 0..n-1.
func testImages(n, h, w int) (x, y *tensor.Tensor) {
	x = tensor.New(n, h, w, 3)
	y = tensor.New(n, 1)
	for i := range n {
		row := x.Row(i)
		for k := range row {
			row[k] = float32(i) + float32(k%7)/10
		}
		y.Data[i] = float32(i)
	}
	return x, y
}

// collect reads passes of d and returns every batch's data, copied.
func collect(t *testing.T, d dataset, passes int) [][]float32 {
	t.Helper()
	var out [][]float32
	for p := range passes {
		for i := range d.Len() {
			xs, ys, err := d.Batch(p, i)
			if err != nil {
				t.Fatal(err)
			}
			b := slices.Clone(xs[0].Data)
			for _, y := range ys {
				b = append(b, y.Data...)
			}
			out = append(out, b)
		}
	}
	return out
}

var augment = &ImageDataGenerator{RotationRange: 25, WidthShiftRange: 0.2, HeightShiftRange: 0.1,
	ShearRange: 8, Zoom: 0.2, HorizontalFlip: true, VerticalFlip: true, FillMode: FillReflect, Rescale: 0.5}

func TestFlowWorkersDeterminism(t *testing.T) {
	x, y := testImages(37, 6, 5)
	var ref [][]float32
	for _, workers := range []int{1, 4, 3} {
		for _, ra := range []int{-1, 0, 5} {
			it, err := augment.Flow(x, y, FlowOptions{BatchSize: 8, Seed: 42, Workers: workers, ReadAhead: ra})
			if err != nil {
				t.Fatal(err)
			}
			got := collect(t, it, 2)
			it.Close()
			if ref == nil {
				ref = got
				continue
			}
			for i := range ref {
				if !slices.Equal(ref[i], got[i]) {
					t.Fatalf("workers %d, read-ahead %d: batch %d differs from 1 worker's", workers, ra, i)
				}
			}
		}
	}
	// The passes differ from each other (new order, new transforms).
	if slices.Equal(ref[0], ref[5]) {
		t.Error("pass 1 repeats pass 0")
	}
}

// TestFlowOrder checks Keras's Iterator semantics: every sample once per
// pass, in an order fixed by the seed (the identity with NoShuffle), the
// last batch shorter, the targets following their images.
func TestFlowOrder(t *testing.T) {
	const n, bs = 23, 5
	x, y := testImages(n, 4, 3)
	order := func(seed uint64, noShuffle bool, pass int) []int {
		it, err := (&ImageDataGenerator{}).Flow(x, y, FlowOptions{BatchSize: bs, Seed: seed, NoShuffle: noShuffle, Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		defer it.Close()
		if it.Len() != 5 || it.Samples() != n {
			t.Fatalf("Len %d, Samples %d", it.Len(), it.Samples())
		}
		var got []int
		for i := range it.Len() {
			xs, ys, err := it.Batch(pass, i)
			if err != nil {
				t.Fatal(err)
			}
			want := bs
			if i == it.Len()-1 {
				want = n % bs
			}
			if xs[0].Shape[0] != want || ys[0].Shape[0] != want || len(xs[0].Data) != want*4*3*3 {
				t.Fatalf("batch %d: shapes %v %v", i, xs[0].Shape, ys[0].Shape)
			}
			for r := range want {
				j := int(ys[0].Data[r])
				if xs[0].Row(r)[0] != float32(j) {
					t.Fatalf("batch %d row %d: image %v with label %d", i, r, xs[0].Row(r)[0], j)
				}
				got = append(got, j)
			}
		}
		return got
	}
	a := order(1, false, 0)
	if s := slices.Sorted(slices.Values(a)); !slices.Equal(s, seq(n)) {
		t.Fatalf("pass 0 is not a permutation: %v", a)
	}
	if slices.Equal(a, seq(n)) {
		t.Error("shuffled order is the identity")
	}
	if !slices.Equal(a, order(1, false, 0)) {
		t.Error("same seed, different order")
	}
	if slices.Equal(a, order(2, false, 0)) {
		t.Error("seeds 1 and 2 give the same order")
	}
	if slices.Equal(a, order(1, false, 1)) {
		t.Error("passes 0 and 1 have the same order")
	}
	if !slices.Equal(order(1, true, 3), seq(n)) {
		t.Error("NoShuffle: not in order")
	}
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// TestFlowTransformsFixedBySeed checks that the transforms are those of
// the seed (a batch asked for out of order, after other batches, is the
// same) and that they are Keras's: a sample's image is ApplyTransform of
// GetRandomTransform's parameters, rescaled.
func TestFlowTransformsFixedBySeed(t *testing.T) {
	x, y := testImages(20, 7, 6)
	opts := FlowOptions{BatchSize: 6, Seed: 9, Workers: 2}
	it, err := augment.Flow(x, y, opts)
	if err != nil {
		t.Fatal(err)
	}
	seqd := collect(t, it, 2)
	// Random access: pass 1 backwards, then pass 0.
	for p := 1; p >= 0; p-- {
		for i := it.Len() - 1; i >= 0; i-- {
			xs, ys, err := it.Batch(p, i)
			if err != nil {
				t.Fatal(err)
			}
			if got := append(slices.Clone(xs[0].Data), ys[0].Data...); !slices.Equal(got, seqd[p*it.Len()+i]) {
				t.Fatalf("pass %d batch %d asked out of order differs", p, i)
			}
		}
	}
	// A different seed gives different transforms of the same order...
	other, _ := augment.Flow(x, y, FlowOptions{BatchSize: 6, Seed: 10, Workers: 2, NoShuffle: true})
	same, _ := augment.Flow(x, y, FlowOptions{BatchSize: 6, Seed: 9, Workers: 2, NoShuffle: true})
	a, b := collect(t, other, 1), collect(t, same, 1)
	if slices.Equal(a[0], b[0]) {
		t.Error("seeds 9 and 10 transform alike")
	}
	// ... and each sample is the documented transform of its image.
	xs, _, _ := same.Batch(1, 2)
	rng := tensor.NewRNG(0)
	for r := range xs[0].Shape[0] {
		j, k := 2*6+r, 2*6+r // NoShuffle: position k holds sample k
		rng.Seed(sampleSeed(9, 1, k))
		p := augment.GetRandomTransform(7, 6, rng)
		img := tensor.FromSlice(x.Row(j), 7, 6, 3)
		want, err := augment.ApplyTransform(img, p)
		if err != nil {
			t.Fatal(err)
		}
		augment.Standardize(want)
		if !slices.Equal(xs[0].Row(r), want.Data) {
			t.Fatalf("sample %d is not ApplyTransform(GetRandomTransform)", j)
		}
	}
	other.Close()
	same.Close()
	it.Close()
	if _, _, err := it.Batch(0, 0); err == nil {
		t.Error("Batch after Close: no error")
	}
}

func TestFlowErrors(t *testing.T) {
	x, y := testImages(4, 3, 3)
	g := &ImageDataGenerator{}
	for name, f := range map[string]func() error{
		"3-D x":       func() error { _, err := g.Flow(tensor.New(4, 3, 3), nil, FlowOptions{}); return err },
		"nil x":       func() error { _, err := g.Flow(nil, nil, FlowOptions{}); return err },
		"no samples":  func() error { _, err := g.Flow(tensor.New(0, 3, 3, 3), nil, FlowOptions{}); return err },
		"empty image": func() error { _, err := g.Flow(tensor.New(2, 3, 0, 3), nil, FlowOptions{}); return err },
		"y rows":      func() error { _, err := g.Flow(x, tensor.New(3, 1), FlowOptions{}); return err },
		"batch size":  func() error { _, err := g.Flow(x, y, FlowOptions{BatchSize: -1}); return err },
		"workers":     func() error { _, err := g.Flow(x, y, FlowOptions{Workers: -2}); return err },
		"class mode":  func() error { _, err := g.Flow(x, y, FlowOptions{ClassMode: "onehot"}); return err },
		"fill mode":   func() error { _, err := (&ImageDataGenerator{FillMode: "edge"}).Flow(x, y, FlowOptions{}); return err },
		"interpolate": func() error { _, err := g.Flow(x, y, FlowOptions{Interpolation: "area"}); return err },
	} {
		if f() == nil {
			t.Errorf("%s: no error", name)
		}
	}
	it, err := g.Flow(x, nil, FlowOptions{BatchSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	for _, c := range [][2]int{{0, 2}, {0, -1}, {-1, 0}} {
		if _, _, err := it.Batch(c[0], c[1]); err == nil {
			t.Errorf("Batch(%d, %d): no error", c[0], c[1])
		}
	}
	xs, ys, err := it.Batch(0, 1)
	if err != nil || ys != nil || xs[0].Shape[0] != 1 {
		t.Fatalf("no targets: %v %v %v", xs, ys, err)
	}
}

// TestFlowRescaleAfterTransform checks Keras's order: Cval is in the
// image's units, before Rescale.
func TestFlowRescaleAfterTransform(t *testing.T) {
	x := tensor.Full(100, 1, 4, 4, 1)
	g := &ImageDataGenerator{WidthShiftChoices: []float64{3}, FillMode: FillConstant, Cval: 10, Rescale: 0.1}
	it, err := g.Flow(x, nil, FlowOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	xs, _, err := it.Batch(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var vals []string
	for _, v := range xs[0].Data {
		if math.Abs(float64(v)-10) > 1e-5 && math.Abs(float64(v)-1) > 1e-6 {
			t.Fatalf("value %v: want 10 (image) or 1 (Cval), both rescaled", v)
		}
		vals = append(vals, fmt.Sprint(v))
	}
	if !slices.Contains(vals, "1") {
		t.Errorf("no filled point: %v", vals)
	}
}

// TestFlowAllocations: once warm, a pass of augmented batches allocates
// nothing (the batches, the workers' scratch and the transform's output
// are reused).
func TestFlowAllocations(t *testing.T) {
	x, y := testImages(50, 16, 16)
	it, err := augment.Flow(x, y, FlowOptions{BatchSize: 8, Seed: 3, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	pass := 0
	run := func() {
		for i := range it.Len() {
			if _, _, err := it.Batch(pass, i); err != nil {
				t.Fatal(err)
			}
		}
		pass++
	}
	run()
	if a := alloctest.PerRun(5, run); a > 0 {
		t.Errorf("%v allocations per pass of %d batches", a, it.Len())
	}
}

// TestStreamWorkersStop: Close stops the workers, and so does dropping an
// iterator without closing it.
func TestStreamWorkersStop(t *testing.T) {
	x, y := testImages(10, 4, 4)
	before := runtime.NumGoroutine()
	for range 3 {
		it, err := augment.Flow(x, y, FlowOptions{BatchSize: 3, Workers: 4})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := it.Batch(0, 0); err != nil {
			t.Fatal(err)
		}
	}
	it, _ := augment.Flow(x, y, FlowOptions{BatchSize: 3, Workers: 4})
	it.Batch(0, 1)
	it.Close()
	it.Close() // a second Close is harmless
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines, %d before: workers left running", n, before)
	}
}

// A batch size above the number of samples gives one batch of them all.
func TestFlowBigBatch(t *testing.T) {
	x, y := testImages(5, 3, 2)
	it, err := augment.Flow(x, y, FlowOptions{BatchSize: 1000, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	xs, ys, err := it.Batch(3, 0)
	if err != nil || it.Len() != 1 || xs[0].Shape[0] != 5 || ys[0].Shape[0] != 5 {
		t.Fatalf("Len %d, %v %v %v", it.Len(), xs, ys, err)
	}
}

// Keras's validation_split and subset: validation is the first
// int(n·split) rows, training the rest.
func TestFlowSubset(t *testing.T) {
	x, _ := testImages(10, 2, 2)
	y := tensor.FromSlice([]float32{0, 1, 2, 0, 1, 2, 0, 1, 2, 0}, 10, 1)
	g := &ImageDataGenerator{ValidationSplit: 0.3}
	for subset, want := range map[Subset][]float32{SubsetValidation: {0, 1, 2}, SubsetTraining: {0, 1, 2, 0, 1, 2, 0}} {
		it, err := g.Flow(x, y, FlowOptions{Subset: subset, NoShuffle: true})
		if err != nil {
			t.Fatal(err)
		}
		xs, ys, err := it.Batch(0, 0)
		it.Close()
		if err != nil || !slices.Equal(ys[0].Data, want) {
			t.Errorf("%s: %v %v", subset, ys, err)
		}
		if first := xs[0].Row(0)[0]; (subset == SubsetValidation) != (first == 0) {
			t.Errorf("%s starts with image %v", subset, first)
		}
	}
	sorted := tensor.FromSlice([]float32{0, 0, 0, 1, 1, 1, 1, 1, 1, 1}, 10, 1)
	if _, err := g.Flow(x, sorted, FlowOptions{Subset: SubsetTraining}); err == nil {
		t.Error("classes differ between the subsets: no error")
	}
	if _, err := (&ImageDataGenerator{}).Flow(x, y, FlowOptions{Subset: SubsetTraining}); err == nil {
		t.Error("subset without ValidationSplit: no error")
	}
	if _, err := g.Flow(x, y, FlowOptions{Subset: "test"}); err == nil {
		t.Error("unknown subset: no error")
	}
	if _, err := (&ImageDataGenerator{ValidationSplit: 1}).Flow(x, y, FlowOptions{}); err == nil {
		t.Error("ValidationSplit 1: no error")
	}
}
