package preprocessing

import (
	"bufio"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/neurona/neurona/tensor"
)

// ClassMode is Keras's class_mode: the targets FlowFromDirectory yields.
// The zero value means ClassCategorical, Keras's default.
type ClassMode string

// The class modes of Keras's DirectoryIterator.
const (
	// ClassCategorical: one-hot rows, (batch, classes).
	ClassCategorical ClassMode = "categorical"
	// ClassBinary: the class index as a float, (batch, 1); meant for two
	// classes (Keras yields (batch,), which its training reshapes to
	// (batch, 1)).
	ClassBinary ClassMode = "binary"
	// ClassSparse: the class index as a float, (batch, 1) (Keras yields
	// int32 (batch,)).
	ClassSparse ClassMode = "sparse"
	// ClassInput: the targets are a copy of the images (autoencoders).
	ClassInput ClassMode = "input"
	// ClassNone: no targets (Keras's class_mode=None): Batch returns nil ys.
	ClassNone ClassMode = "none"
)

// Subset is Keras's subset argument: which part of the data, split by
// ImageDataGenerator.ValidationSplit, Flow and FlowFromDirectory take. The
// zero value takes all of it.
type Subset string

// The subsets of Keras's iterators.
const (
	SubsetTraining   Subset = "training"
	SubsetValidation Subset = "validation"
)

// split returns the part [lo, hi) of n samples that subset takes, as
// Keras computes it: validation is [0, int(n·v)), training the rest.
func (g *ImageDataGenerator) split(subset Subset, n int) (lo, hi int, err error) {
	switch subset {
	case "":
		return 0, n, nil
	case SubsetTraining, SubsetValidation:
	default:
		return 0, 0, fmt.Errorf("preprocessing: Subset %q: want training or validation", subset)
	}
	if g.ValidationSplit == 0 {
		return 0, 0, fmt.Errorf("preprocessing: Subset %s needs the generator's ValidationSplit", subset)
	}
	k := int(float64(n) * g.ValidationSplit)
	if subset == SubsetValidation {
		return 0, k, nil
	}
	return k, n, nil
}

// ColorMode is Keras's color_mode: the channels FlowFromDirectory loads.
// The zero value means ColorRGB, Keras's default.
type ColorMode string

// The colour modes of FlowFromDirectory. Keras's "rgba" is not provided.
const (
	// ColorRGB: three channels, as PIL's convert('RGB').
	ColorRGB ColorMode = "rgb"
	// ColorGrayscale: one channel, the luma of PIL's convert('L'):
	// (19595·R + 38470·G + 7471·B + 2^15) >> 16.
	ColorGrayscale ColorMode = "grayscale"
)

// FlowOptions are the arguments of Flow and FlowFromDirectory, with
// Keras's names; zero values mean Keras's defaults.
type FlowOptions struct {
	// TargetSize is (height, width), the size FlowFromDirectory resizes
	// every image to; zero means 256×256, as Keras. Flow ignores it.
	TargetSize [2]int
	// BatchSize is the number of images per batch; zero means 32.
	BatchSize int
	// NoShuffle keeps the samples in their order (Keras's shuffle=False);
	// by default, as in Keras, every pass is in a new random order.
	NoShuffle bool
	// Seed fixes the order of every pass and every random transform. Zero
	// is a seed like any other (there is no unseeded mode).
	Seed uint64
	// ClassMode is the kind of targets FlowFromDirectory yields; zero
	// means ClassCategorical. Flow ignores it.
	ClassMode ClassMode
	// Interpolation is the filter FlowFromDirectory resizes with; zero
	// means InterpNearest, as Keras's load_img.
	Interpolation Interpolation
	// Workers is the number of goroutines that load, resize and transform
	// images; zero means GOMAXPROCS. The batches do not depend on it.
	Workers int
	// Classes, when not empty, names the class folders of
	// FlowFromDirectory and their order (Keras's classes argument):
	// class i is Classes[i], whatever the folders' names sort as. A
	// missing folder is an error (Keras would give the class no samples).
	// Flow ignores it.
	Classes []string
	// ColorMode is the channels FlowFromDirectory loads; zero means
	// ColorRGB. Flow ignores it.
	ColorMode ColorMode
	// Subset takes the training or the validation part of the data
	// (Keras's subset; see ImageDataGenerator.ValidationSplit).
	Subset Subset
	// ReadAhead is the number of batches of the same pass prepared while
	// the caller works on the current one; zero means 2, negative none.
	// The stream holds ReadAhead+1 batches in memory.
	ReadAhead int
}

func (o FlowOptions) withDefaults() (FlowOptions, error) {
	if o.TargetSize == [2]int{} {
		o.TargetSize = [2]int{256, 256}
	}
	if o.TargetSize[0] <= 0 || o.TargetSize[1] <= 0 {
		return o, fmt.Errorf("preprocessing: TargetSize %v: want positive height and width", o.TargetSize)
	}
	if o.BatchSize == 0 {
		o.BatchSize = 32
	}
	if o.BatchSize < 0 {
		return o, fmt.Errorf("preprocessing: BatchSize %d is negative", o.BatchSize)
	}
	if o.Workers == 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Workers < 0 {
		return o, fmt.Errorf("preprocessing: Workers %d is negative", o.Workers)
	}
	switch {
	case o.ReadAhead == 0:
		o.ReadAhead = 2
	case o.ReadAhead < 0:
		o.ReadAhead = 0
	}
	switch o.ClassMode {
	case "":
		o.ClassMode = ClassCategorical
	case ClassCategorical, ClassBinary, ClassSparse, ClassInput, ClassNone:
	default:
		return o, fmt.Errorf("preprocessing: ClassMode %q: want one of categorical, binary, sparse, input, none", o.ClassMode)
	}
	if _, err := o.Interpolation.filter(); err != nil {
		return o, err
	}
	switch o.ColorMode {
	case "":
		o.ColorMode = ColorRGB
	case ColorRGB, ColorGrayscale:
	case "rgba":
		return o, fmt.Errorf("preprocessing: ColorMode rgba is not supported (rgb or grayscale)")
	default:
		return o, fmt.Errorf("preprocessing: ColorMode %q: want rgb or grayscale", o.ColorMode)
	}
	return o, nil
}

// source is where a stream's samples come from.
type source interface {
	// load writes sample j, as an h×w×c image not yet transformed, into
	// dst, using the worker's scratch.
	load(j int, dst []float32, ws *worker) error
	// label writes sample j's target row into dst (nil sources of targets
	// are never asked).
	label(j int, dst []float32)
}

// stream is the engine of Flow and FlowFromDirectory: Keras's Iterator as
// a Dataset whose batches a pool of workers prepares ahead of the caller.
//
// Batch i of pass p holds the samples at positions i·bs … of pass p's
// order: the identity, or a permutation drawn from an RNG seeded with
// (seed, p). Sample position k of pass p is transformed with parameters
// drawn from an RNG seeded with (seed, p, k). Nothing depends on which
// worker does what, or when.
type stream struct {
	gen       ImageDataGenerator
	mode      FillMode
	src       source
	n, bs     int
	h, w, c   int
	yRow      int   // floats per target row; 0 with no targets
	yShape    []int // a target row's shape
	yInput    bool  // targets are copies of the images
	shuffle   bool
	seed      uint64
	workers   int
	readAhead int

	order     []int // the sample order of orderPass
	orderPass int   // -1 before the first
	rng       tensor.RNG

	mu      sync.Mutex // guards tasks against a concurrent shutdown
	tasks   chan task
	free    []*batch
	queue   []*batch // submitted, in order
	cur     *batch   // the batch last returned to the caller
	closed  bool
	cleanup runtime.Cleanup
}

type batch struct {
	pass, i, size int
	idx           []int
	x, y          []float32
	xt, yt        *tensor.Tensor
	xs, ys        []*tensor.Tensor
	wg            sync.WaitGroup
	errs          []error
}

type task struct {
	s *stream
	b *batch
	k int
}

// worker is one pool goroutine's scratch.
type worker struct {
	rng     tensor.RNG
	scratch []float32
	rs      resizer
	br      *bufio.Reader
	gray    []float32
}

func newStream(g *ImageDataGenerator, src source, n, h, w, c int, yShape []int, yInput bool, o FlowOptions) (*stream, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	mode, _ := g.fillMode()
	gen := *g
	gen.WidthShiftChoices = slices.Clone(g.WidthShiftChoices)
	gen.HeightShiftChoices = slices.Clone(g.HeightShiftChoices)
	s := &stream{gen: gen, mode: mode, src: src, n: n, bs: o.BatchSize, h: h, w: w, c: c,
		yShape: yShape, yInput: yInput, shuffle: !o.NoShuffle, seed: o.Seed,
		workers: o.Workers, readAhead: o.ReadAhead, orderPass: -1}
	if yShape != nil {
		s.yRow = 1
		for _, d := range yShape {
			s.yRow *= d
		}
	}
	s.order = make([]int, n)
	return s, nil
}

// Len returns the number of batches per pass.
func (s *stream) Len() int { return (s.n + s.bs - 1) / s.bs }

// splitmix64's finalizer, to derive seeds.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// The seeds of pass p's permutation and of the transform of its sample
// position k.
func permSeed(seed uint64, pass int) uint64 {
	return mix(mix(seed^0x5045524d) ^ uint64(pass))
}

func sampleSeed(seed uint64, pass, k int) uint64 {
	return mix(mix(mix(seed^0x53414d50)^uint64(pass)) ^ uint64(k))
}

// setOrder makes s.order pass's order.
func (s *stream) setOrder(pass int) {
	if s.orderPass == pass {
		return
	}
	if s.shuffle {
		s.rng.Seed(permSeed(s.seed, pass))
		s.rng.Perm(s.order)
	} else {
		for j := range s.order {
			s.order[j] = j
		}
	}
	s.orderPass = pass
}

func (s *stream) newBatch() *batch {
	rows := min(s.bs, s.n)
	b := &batch{idx: make([]int, rows), x: make([]float32, rows*s.h*s.w*s.c), errs: make([]error, rows)}
	b.xt = tensor.FromSlice(b.x, rows, s.h, s.w, s.c)
	b.xs = []*tensor.Tensor{b.xt}
	switch {
	case s.yInput:
		b.y = make([]float32, len(b.x))
		b.yt = tensor.FromSlice(b.y, rows, s.h, s.w, s.c)
	case s.yRow > 0:
		b.y = make([]float32, rows*s.yRow)
		b.yt = tensor.FromSlice(b.y, append([]int{rows}, s.yShape...)...)
	}
	if b.yt != nil {
		b.ys = []*tensor.Tensor{b.yt}
	}
	return b
}

func (s *stream) start() {
	s.tasks = make(chan task, min(s.bs, s.n)*(s.readAhead+1))
	for range s.workers {
		go runWorker(s.tasks)
	}
	s.cleanup = runtime.AddCleanup(s, func(ch chan task) { close(ch) }, s.tasks)
}

func runWorker(tasks <-chan task) {
	ws := &worker{}
	for t := range tasks {
		t.run(ws)
	}
}

// run processes the task; a panic (a bug) becomes the sample's error
// rather than a crash of the program from a goroutine it cannot recover.
func (t task) run(ws *worker) {
	defer t.b.wg.Done()
	defer func() {
		if p := recover(); p != nil {
			t.b.errs[t.k] = fmt.Errorf("internal error: %v", p)
			*ws = worker{}
		}
	}()
	t.s.process(t.b, t.k, ws)
}

// submit queues batch i of pass for the workers and returns it.
func (s *stream) submit(pass, i int) *batch {
	var b *batch
	if n := len(s.free); n > 0 {
		b, s.free = s.free[n-1], s.free[:n-1]
	} else {
		b = s.newBatch()
	}
	s.setOrder(pass)
	lo, hi := i*s.bs, min((i+1)*s.bs, s.n)
	b.pass, b.i, b.size = pass, i, hi-lo
	copy(b.idx, s.order[lo:hi])
	clear(b.errs)
	b.wg.Add(b.size)
	for k := range b.size {
		s.tasks <- task{s, b, k}
	}
	return b
}

// process prepares sample k of batch b.
func (s *stream) process(b *batch, k int, ws *worker) {
	j := b.idx[k]
	hwc := s.h * s.w * s.c
	dst := b.x[k*hwc : (k+1)*hwc]
	ws.rng.Seed(sampleSeed(s.seed, b.pass, b.i*s.bs+k))
	p := s.gen.GetRandomTransform(s.h, s.w, &ws.rng)
	if p.affine() {
		ws.scratch = grow(ws.scratch, hwc)
		if err := s.src.load(j, ws.scratch, ws); err != nil {
			b.errs[k] = err
			return
		}
		transformImage(dst, ws.scratch, s.h, s.w, s.c, p, s.mode, s.gen.Cval)
	} else {
		if err := s.src.load(j, dst, ws); err != nil {
			b.errs[k] = err
			return
		}
		transformImage(dst, dst, s.h, s.w, s.c, p, s.mode, s.gen.Cval)
	}
	s.gen.standardize(dst)
	switch {
	case s.yInput:
		copy(b.y[k*hwc:(k+1)*hwc], dst)
	case s.yRow > 0:
		s.src.label(j, b.y[k*s.yRow:(k+1)*s.yRow])
	}
}

// drain waits for every submitted batch and frees them.
func (s *stream) drain() {
	for _, b := range s.queue {
		b.wg.Wait()
		s.free = append(s.free, b)
	}
	s.queue = s.queue[:0]
}

// Batch returns batch i of pass (see ArrayIterator.Batch).
func (s *stream) Batch(pass, i int) (xs, ys []*tensor.Tensor, err error) {
	if pass < 0 || i < 0 || i >= s.Len() {
		return nil, nil, fmt.Errorf("preprocessing: batch %d of pass %d: there are %d batches per pass", i, pass, s.Len())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, nil, fmt.Errorf("preprocessing: batch %d of pass %d: the stream is closed", i, pass)
	}
	if s.tasks == nil {
		s.start()
	}
	if s.cur != nil {
		s.free = append(s.free, s.cur)
		s.cur = nil
	}
	if len(s.queue) == 0 || s.queue[0].pass != pass || s.queue[0].i != i {
		s.drain()
		s.queue = append(s.queue, s.submit(pass, i))
	}
	for len(s.queue) < s.readAhead+1 {
		next := s.queue[len(s.queue)-1].i + 1
		if next >= s.Len() {
			break
		}
		s.queue = append(s.queue, s.submit(pass, next))
	}
	b := s.queue[0]
	b.wg.Wait()
	copy(s.queue, s.queue[1:])
	s.queue[len(s.queue)-1] = nil
	s.queue = s.queue[:len(s.queue)-1]
	s.cur = b
	for k, e := range b.errs[:b.size] {
		if e != nil {
			return nil, nil, fmt.Errorf("preprocessing: sample %d: %w", b.idx[k], e)
		}
	}
	hwc := s.h * s.w * s.c
	b.xt.Data, b.xt.Shape[0] = b.x[:b.size*hwc], b.size
	if b.yt != nil {
		b.yt.Data, b.yt.Shape[0] = b.y[:b.size*(len(b.y)/len(b.idx))], b.size
	}
	return b.xs, b.ys, nil
}

// Close stops the workers once the submitted batches are done.
func (s *stream) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.drain()
	s.closed = true
	if s.tasks != nil {
		s.cleanup.Stop()
		close(s.tasks)
	}
	return nil
}

// ArrayIterator is Keras's NumpyArrayIterator, what Flow returns: batches
// of in-memory images, transformed and rescaled by the generator, with
// their targets. It is a Dataset (models.Dataset: Len and Batch).
type ArrayIterator struct {
	s *stream
}

type arraySource struct{ x, y *tensor.Tensor }

func (a arraySource) load(j int, dst []float32, _ *worker) error {
	copy(dst, a.x.Row(j))
	return nil
}

func (a arraySource) label(j int, dst []float32) { copy(dst, a.y.Row(j)) }

// Flow returns the images x, of shape (n, height, width, channels), and
// their targets y, of shape (n, …) or nil, as a stream of batches: Keras's
// ImageDataGenerator.flow. Each batch's images are x's rows in the pass's
// order, randomly transformed (ApplyTransform with parameters drawn by
// GetRandomTransform) and rescaled (Standardize); the targets are y's rows
// in the same order, unchanged (Batch's ys is nil when y is). Of opts,
// Flow uses BatchSize, NoShuffle, Seed, Subset, Workers and ReadAhead.
//
// The order of pass p is a permutation drawn from (Seed, p), and sample
// position k of pass p is transformed with parameters drawn from (Seed,
// p, k): a batch is the same whatever the number of workers and whenever
// it is asked for. These are tensor.RNG's numbers, not numpy's: the same
// distributions as Keras, not the same draws. The generator's settings are
// copied; x and y are not, and must not change while the stream is used.
func (g *ImageDataGenerator) Flow(x, y *tensor.Tensor, opts FlowOptions) (*ArrayIterator, error) {
	if x == nil || x.Dims() != 4 {
		return nil, fmt.Errorf("preprocessing: Flow: x must have shape (samples, height, width, channels), got %s", shapeOf(x))
	}
	n := x.Shape[0]
	if x.Shape[1] == 0 || x.Shape[2] == 0 || x.Shape[3] == 0 {
		return nil, fmt.Errorf("preprocessing: Flow: x has shape %s: empty images", shapeOf(x))
	}
	if y != nil && (y.Dims() == 0 || y.Shape[0] != n) {
		return nil, fmt.Errorf("preprocessing: Flow: x has %d samples, y has shape %s: they must have the same number of rows", n, shapeOf(y))
	}
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	lo, hi, err := g.split(o.Subset, n)
	if err != nil {
		return nil, err
	}
	k := lo // the split: validation is [0, k), training [k, n)
	if o.Subset == SubsetValidation {
		k = hi
	}
	if o.Subset != "" && y != nil && !sameValues(rows(y, 0, k), rows(y, k, n)) {
		// Keras's check (np.unique of both parts).
		return nil, fmt.Errorf("preprocessing: Flow: the training and validation subsets have different classes after the split (are the arrays sorted by label? shuffle them)")
	}
	x = rows(x, lo, hi)
	if y != nil {
		y = rows(y, lo, hi)
	}
	n = hi - lo
	if n == 0 {
		return nil, fmt.Errorf("preprocessing: Flow: no samples")
	}
	var yShape []int
	if y != nil {
		yShape = append([]int{}, y.Shape[1:]...)
	}
	s, err := newStream(g, arraySource{x, y}, n, x.Shape[1], x.Shape[2], x.Shape[3], yShape, false, o)
	if err != nil {
		return nil, err
	}
	return &ArrayIterator{s: s}, nil
}

// Samples returns the number of images.
func (it *ArrayIterator) Samples() int { return it.s.n }

// Len returns the number of batches per pass, ceil(Samples / BatchSize)
// (Keras's len of the iterator).
func (it *ArrayIterator) Len() int { return it.s.Len() }

// Batch returns batch i of pass number pass (the Dataset interface): the
// transformed images, (batch, height, width, channels), and y's rows, or
// nil targets when y is nil. The last batch of a pass is shorter when the
// batch size does not divide the number of samples. Asked for the batches
// of a pass in order (as FitDataset does), it returns batches the workers
// prepared while the caller worked on the previous ones; asked for any
// other batch, it waits for those in preparation, drops them and starts
// from the one asked for. The tensors are the iterator's and valid until
// the next call.
func (it *ArrayIterator) Batch(pass, i int) (xs, ys []*tensor.Tensor, err error) {
	return it.s.Batch(pass, i)
}

// Close stops the workers once the batches in preparation are done; Batch
// fails afterwards. An iterator dropped without Close stops its workers
// when it is garbage-collected.
func (it *ArrayIterator) Close() error { return it.s.Close() }

// rows returns a view of rows [lo, hi) of t.
func rows(t *tensor.Tensor, lo, hi int) *tensor.Tensor {
	rs := t.RowSize()
	return tensor.FromSlice(t.Data[lo*rs:hi*rs], append([]int{hi - lo}, t.Shape[1:]...)...)
}

// sameValues reports whether a and b hold the same set of distinct values.
func sameValues(a, b *tensor.Tensor) bool {
	set := func(t *tensor.Tensor) map[float32]bool {
		m := map[float32]bool{}
		for _, v := range t.Data {
			m[v] = true
		}
		return m
	}
	sa, sb := set(a), set(b)
	if len(sa) != len(sb) {
		return false
	}
	for v := range sa {
		if !sb[v] {
			return false
		}
	}
	return true
}
