package initializers

import (
	"math"
	"testing"

	"github.com/neurona/neurona/tensor"
)

// The standard deviation of a unit normal truncated to [−2, 2], computed
// independently: sqrt(1 − 2·φ(2)/(Φ(2)−Φ(−2))).
func truncFactor() float64 {
	phi := math.Exp(-2) / math.Sqrt(2*math.Pi) // φ(2)
	z := math.Erf(2 / math.Sqrt2)              // Φ(2) − Φ(−2)
	return math.Sqrt(1 - 2*2*phi/z)
}

func stats(d []float32) (mean, std, lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	var s, s2 float64
	for _, v := range d {
		x := float64(v)
		s += x
		s2 += x * x
		lo = math.Min(lo, x)
		hi = math.Max(hi, x)
	}
	n := float64(len(d))
	mean = s / n
	std = math.Sqrt(s2/n - mean*mean)
	return
}

func TestTruncatedFactorConstant(t *testing.T) {
	if got, want := truncatedStddevFactor, truncFactor(); math.Abs(got-want) > 1e-12 {
		t.Errorf("truncatedStddevFactor = %v, independent value %v", got, want)
	}
}

func TestFans(t *testing.T) {
	cases := []struct {
		shape   []int
		in, out int
	}{
		{[]int{13, 64}, 13, 64},         // Dense kernel (in, out)
		{[]int{3, 3, 16, 32}, 144, 288}, // Conv2D kernel (kh, kw, cin, cout)
		{[]int{5, 1, 32}, 5, 160},       // Conv1D kernel (k, cin, cout)
		{[]int{7}, 7, 7},
		{[]int{}, 1, 1},
	}
	for _, c := range cases {
		in, out := Fans(c.shape)
		if in != c.in || out != c.out {
			t.Errorf("Fans(%v) = %d, %d; want %d, %d", c.shape, in, out, c.in, c.out)
		}
	}
}

func TestGlorotUniform(t *testing.T) {
	for _, shape := range [][]int{{200, 300}, {3, 3, 64, 128}} {
		x := tensor.New(shape...)
		GlorotUniform{}.Init(x, tensor.NewRNG(1))
		fi, fo := Fans(shape)
		limit := math.Sqrt(6 / float64(fi+fo))
		mean, std, lo, hi := stats(x.Data)
		if lo < -limit || hi >= limit {
			t.Errorf("%v: range [%v, %v] outside ±%v", shape, lo, hi, limit)
		}
		// The extremes get close to the limit.
		if lo > -0.99*limit || hi < 0.99*limit {
			t.Errorf("%v: range [%v, %v] does not fill ±%v", shape, lo, hi, limit)
		}
		if math.Abs(mean) > 0.02*limit {
			t.Errorf("%v: mean %v", shape, mean)
		}
		if want := limit * limit / 3; math.Abs(std*std-want) > 0.03*want {
			t.Errorf("%v: variance %v, want limit²/3 = %v", shape, std*std, want)
		}
	}
}

func TestHeUniform(t *testing.T) {
	shape := []int{3, 3, 32, 64}
	x := tensor.New(shape...)
	HeUniform{}.Init(x, tensor.NewRNG(2))
	limit := math.Sqrt(6 / float64(3*3*32))
	_, std, lo, hi := stats(x.Data)
	if lo < -limit || hi >= limit || lo > -0.99*limit || hi < 0.99*limit {
		t.Errorf("range [%v, %v], want to fill ±%v", lo, hi, limit)
	}
	if want := limit * limit / 3; math.Abs(std*std-want) > 0.03*want {
		t.Errorf("variance %v, want %v", std*std, want)
	}
}

func checkTruncated(t *testing.T, name string, d []float32, target float64) {
	t.Helper()
	bound := 2 * target / truncFactor()
	mean, std, lo, hi := stats(d)
	if lo < -bound*(1+1e-6) || hi > bound*(1+1e-6) {
		t.Errorf("%s: range [%v, %v] outside ±2σ = ±%v", name, lo, hi, bound)
	}
	// Truncation means the extremes come close to, but not beyond, ±2σ.
	if lo > -0.95*bound || hi < 0.95*bound {
		t.Errorf("%s: range [%v, %v] does not reach ±2σ = ±%v", name, lo, hi, bound)
	}
	if math.Abs(mean) > 0.02*target {
		t.Errorf("%s: mean %v", name, mean)
	}
	if math.Abs(std-target) > 0.02*target {
		t.Errorf("%s: std %v, want Keras's %v", name, std, target)
	}
}

func TestGlorotNormal(t *testing.T) {
	shape := []int{200, 300}
	x := tensor.New(shape...)
	GlorotNormal{}.Init(x, tensor.NewRNG(3))
	checkTruncated(t, "GlorotNormal (200,300)", x.Data, math.Sqrt(2.0/500))

	shape = []int{3, 3, 32, 64}
	x = tensor.New(shape...)
	GlorotNormal{}.Init(x, tensor.NewRNG(4))
	checkTruncated(t, "GlorotNormal (3,3,32,64)", x.Data, math.Sqrt(2.0/(288+576)))
}

func TestHeNormal(t *testing.T) {
	x := tensor.New(150, 400)
	HeNormal{}.Init(x, tensor.NewRNG(5))
	checkTruncated(t, "HeNormal (150,400)", x.Data, math.Sqrt(2.0/150))

	x = tensor.New(3, 3, 32, 64)
	HeNormal{}.Init(x, tensor.NewRNG(6))
	checkTruncated(t, "HeNormal (3,3,32,64)", x.Data, math.Sqrt(2.0/288))
}

func TestRandomNormal(t *testing.T) {
	x := tensor.New(40000)
	RandomNormal{}.Init(x, tensor.NewRNG(7))
	mean, std, _, _ := stats(x.Data)
	if math.Abs(mean) > 0.002 || math.Abs(std-0.05) > 0.001 {
		t.Errorf("RandomNormal{} mean %v std %v, want 0 and 0.05", mean, std)
	}
	RandomNormal{Mean: 2, Stddev: 0.5}.Init(x, tensor.NewRNG(8))
	mean, std, _, _ = stats(x.Data)
	if math.Abs(mean-2) > 0.02 || math.Abs(std-0.5) > 0.01 {
		t.Errorf("RandomNormal{2, 0.5} mean %v std %v", mean, std)
	}
	RandomNormal{Mean: -1}.Init(x, tensor.NewRNG(9))
	mean, std, _, _ = stats(x.Data)
	if math.Abs(mean+1) > 0.002 || math.Abs(std-0.05) > 0.001 {
		t.Errorf("RandomNormal{Mean: -1} mean %v std %v, want -1 and 0.05", mean, std)
	}
}

func TestRandomUniform(t *testing.T) {
	x := tensor.New(40000)
	RandomUniform{}.Init(x, tensor.NewRNG(10))
	mean, _, lo, hi := stats(x.Data)
	if lo < -0.05 || hi >= 0.05 || lo > -0.049 || hi < 0.049 || math.Abs(mean) > 0.002 {
		t.Errorf("RandomUniform{}: range [%v, %v] mean %v, want ±0.05", lo, hi, mean)
	}
	RandomUniform{Minval: 1, Maxval: 3}.Init(x, tensor.NewRNG(11))
	mean, _, lo, hi = stats(x.Data)
	if lo < 1 || hi >= 3 || lo > 1.01 || hi < 2.99 || math.Abs(mean-2) > 0.02 {
		t.Errorf("RandomUniform{1, 3}: range [%v, %v] mean %v", lo, hi, mean)
	}
	// One bound zero is an explicit value, not the default.
	RandomUniform{Minval: 0, Maxval: 2}.Init(x, tensor.NewRNG(12))
	mean, _, lo, hi = stats(x.Data)
	if lo < 0 || hi >= 2 || hi < 1.99 || math.Abs(mean-1) > 0.02 {
		t.Errorf("RandomUniform{0, 2}: range [%v, %v] mean %v", lo, hi, mean)
	}
}

func TestConstantInitializers(t *testing.T) {
	x := tensor.Full(7, 3, 4)
	Zeros{}.Init(x, nil)
	for _, v := range x.Data {
		if v != 0 {
			t.Fatalf("Zeros left %v", v)
		}
	}
	Ones{}.Init(x, nil)
	for _, v := range x.Data {
		if v != 1 {
			t.Fatalf("Ones gave %v", v)
		}
	}
	Constant{Value: -0.25}.Init(x, nil)
	for _, v := range x.Data {
		if v != -0.25 {
			t.Fatalf("Constant{-0.25} gave %v", v)
		}
	}
}

func TestInitializersDeterministic(t *testing.T) {
	inits := map[string]Initializer{
		"GlorotUniform": GlorotUniform{}, "GlorotNormal": GlorotNormal{},
		"HeUniform": HeUniform{}, "HeNormal": HeNormal{},
		"RandomNormal": RandomNormal{}, "RandomUniform": RandomUniform{},
	}
	for name, in := range inits {
		a, b, c := tensor.New(8, 5), tensor.New(8, 5), tensor.New(8, 5)
		in.Init(a, tensor.NewRNG(21))
		in.Init(b, tensor.NewRNG(21))
		in.Init(c, tensor.NewRNG(22))
		diff, zeros := 0, 0
		for i := range a.Data {
			if a.Data[i] != b.Data[i] {
				t.Fatalf("%s: same seed gave different values", name)
			}
			if a.Data[i] != c.Data[i] {
				diff++
			}
			if a.Data[i] == 0 {
				zeros++
			}
		}
		if diff < 35 {
			t.Errorf("%s: seeds 21 and 22 agree on %d of 40 values", name, 40-diff)
		}
		if zeros > 1 {
			t.Errorf("%s: %d of 40 values are zero (tensor not filled?)", name, zeros)
		}
	}
}

func TestOrthogonal(t *testing.T) {
	for _, shape := range [][]int{{6, 4}, {4, 6}, {5, 5}, {2, 3, 4}} {
		w := tensor.New(shape...)
		Orthogonal{Gain: 2}.Init(w, tensor.NewRNG(1))
		cols := shape[len(shape)-1]
		rows := w.Size() / cols
		// The fewer of rows and columns are orthogonal with norm 2.
		tall := rows >= cols
		n, l := rows, cols
		at := func(i, k int) float64 { return float64(w.Data[i*cols+k]) }
		if tall {
			n, l = cols, rows
			at = func(i, k int) float64 { return float64(w.Data[k*cols+i]) }
		}
		for i := range n {
			for j := range n {
				var d float64
				for k := range l {
					d += at(i, k) * at(j, k)
				}
				want := 0.0
				if i == j {
					want = 4
				}
				if math.Abs(d-want) > 1e-5 {
					t.Fatalf("%v: <%d,%d> = %v, want %v", shape, i, j, d, want)
				}
			}
		}
		w2 := tensor.New(shape...)
		Orthogonal{Gain: 2}.Init(w2, tensor.NewRNG(1))
		for i := range w.Data {
			if w.Data[i] != w2.Data[i] {
				t.Fatalf("%v: not reproducible from the seed", shape)
			}
		}
	}
}
