package autograd

import (
	"github.com/neurona/neurona/internal/cpu"
	"github.com/neurona/neurona/tensor"
)

// Winograd's minimal filtering F(2×2, 3×3) for 3×3 convolutions of stride
// 1 (Lavin and Gray, 2015). The output is cut into 2×2 tiles; each reads a
// 4×4 tile of the input. With the transforms
//
//	V = Bᵀ d B (input tile d), U = G g Gᵀ (kernel g), Y = Aᵀ (U ⊙ V) A,
//
// the 16 elementwise products, summed over the input channels, are 16
// GEMMs: for each element e of the 4×4 transformed tile, M_e (tiles × F) =
// V_e (tiles × C) · U_e (C × F). They take 16·C·F multiply-adds per tile
// where the direct convolution takes 36·C·F: 2.25 times fewer.
//
// The tiles are processed in chunks (winoGeom.chunk), whose transformed
// inputs and products fit in cache; a chunk is transformed, multiplied and
// transformed back by one worker with its own buffers, and chunks split over
// the workers. Each output depends only on its tile, and the chunks depend
// only on the shapes, so the results are bit-identical whatever GOMAXPROCS
// is.
//
// The same code computes the input gradient of such a convolution, which
// is a 3×3 stride-1 convolution of the output gradient with the flipped,
// transposed kernel, padded by 2 minus the forward padding: the output
// transform then adds into the gradient instead of writing.
//
// When it is used, see convGeom.winograd; 5×5 kernels run as four 3×3
// blocks (winograd5.go), and strided kernels of 2s < k ≤ 3s as a 3×3
// convolution of the images rearranged space-to-depth (winograd_s2d.go),
// under the same thresholds.

// winoGeom is one Winograd convolution: images (n, h, w, c) to (n, oh, ow,
// f), output (oy, ox) reading input rows oy−padT … oy−padT+2 (zeros
// outside), and likewise for columns.
type winoGeom struct {
	n, h, w, c int
	oh, ow, f  int
	padT, padL int
	m          int // output tile: 2 (F(2×2, 3×3)) or 4 (F(4×4, 3×3))
	th, tw     int // tiles per sample, down and across
}

func newWinoGeom(n, h, w, c, oh, ow, f, padT, padL, m int) winoGeom {
	return winoGeom{n: n, h: h, w: w, c: c, oh: oh, ow: ow, f: f, padT: padT, padL: padL, m: m,
		th: (oh + m - 1) / m, tw: (ow + m - 1) / m}
}

// in is the side of an input tile, m + 2.
func (g *winoGeom) in() int { return g.m + 2 }

// elems is the number of elements of a transformed tile, (m + 2)²: as
// many GEMMs per chunk.
func (g *winoGeom) elems() int { return winoElems(g.m) }

// winoElems returns the elements of a transformed tile of output tile m.
func winoElems(m int) int { return (m + 2) * (m + 2) }

// winoTile4 enables F(4×4, 3×3) (tests and benchmarks turn it off).
var winoTile4 = true

// winoTile returns the output tile of the Winograd convolutions of a 3×3
// convolution whose output is oh × ow: 4 (F(4×4, 3×3), 36 products per
// 4×4 tile, 2.25 per output) when its products, padding to whole tiles
// included, are under 80% of those of F(2×2, 3×3) (16 per 2×2 tile, 4 per
// output), else 2. The choice depends on the shape alone, so the forward
// and backward passes of a convolution agree.
func winoTile(oh, ow int) int {
	if !winoTile4 {
		return 2
	}
	p2 := ((oh + 1) / 2) * ((ow + 1) / 2) * 16
	p4 := ((oh + 3) / 4) * ((ow + 3) / 4) * 36
	if 5*p4 < 4*p2 {
		return 4
	}
	return 2
}

func (g *winoGeom) tiles() int { return g.n * g.th * g.tw }

// winoChunkFloats bounds the transformed inputs and the products of one
// chunk of tiles, 16·tiles·(c+f) floats; it is a variable so that tests can
// force many chunks.
var winoChunkFloats = 1 << 20

// chunk returns the number of tiles of a chunk: a multiple of 8 (the GEMM's
// row block), from the shapes alone.
func (g *winoGeom) chunk() int {
	t := winoChunkFloats / (g.elems() * (g.c + g.f))
	t = max(8, t&^7)
	return min(t, g.tiles())
}

// forwardWino returns the Winograd geometry of the convolution g for n
// samples.
func (g *convGeom) forwardWino(n int) winoGeom {
	return newWinoGeom(n, g.h, g.w, g.c, g.oh, g.ow, g.f, g.padT, g.padL, g.winoM())
}

// winoM returns the output tile of the Winograd convolutions of g's
// forward pass and weight gradient, which share the transformed input
// tiles.
func (g *convGeom) winoM() int { return winoTile(g.oh, g.ow) }

// winoMdx returns the output tile of the Winograd convolution of g's input
// gradient, whose output is the input's h × w.
func (g *convGeom) winoMdx() int { return winoTile(g.h, g.w) }

// winoKernels returns the room for one set of transformed kernels of g:
// (m + 2)² matrices c × f for the larger of the two tiles.
func (g *convGeom) winoKernels() int {
	return winoElems(max(g.winoM(), g.winoMdx())) * g.c * g.f
}

// inputGradWino returns the Winograd geometry of the input gradient of the
// convolution g for n samples: from the output gradient (n, oh, ow, f) to
// the input's (n, h, w, c).
func (g *convGeom) inputGradWino(n int) winoGeom {
	return newWinoGeom(n, g.oh, g.ow, g.f, g.h, g.w, g.c, g.kh-1-g.padT, g.kw-1-g.padL, g.winoMdx())
}

// Thresholds of the Winograd path (package variables so that tests can
// force it on small shapes, or off). See convGeom.winograd.
var (
	winoMinC     = 16
	winoMinF     = 16
	winoMinTiles = 32
	// winoMinBackTiles: 64 tiles (VGG's 4×4×512 at batch 64) ran the
	// backward pass slower than im2col, 256 (6×6×512) faster.
	winoMinBackTiles = 128
	winoDisabled     = false
)

// winograd reports whether the convolution g runs as Winograd F(2×2,
// 3×3): a 3×3 kernel of stride 1 (either padding), at least winoMinC input
// channels and winoMinF filters, an output of at least 2×2 and at least
// winoMinTiles 2×2 output tiles in the batch. Below 16 channels the 16
// GEMMs reduce over too few channels: with LeNet's first layer (1 channel)
// and VGG's (3) Winograd ran slower than im2col + GEMM, while from LeNet's
// second layer (32 channels, 64 filters) up it ran 1.6–2.2 times faster
// (bench/conv/README.md).
func (g *convGeom) winograd() bool {
	return !winoDisabled && g.kh == 3 && g.kw == 3 && g.sh == 1 && g.sw == 1 &&
		g.c >= winoMinC && g.f >= winoMinF && g.oh >= 2 && g.ow >= 2 &&
		g.n*((g.oh+1)/2)*((g.ow+1)/2) >= winoMinTiles
}

// winogradBackward reports whether the backward pass of a Winograd
// convolution g runs as Winograd too: with at least winoMinBackTiles
// output tiles in the batch. The backward pass transforms three sets of
// c × f kernels (the flipped kernel's, the weight gradient's and back)
// where the forward pass transforms one, a cost that few tiles do not
// repay.
func (g *convGeom) winogradBackward() bool {
	return g.n*((g.oh+1)/2)*((g.ow+1)/2) >= winoMinBackTiles
}

// winoJob carries one Winograd convolution to the workers.
type winoJob struct {
	g         winoGeom
	per       int // tiles per chunk
	x, u, y   []float32
	bias      []float32
	relu, acc bool
	// filter transforms
	w    []float32
	flip bool
	// weight gradient: the chunk of tiles [t0, t1) in buf; skipGrad
	// keeps buf's transformed output gradient
	t0, t1   int
	skipGrad bool
	buf      *winoBuf
	fn       func(lo, hi int) // run
	ffn      func(lo, hi int) // filter
	tfn      func(lo, hi int) // gradTransforms
	afn      func(lo, hi int) // filterAdjoint
}

// winoBuf is a worker's scratch: the transformed inputs V (elems × per ×
// c), the products M (elems × per × f), a padded input tile and an output
// tile for the tiles that cross the border.
type winoBuf struct {
	v, m, pad, sink []float32
}

var (
	winoJobs freeList[winoJob]
	winoBufs freeList[winoBuf]
)

// reserveWinoBufs makes the free list hold at least n buffers, each with
// room for v, m, pad and sink floats, before a call hands up to n of them
// out (one per participant of a ParallelFor). Every call sizes all the
// free buffers so, not only the ones it will get: which buffer a worker
// gets, and how many run at once (the pool runs alone while another
// process holds the second core), then no longer decides whether a later
// step allocates. Buffers in use by another call are sized when they come
// back and are asked for more.
func reserveWinoBufs(n, v, m, pad, sink int) {
	l := &winoBufs
	l.Lock()
	defer l.Unlock()
	for len(l.free) < n {
		l.free = append(l.free, &winoBuf{})
	}
	for _, b := range l.free {
		b.v = reserve(b.v, v)
		b.m = reserve(b.m, m)
		b.pad = reserve(b.pad, pad)
		b.sink = reserve(b.sink, sink)
	}
}

// reserve returns s, or a new slice of length n when s has room for fewer.
func reserve(s []float32, n int) []float32 {
	if cap(s) >= n {
		return s
	}
	return make([]float32, n)
}

func getWinoJob() *winoJob {
	j := winoJobs.get()
	if j == nil {
		j = &winoJob{}
		j.fn = j.run
		j.ffn = j.filter
		j.tfn = j.gradTransforms
		j.afn = j.filterAdjoint
	}
	return j
}

func putWinoJob(j *winoJob) {
	j.x, j.u, j.y, j.bias, j.w, j.buf = nil, nil, nil, nil, nil, nil
	winoJobs.put(j)
}

// grow returns s if it holds n floats, else a new zeroed slice.
func grow(s []float32, n int) []float32 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]float32, n)
}

// winoPerm maps element (i, j) of a transformed kernel to the element
// (p(i), p(j)) that holds it for the flipped kernel, p = (3, 1, 2, 0): with
// J the reversal of 3 taps, G J = P G, where P swaps rows 0 and 3.
var winoPerm = [16]int{15, 13, 14, 12, 7, 5, 6, 4, 11, 9, 10, 8, 3, 1, 2, 0}

// winoTransformFilter writes into u the transformed kernels U_e (c × f) of
// a Keras kernel w (3, 3, c, f), for output tile m.
func winoTransformFilter(u, w []float32, c, f, m int) {
	j := getWinoJob()
	j.u, j.w, j.flip = u, w, false
	j.g.c, j.g.f, j.g.m = c, f, m
	if serialWindowOps {
		j.ffn(0, c*f)
	} else {
		cpu.ParallelFor(c*f, max(1, grainFloats/25), j.ffn)
	}
	putWinoJob(j)
}

// winoFlipped holds the flipped, transposed 3×3 kernels of F(4×4, 3×3)'s
// input gradient.
var winoFlipped freeList[[]float32]

// winoFlipFilter writes into ut the transformed kernels (f × c) of the
// flipped, transposed kernel g'(ky, kx, fo, ci) = w(2−ky, 2−kx, ci, fo),
// the kernel of the input gradient. For m = 2 they come from those of w in
// u: U'_e = U_{winoPerm[e]}ᵀ, when both tiles m (of u) and mdx (of ut)
// are 2. F(4×4, 3×3)'s G has no such symmetry, so otherwise the kernel w
// is flipped and transposed first, then transformed.
func winoFlipFilter(ut, u, w []float32, c, f, m, mdx int) {
	if m != 2 || mdx != 2 {
		cf := c * f
		p := winoFlipped.get()
		if p == nil {
			p = new([]float32)
		}
		*p = grow(*p, 9*cf)
		for t := range 9 {
			cpu.Transpose((*p)[t*cf:], c, w[(8-t)*cf:], f, c, f)
		}
		winoTransformFilter(ut, *p, f, c, mdx)
		winoFlipped.put(p)
		return
	}
	j := getWinoJob()
	j.u, j.w, j.flip = ut, u, true
	j.g.c, j.g.f = c, f
	if serialWindowOps {
		j.ffn(0, 16)
	} else {
		cpu.ParallelFor(16, 1, j.ffn)
	}
	putWinoJob(j)
}

func (j *winoJob) filter(lo, hi int) {
	c, f := j.g.c, j.g.f
	cf := c * f
	switch {
	case j.flip:
		for e := lo; e < hi; e++ {
			cpu.Transpose(j.u[e*cf:], c, j.w[winoPerm[e]*cf:], f, c, f)
		}
	case j.g.m == 4:
		cpu.WinoFilter4(j.w[lo:], cf, j.u[lo:], cf, hi-lo)
	default:
		cpu.WinoFilter(j.w[lo:], cf, j.u[lo:], cf, hi-lo)
	}
}

// winoConv computes the convolution g of x with the transformed kernels u
// into y: y = relu?(conv + bias), or, with acc, y += conv. bias may be nil.
func winoConv(g winoGeom, x, u, y, bias []float32, relu, acc bool) {
	j := getWinoJob()
	j.g, j.per = g, g.chunk()
	j.x, j.u, j.y, j.bias, j.relu, j.acc = x, u, y, bias, relu, acc
	chunks := (g.tiles() + j.per - 1) / j.per
	ne := g.elems()
	reserveWinoBufs(min(cpu.Workers(), chunks), ne*j.per*g.c, ne*j.per*g.f, ne*g.c, g.m*g.m*g.f)
	if serialWindowOps {
		j.fn(0, chunks)
	} else {
		cpu.ParallelFor(chunks, 1, j.fn)
	}
	putWinoJob(j)
}

// run computes the chunks [lo, hi) of tiles.
func (j *winoJob) run(lo, hi int) {
	g := &j.g
	b := winoBufs.get()
	if b == nil {
		b = &winoBuf{}
	}
	per, c, f, ne := j.per, g.c, g.f, g.elems()
	b.v = grow(b.v, ne*per*c)
	b.m = grow(b.m, ne*per*f)
	b.pad = grow(b.pad, ne*c)
	b.sink = grow(b.sink, g.m*g.m*f)
	for ch := lo; ch < hi; ch++ {
		t0 := ch * per
		t1 := min(t0+per, g.tiles())
		g.inputTiles(b.v, j.x, b.pad, t0, t0, t1, per)
		for e := range ne {
			cpu.Gemm(false, false, t1-t0, f, c, 1, b.v[e*per*c:], c, j.u[e*c*f:], f, 0, b.m[e*per*f:], f)
		}
		g.outputTiles(j.y, b.m, b.sink, j.bias, j.relu, j.acc, t0, t1, per)
	}
	winoBufs.put(b)
}

// inputTiles writes V_e for the tiles [t0, t1): row t−base of the per × c
// matrix at v[e·per·c:]. A tile that reaches over the border of the image
// is first copied into pad (elems·c floats) with zeros outside.
func (g *winoGeom) inputTiles(v, x, pad []float32, base, t0, t1, per int) {
	c, m, a := g.c, g.m, g.in()
	img, tps, rs := g.h*g.w*c, g.th*g.tw, g.w*c
	input := cpu.WinoInput
	if m == 4 {
		input = cpu.WinoInput4
	}
	for t := t0; t < t1; t++ {
		s, r := t/tps, t%tps
		iy0, ix0 := m*(r/g.tw)-g.padT, m*(r%g.tw)-g.padL
		src := x[s*img : (s+1)*img]
		dst := v[(t-base)*c:]
		if iy0 >= 0 && ix0 >= 0 && iy0+a <= g.h && ix0+a <= g.w {
			input(src[(iy0*g.w+ix0)*c:], rs, c, dst, per*c, c)
			continue
		}
		for i := range a {
			for k := range a {
				p := pad[(i*a+k)*c : (i*a+k+1)*c]
				if iy, ix := iy0+i, ix0+k; iy < 0 || iy >= g.h || ix < 0 || ix >= g.w {
					clear(p)
				} else {
					copy(p, src[(iy*g.w+ix)*c:])
				}
			}
		}
		input(pad, a*c, c, dst, per*c, c)
	}
}

// outputTiles transforms the products of the tiles [t0, t1) back into
// their m×m outputs in y (F(4×4, 3×3) overwrites the products). A tile
// that reaches beyond the image goes through sink (m·m·f floats).
func (g *winoGeom) outputTiles(y, prod, sink, bias []float32, relu, acc bool, t0, t1, per int) {
	f, m := g.f, g.m
	img, tps, rs := g.oh*g.ow*f, g.th*g.tw, g.ow*f
	output := cpu.WinoOutput
	if m == 4 {
		output = cpu.WinoOutput4
	}
	for t := t0; t < t1; t++ {
		s, r := t/tps, t%tps
		oy0, ox0 := m*(r/g.tw), m*(r%g.tw)
		dst := y[s*img : (s+1)*img]
		src := prod[(t-t0)*f:]
		if oy0+m <= g.oh && ox0+m <= g.ow {
			output(src, per*f, dst[(oy0*g.ow+ox0)*f:], rs, f, f, bias, relu, acc)
			continue
		}
		if acc {
			clear(sink)
			for i := range m {
				for k := range m {
					if oy, ox := oy0+i, ox0+k; oy < g.oh && ox < g.ow {
						copy(sink[(i*m+k)*f:(i*m+k+1)*f], dst[(oy*g.ow+ox)*f:])
					}
				}
			}
		}
		output(src, per*f, sink, m*f, f, f, bias, relu, acc)
		for i := range m {
			for k := range m {
				if oy, ox := oy0+i, ox0+k; oy < g.oh && ox < g.ow {
					copy(dst[(oy*g.ow+ox)*f:(oy*g.ow+ox+1)*f], sink[(i*m+k)*f:])
				}
			}
		}
	}
}

// winoParts is the number of parts the transforms of a chunk of the
// weight gradient split into, each with its own border buffers.
const winoParts = 8

// wchunk returns the number of tiles of a chunk of the weight gradient,
// whose GEMMs sum over the tiles: larger than the forward's.
func (g *winoGeom) wchunk() int {
	t := 4 * winoChunkFloats / (g.elems() * (g.c + g.f))
	t = max(8, min(t, 2048)&^7)
	return min(t, g.tiles())
}

// winoWeightGrad adds the Winograd products of the weight gradient of the
// convolution g, of images x and output gradient dz, to dU (elems matrices
// c × f), or sets them with first: dU_e += V_eᵀ Z_e, with V_e the transformed
// input tiles and Z_e = (A dY Aᵀ)_e those of the output gradient. The
// chunks of tiles are added in order, each GEMM split over the rows of
// dU_e, so the sums do not depend on the number of workers. The kernel
// gradient is then Gᵀ dU G (winoFilterGrad).
func winoWeightGrad(g winoGeom, x, dz, du []float32, first bool) {
	winoWeightGrads([]winoGeom{g}, x, dz, du, 0, first)
}

// winoWeightGrads is winoWeightGrad for convolutions gs of one output
// gradient dz that differ only in where their input tiles start (the 5×5
// kernel's 3×3 blocks): block k adds into du[k·ue:]. The output gradient's
// transformed tiles depend on the output tile alone, so each chunk's are
// computed once for all the blocks; every block still adds its chunks in
// order, so its sums are those of winoWeightGrad.
func winoWeightGrads(gs []winoGeom, x, dz, du []float32, ue int, first bool) {
	g := gs[0]
	j := getWinoJob()
	j.g, j.per = g, g.wchunk()
	j.x, j.y = x, dz
	per, c, f, ne := j.per, g.c, g.f, g.elems()
	reserveWinoBufs(1, ne*per*c, ne*per*f, winoParts*ne*c, winoParts*g.m*g.m*f)
	b := winoBufs.get()
	if b == nil {
		b = &winoBuf{}
	}
	b.v = grow(b.v, ne*per*c)
	b.m = grow(b.m, ne*per*f)
	b.pad = grow(b.pad, winoParts*ne*c)
	b.sink = grow(b.sink, winoParts*g.m*g.m*f)
	j.buf = b
	for t0 := 0; t0 < g.tiles(); t0 += per {
		j.t0, j.t1 = t0, min(t0+per, g.tiles())
		beta := float32(1)
		if first && t0 == 0 {
			beta = 0
		}
		for k := range gs {
			j.g, j.skipGrad = gs[k], k > 0
			if serialWindowOps {
				j.tfn(0, winoParts)
			} else {
				cpu.ParallelFor(winoParts, 1, j.tfn)
			}
			dk := du[k*ue:]
			for e := range ne {
				cpu.Gemm(true, false, c, f, j.t1-t0, 1, b.v[e*per*c:], c, b.m[e*per*f:], f, beta, dk[e*c*f:], f)
			}
		}
	}
	j.skipGrad = false
	winoBufs.put(b)
	putWinoJob(j)
}

// gradTransforms transforms parts [lo, hi) of the chunk's tiles: the
// input tiles into buf.v, the output gradient's into buf.m (unless
// skipGrad: buf.m already holds them).
func (j *winoJob) gradTransforms(lo, hi int) {
	g, b := &j.g, j.buf
	c, f, n := g.c, g.f, j.t1-j.t0
	pc, sf := g.elems()*c, g.m*g.m*f
	for p := lo; p < hi; p++ {
		t0, t1 := j.t0+p*n/winoParts, j.t0+(p+1)*n/winoParts
		g.inputTiles(b.v, j.x, b.pad[p*pc:(p+1)*pc], j.t0, t0, t1, j.per)
		if !j.skipGrad {
			g.gradTiles(b.m, j.y, b.sink[p*sf:(p+1)*sf], j.t0, t0, t1, j.per)
		}
	}
}

// gradTiles writes Z_e = (A dY Aᵀ)_e of the output gradient dy for the
// tiles [t0, t1): row t−base of the per × f matrix at z[e·per·f:]. A tile
// that reaches beyond the image is first copied into pad (m·m·f floats)
// with zeros outside.
func (g *winoGeom) gradTiles(z, dy, pad []float32, base, t0, t1, per int) {
	f, m := g.f, g.m
	img, tps, rs := g.oh*g.ow*f, g.th*g.tw, g.ow*f
	adjoint := cpu.WinoOutputAdjoint
	if m == 4 {
		adjoint = cpu.WinoOutputAdjoint4
	}
	for t := t0; t < t1; t++ {
		s, r := t/tps, t%tps
		oy0, ox0 := m*(r/g.tw), m*(r%g.tw)
		src := dy[s*img : (s+1)*img]
		dst := z[(t-base)*f:]
		if oy0+m <= g.oh && ox0+m <= g.ow {
			adjoint(src[(oy0*g.ow+ox0)*f:], rs, f, dst, per*f, f)
			continue
		}
		for i := range m {
			for k := range m {
				p := pad[(i*m+k)*f : (i*m+k+1)*f]
				if oy, ox := oy0+i, ox0+k; oy < g.oh && ox < g.ow {
					copy(p, src[(oy*g.ow+ox)*f:])
				} else {
					clear(p)
				}
			}
		}
		adjoint(pad, m*f, f, dst, per*f, f)
	}
}

// winoFilterGrad adds Gᵀ dU_e G to the kernel gradient dw (3, 3, c, f),
// for output tile m.
func winoFilterGrad(dw, du []float32, c, f, m int) {
	j := getWinoJob()
	j.u, j.w = du, dw
	j.g.c, j.g.f, j.g.m = c, f, m
	if serialWindowOps {
		j.afn(0, c*f)
	} else {
		cpu.ParallelFor(c*f, max(1, grainFloats/25), j.afn)
	}
	putWinoJob(j)
}

func (j *winoJob) filterAdjoint(lo, hi int) {
	cf := j.g.c * j.g.f
	if j.g.m == 4 {
		cpu.WinoFilterAdjoint4(j.u[lo:], cf, j.w[lo:], cf, hi-lo)
		return
	}
	cpu.WinoFilterAdjoint(j.u[lo:], cf, j.w[lo:], cf, hi-lo)
}

// convWinograd marks, in a Conv2D node's ints[2], a convolution whose
// forward pass and input gradient run as Winograd F(2×2, 3×3).
const convWinograd = 1

// conv2DWinograd computes the Conv2D g into out by Winograd F(2×2, 3×3)
// and, when recording (nd), keeps what the backward pass needs in one
// scratch buffer (winoScratch): the transformed kernels, room for those of
// the flipped kernel (for the input gradient) and for the products of the
// weight gradient.
func (tp *Tape) conv2DWinograd(g *convGeom, nd *node, x, w, b, out *Var, strides [2]int, act Activation, per int) {
	c, f, ue := g.c, g.f, g.winoKernels()
	back := nd != nil && g.winogradBackward()
	var cols *tensor.Tensor
	if back {
		cols = tp.Scratch(winoScratch(ue, x.Grad != nil, w.Grad != nil))
	} else {
		cols = tp.Scratch(ue)
	}
	u := cols.Data[:ue]
	winoTransformFilter(u, w.Value.Data, c, f, g.winoM())
	var bias []float32
	if b != nil {
		bias = b.Value.Data
	}
	y := out.Value.Data
	winoConv(g.forwardWino(g.n), x.Value.Data, u, y, bias, act == ReLU, false)
	if act != Linear && act != ReLU {
		j := getJob(*g)
		j.a, j.b, j.act, j.cols = y, nil, act, f
		j.parallel(jobBiasAct, len(y)/f, f)
		putJob(j)
	}
	switch {
	case back:
		tp.saveForBackward(nd, strides, act, cols, per*g.outPix(), f, b != nil)
		nd.flag = false
		nd.ints[2] = convWinograd
	case nd != nil:
		// The backward pass of im2col + GEMM, rebuilding the im2col matrix
		// chunk by chunk.
		tp.saveForBackward(nd, strides, act, tp.Scratch(per*g.outPix()*g.k()), per*g.outPix(), f, b != nil)
		nd.flag = false
	}
}

// winoScratch returns the size of a Winograd Conv2D's scratch buffer:
// the transformed kernels U (ue floats), then, for the input gradient,
// those of the flipped kernel, then, for the weight gradient, the products
// dU.
func winoScratch(ue int, dx, dw bool) int {
	n := ue
	if dx {
		n += ue
	}
	if dw {
		n += ue
	}
	return n
}

// conv2DBackwardWinograd is the backward pass of a Winograd Conv2D, in
// chunks of per samples (those of the scratch for dz): the bias gradient as
// in conv2DBackward, the input gradient as a Winograd convolution of dz
// with the flipped kernel, and the weight gradient as Gᵀ dU G, dU summed
// over every chunk of tiles of the batch in order.
func conv2DBackwardWinograd(nd *node, g *convGeom, per int) {
	x, w, b := nd.in[0], nd.in[1], nd.in[2]
	c, f, ohw := g.c, g.f, g.outPix()
	u, ut, du := winoBack(nd.aux[0].Data, g.winoKernels(), x.Grad != nil, w.Grad != nil)
	if ut != nil {
		winoFlipFilter(ut, u, w.Value.Data, c, f, g.winoM(), g.winoMdx())
	}
	j := getJob(*g)
	for s0 := 0; s0 < g.n; s0 += per {
		s1 := min(s0+per, g.n)
		lo, hi := s0*ohw*f, s1*ohw*f
		dz := j.actGradBias(nd.aux[1], nd.aux[2], nd.out.Grad.Data[lo:hi], nd.out.Value.Data[lo:hi], biasGrad(b), nd.act, f)
		if du != nil {
			winoWeightGrad(g.forwardWino(s1-s0), x.Value.Data[s0*g.inImg():s1*g.inImg()], dz, du, s0 == 0)
		}
		if ut != nil {
			winoConv(g.inputGradWino(s1-s0), dz, ut, x.Grad.Data[s0*g.inImg():s1*g.inImg()], nil, false, true)
		}
	}
	putJob(j)
	if du != nil {
		winoFilterGrad(w.Grad.Data, du, c, f, g.winoM())
	}
}

// winoBack returns the parts of a Winograd Conv2D's scratch buffer cols:
// the transformed kernels (ue floats), the room for those of the flipped
// kernel (nil without dx) and for the weight gradient's products (nil
// without dw).
func winoBack(cols []float32, ue int, dx, dw bool) (u, ut, du []float32) {
	u, cols = cols[:ue], cols[ue:]
	if dx {
		ut, cols = cols[:ue], cols[ue:]
	}
	if dw {
		du = cols[:ue]
	}
	return u, ut, du
}
