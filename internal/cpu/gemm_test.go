package cpu

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/neurona/neurona/internal/alloctest"
)

// gemmCase is one Gemm problem with its operands laid out as Gemm sees them.
type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
	nanC           bool // C starts as NaN (beta must be 0)
}

func (g *gemmCase) String() string {
	t := func(b bool) string {
		if b {
			return "T"
		}
		return "N"
	}
	return fmt.Sprintf("%s%s m=%d n=%d k=%d lda=%d ldb=%d ldc=%d alpha=%g beta=%g nanC=%v",
		t(g.transA), t(g.transB), g.m, g.n, g.k, g.lda, g.ldb, g.ldc, g.alpha, g.beta, g.nanC)
}

// newGemmCase makes random operands with pad extra floats at the end of each
// row (ld = width + pad). The slices are exactly as long as Gemm needs, so
// an out-of-range Go access panics.
func newGemmCase(rng *rand.Rand, transA, transB bool, m, n, k, pad int, alpha, beta float32, nanC bool) *gemmCase {
	g := &gemmCase{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta, nanC: nanC}
	mat := func(rows, cols int) ([]float32, int) {
		ld := cols + pad
		if rows == 0 || cols == 0 {
			return nil, max(ld, 1)
		}
		s := make([]float32, (rows-1)*ld+cols)
		for i := range s {
			s[i] = float32(rng.NormFloat64())
		}
		return s, ld
	}
	if transA {
		g.a, g.lda = mat(k, m)
	} else {
		g.a, g.lda = mat(m, k)
	}
	if transB {
		g.b, g.ldb = mat(n, k)
	} else {
		g.b, g.ldb = mat(k, n)
	}
	g.c, g.ldc = mat(m, n)
	if nanC {
		for i := range g.c {
			g.c[i] = float32(math.NaN())
		}
	}
	return g
}

func (g *gemmCase) at(a []float32, lda int, trans bool, i, p int) float64 {
	if trans {
		return float64(a[p*lda+i])
	}
	return float64(a[i*lda+p])
}

// reference returns C computed in float64 and, for each element, a bound on
// float32 rounding error: (k+4)·ε·(|alpha|·Σ|a·b| + |beta·c|).
func (g *gemmCase) reference() (want, tol []float64) {
	want = make([]float64, len(g.c))
	tol = make([]float64, len(g.c))
	const eps = 1.0 / (1 << 23)
	for i := 0; i < g.m; i++ {
		for j := 0; j < g.n; j++ {
			var s, sa float64
			for p := 0; p < g.k; p++ {
				x := g.at(g.a, g.lda, g.transA, i, p) * g.at(g.b, g.ldb, !g.transB, j, p)
				s += x
				sa += math.Abs(x)
			}
			v := float64(g.alpha) * s
			bound := math.Abs(float64(g.alpha)) * sa
			if g.beta != 0 {
				cv := float64(g.c[i*g.ldc+j])
				v += float64(g.beta) * cv
				bound += math.Abs(float64(g.beta) * cv)
			}
			want[i*g.ldc+j] = v
			tol[i*g.ldc+j] = float64(g.k+4)*eps*bound + 1e-30
		}
	}
	// Padding between rows of C must be left alone.
	for i := range g.c {
		if g.ldc > 0 && i%g.ldc >= g.n {
			want[i] = float64(g.c[i])
		}
	}
	return want, tol
}

func (g *gemmCase) run() []float32 {
	c := append([]float32(nil), g.c...)
	Gemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, c, g.ldc)
	return c
}

func checkGemmResult(t *testing.T, name string, g *gemmCase, got []float32, want, tol []float64) {
	t.Helper()
	bad := 0
	for i, w := range want {
		v := float64(got[i])
		if g.ldc > 0 && i%g.ldc >= g.n {
			if math.Float32bits(got[i]) != math.Float32bits(g.c[i]) {
				t.Errorf("%s %v: padding c[%d] changed to %v", name, g, i, got[i])
				return
			}
			continue
		}
		if math.IsNaN(v) || math.Abs(v-w) > tol[i] {
			if bad < 3 {
				t.Errorf("%s %v: c[%d,%d] = %v, want %v (tol %.3g)", name, g, i/g.ldc, i%g.ldc, v, w, tol[i])
			}
			bad++
		}
	}
	if bad > 3 {
		t.Errorf("%s %v: %d wrong elements", name, g, bad)
	}
}

// gemmAlphaBeta lists the (alpha, beta, NaN-filled C) cases the tests
// rotate through.
var gemmAlphaBeta = []struct {
	alpha, beta float32
	nanC        bool
}{
	{1, 0, true},
	{1, 1, false},
	{-1.5, 0.5, false},
	{0.25, 0, true},
	{2, -1, false},
	{1, 0, false},
}

// TestGemmEdgeSizes compares every implementation (each kernel set, each
// way to run it) with a float64 reference at edge sizes around the register
// block and cache block sizes, for all transpositions, with padded rows and
// rotating alpha/beta (beta = 0 with C full of NaN included).
func TestGemmEdgeSizes(t *testing.T) {
	sizes := []int{1, 2, 7, 15, 16, 17, 31, 33, 100, 513}
	rng := rand.New(rand.NewPCG(1, 2))
	idx := 0
	for _, m := range sizes {
		for _, n := range sizes {
			for _, k := range sizes {
				big := 0
				for _, s := range []int{m, n, k} {
					if s == 513 {
						big++
					}
				}
				if big > 1 || (testing.Short() && big > 0) {
					continue
				}
				for tr := 0; tr < 4; tr++ {
					idx++
					ab := gemmAlphaBeta[idx%len(gemmAlphaBeta)]
					pad := []int{0, 3, 1}[idx%3]
					g := newGemmCase(rng, tr&1 != 0, tr&2 != 0, m, n, k, pad, ab.alpha, ab.beta, ab.nanC)
					want, tol := g.reference()
					for _, v := range gemmVariants() {
						restore := useGemmVariant(v)
						for _, p := range gemmPolicies(v) {
							r := useGemmPolicy(p)
							checkGemmResult(t, v+"/"+p, g, g.run(), want, tol)
							r()
						}
						restore()
					}
					if t.Failed() {
						t.FailNow()
					}
				}
			}
		}
	}
}

// TestGemmShapes checks larger and training-like shapes with the default
// choices of each implementation.
func TestGemmShapes(t *testing.T) {
	shapes := []struct{ m, n, k int }{
		{128, 64, 784}, {128, 64, 64}, {8, 32, 13}, {8, 16, 32}, {784, 64, 128}, {128, 784, 64},
		{8, 13, 32}, {13, 32, 8}, {257, 300, 520}, {64, 2100, 40}, {3, 700, 300},
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i, s := range shapes {
		for tr := 0; tr < 4; tr++ {
			ab := gemmAlphaBeta[(i+tr)%len(gemmAlphaBeta)]
			g := newGemmCase(rng, tr&1 != 0, tr&2 != 0, s.m, s.n, s.k, tr, ab.alpha, ab.beta, ab.nanC)
			want, tol := g.reference()
			for _, v := range gemmVariants() {
				restore := useGemmVariant(v)
				checkGemmResult(t, v, g, g.run(), want, tol)
				restore()
			}
		}
	}
}

// TestGemmDegenerate checks k = 0 and alpha = 0, where C = beta·C.
func TestGemmDegenerate(t *testing.T) {
	for _, v := range gemmVariants() {
		restore := useGemmVariant(v)
		for _, tc := range []struct {
			k            int
			alpha, beta  float32
			wantScaleOf1 float32
		}{{0, 1, 0, 0}, {0, 1, 2, 2}, {5, 0, 3, 3}, {5, 0, 0, 0}} {
			a := make([]float32, 4*max(tc.k, 1))
			b := make([]float32, max(tc.k, 1)*4)
			for i := range a {
				a[i] = 1
			}
			for i := range b {
				b[i] = 1
			}
			c := []float32{1, 1, 1, 1, 1, 1, 1, 1}
			if tc.beta == 0 {
				c[0] = float32(math.NaN())
				c[3] = 1
			}
			Gemm(false, false, 2, 4, tc.k, tc.alpha, a, max(tc.k, 1), b, 4, tc.beta, c, 4)
			for i, x := range c {
				if x != tc.wantScaleOf1 {
					t.Errorf("%s: k=%d alpha=%g beta=%g: c[%d] = %v, want %v", v, tc.k, tc.alpha, tc.beta, i, x, tc.wantScaleOf1)
				}
			}
		}
		restore()
	}
}

// gemmHashShapes are the problems whose results must not depend on the
// number of workers.
var gemmHashShapes = []struct {
	transA, transB bool
	m, n, k        int
}{
	{false, false, 300, 200, 600}, {false, true, 128, 784, 64}, {true, false, 784, 64, 128},
	{false, false, 128, 64, 784}, {true, true, 97, 131, 300}, {false, false, 5, 2100, 300},
	{false, false, 1100, 40, 30}, {false, true, 256, 1100, 80}, {true, false, 1000, 100, 200},
	{true, true, 200, 300, 300}, {false, false, 12, 3000, 500},
}

// gemmResultHash runs gemmHashShapes on every variant and hashes the bits of
// the results.
func gemmResultHash() string {
	var out []string
	for _, v := range gemmVariants() {
		restore := useGemmVariant(v)
		h := fnv.New64a()
		rng := rand.New(rand.NewPCG(5, 6))
		for _, s := range gemmHashShapes {
			g := newGemmCase(rng, s.transA, s.transB, s.m, s.n, s.k, 1, 0.5, 1, false)
			for _, x := range g.run() {
				b := math.Float32bits(x)
				h.Write([]byte{byte(b), byte(b >> 8), byte(b >> 16), byte(b >> 24)})
			}
		}
		out = append(out, fmt.Sprintf("%s=%x", v, h.Sum64()))
		restore()
	}
	return strings.Join(out, " ")
}

// TestGemmHashHelper prints gemmResultHash for TestGemmDeterministic, which
// runs it in a child process with a given GOMAXPROCS.
func TestGemmHashHelper(t *testing.T) {
	if os.Getenv("NEURONA_GEMM_HASH") != "1" {
		t.Skip("helper for TestGemmDeterministic")
	}
	fmt.Printf("HASH %s workers=%d\n", gemmResultHash(), Workers())
}

// TestGemmDeterministic checks that results are bit-identical with 1, 2 and
// 3 workers.
func TestGemmDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	var first string
	for _, procs := range []int{1, 2, 3} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestGemmHashHelper$", "-test.v")
		cmd.Env = append(os.Environ(), "NEURONA_GEMM_HASH=1", fmt.Sprintf("GOMAXPROCS=%d", procs))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("GOMAXPROCS=%d: %v\n%s", procs, err, out)
		}
		var line string
		for _, l := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(l, "HASH ") {
				line = l
			}
		}
		if !strings.Contains(line, fmt.Sprintf("workers=%d", procs)) {
			t.Fatalf("GOMAXPROCS=%d: no hash line or wrong worker count in output:\n%s", procs, out)
		}
		hash := strings.TrimSpace(line[len("HASH "):strings.Index(line, " workers=")])
		t.Logf("GOMAXPROCS=%d: %s", procs, hash)
		if first == "" {
			first = hash
		} else if hash != first {
			t.Errorf("GOMAXPROCS=%d gives %s, GOMAXPROCS=1 gives %s", procs, hash, first)
		}
	}
}

// TestGemmNoAlloc checks that Gemm allocates nothing in steady state, serial
// or parallel.
func TestGemmNoAlloc(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, s := range []struct {
		transA, transB bool
		m, n, k        int
	}{{false, false, 8, 32, 13}, {false, false, 128, 64, 784}, {false, true, 128, 784, 64}, {true, false, 784, 64, 128},
		{false, false, 4, 1000, 300}, {false, false, 300, 200, 600}, {false, true, 256, 1100, 80}, {false, false, 12, 3000, 500}} {
		g := newGemmCase(rng, s.transA, s.transB, s.m, s.n, s.k, 0, 1, 0, false)
		c := append([]float32(nil), g.c...)
		f := func() {
			Gemm(g.transA, g.transB, g.m, g.n, g.k, 1, g.a, g.lda, g.b, g.ldb, 0, c, g.ldc)
		}
		f()
		if n := alloctest.PerRun(20, f); n > 0 {
			t.Errorf("%v: %v allocations per call", g, n)
		}
	}
}

func gemmFlops(m, n, k int) float64 { return 2 * float64(m) * float64(n) * float64(k) }

func benchGemm(b *testing.B, transA, transB bool, m, n, k int) {
	rng := rand.New(rand.NewPCG(9, 10))
	g := newGemmCase(rng, transA, transB, m, n, k, 0, 1, 0, false)
	c := g.c
	Gemm(transA, transB, m, n, k, 1, g.a, g.lda, g.b, g.ldb, 0, c, g.ldc)
	b.ResetTimer()
	for b.Loop() {
		Gemm(transA, transB, m, n, k, 1, g.a, g.lda, g.b, g.ldb, 0, c, g.ldc)
	}
	b.ReportMetric(gemmFlops(m, n, k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkGemm measures square sizes and the shapes of MNIST-style training
// (forward x·W, backward dW = xᵀ·dy and dx = dy·Wᵀ), on the implementation in
// each implementation this machine can run: "generic" (the portable Go
// code, what the noasm build tag selects), "avx2" and "avx512".
func BenchmarkGemm(b *testing.B) {
	type shape struct {
		name           string
		transA, transB bool
		m, n, k        int
	}
	var shapes []shape
	for _, s := range []int{64, 128, 256, 512, 1024, 2048} {
		shapes = append(shapes, shape{fmt.Sprintf("NN%d", s), false, false, s, s, s})
	}
	shapes = append(shapes,
		shape{"fwd_128x784x64", false, false, 128, 64, 784},
		shape{"dW_TN_784x128x64", true, false, 784, 64, 128},
		shape{"dx_NT_128x64x784", false, true, 128, 784, 64},
		shape{"fwd_128x64x64", false, false, 128, 64, 64},
		shape{"dW_TN_64x128x64", true, false, 64, 64, 128},
		shape{"dx_NT_128x64x64", false, true, 128, 64, 64},
		shape{"fwd_128x64x10", false, false, 128, 10, 64},
		shape{"dW_TN_64x128x10", true, false, 64, 10, 128},
		shape{"dx_NT_128x10x64", false, true, 128, 64, 10},
		shape{"fwd_8x13x32", false, false, 8, 32, 13},
		shape{"dW_TN_13x8x32", true, false, 13, 32, 8},
		shape{"dx_NT_8x32x13", false, true, 8, 13, 32},
		shape{"fwd_8x32x16", false, false, 8, 16, 32},
		shape{"dW_TN_32x8x16", true, false, 32, 16, 8},
		shape{"dx_NT_8x16x32", false, true, 8, 32, 16},
	)
	for _, s := range shapes {
		for _, v := range gemmVariants() {
			if strings.HasSuffix(v, "-tiny") || (v == "generic" && s.m*s.n*s.k > 1<<28) {
				continue
			}
			b.Run(s.name+"/"+v, func(b *testing.B) {
				defer useGemmVariant(v)()
				benchGemm(b, s.transA, s.transB, s.m, s.n, s.k)
			})
		}
	}
}

func TestGemmKernelName(t *testing.T) {
	t.Logf("Gemm kernel: %s, GOMAXPROCS=%d", GemmKernel(), runtime.GOMAXPROCS(0))
}
