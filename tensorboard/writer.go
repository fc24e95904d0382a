package tensorboard

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// FileVersion is the file_version of the first event of every event file.
const FileVersion = "brain.Event:2"

// ErrClosed is returned by writes to a closed Writer.
var ErrClosed = errors.New("tensorboard: writer is closed")

// Option configures a Writer.
type Option func(*options)

type options struct {
	now func() time.Time
}

// WithClock makes the Writer read the time from now instead of time.Now: for
// the timestamp in the file name and the wall_time of every event. Tests use
// it to get reproducible files.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

// fileSeq tells apart the files that one process opens in the same second.
var fileSeq atomic.Uint64

// A Writer appends events to one TensorBoard event file.
// Its methods are safe for concurrent use.
type Writer struct {
	mu   sync.Mutex
	path string
	now  func() time.Time
	f    *os.File
	buf  *bufio.Writer
	err  error // the first write error; every later call returns it
	rec  []byte
}

// NewWriter creates dir (and its parents) if needed and opens a new event
// file in it, named events.out.tfevents.<unix seconds>.<hostname>.<pid>.<n>.
// It writes the file_version event and flushes it, so that TensorBoard
// recognizes the run at once.
func NewWriter(dir string, opts ...Option) (*Writer, error) {
	o := options{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if o.now == nil {
		o.now = time.Now
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("tensorboard: %w", err)
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	host = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == os.PathSeparator {
			return '_'
		}
		return r
	}, host)
	t := o.now()
	name := fmt.Sprintf("events.out.tfevents.%010d.%s.%d.%d", t.Unix(), host, os.Getpid(), fileSeq.Add(1))
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("tensorboard: %w", err)
	}
	w := &Writer{path: path, now: o.now, f: f, buf: bufio.NewWriterSize(f, 64<<10)}
	if err := w.writeRecord(appendFileVersionEvent(nil, wallTime(t))); err != nil || w.flush() != nil {
		f.Close()
		os.Remove(path)
		return nil, w.err
	}
	return w, nil
}

// NewRunWriters creates the two runs that Keras's TensorBoard callback
// writes: logdir/train and logdir/validation.
func NewRunWriters(logdir string, opts ...Option) (train, validation *Writer, err error) {
	train, err = NewWriter(filepath.Join(logdir, "train"), opts...)
	if err != nil {
		return nil, nil, err
	}
	validation, err = NewWriter(filepath.Join(logdir, "validation"), opts...)
	if err != nil {
		train.Close()
		return nil, nil, err
	}
	return train, validation, nil
}

// Path returns the path of the event file.
func (w *Writer) Path() string { return w.path }

// Scalar writes one scalar value for tag at step.
func (w *Writer) Scalar(tag string, step int64, value float64) error {
	if err := checkTag(tag); err != nil {
		return err
	}
	v := appendScalarValue(nil, tag, float32(value))
	return w.writeSummary(step, v)
}

// Scalars writes several scalars at step in one event, in the order of their
// tags. It takes the logs of a callback, such as
// {"epoch_loss": 0.31, "epoch_accuracy": 0.9}.
func (w *Writer) Scalars(step int64, values map[string]float64) error {
	if len(values) == 0 {
		return nil
	}
	tags := make([]string, 0, len(values))
	for tag := range values {
		if err := checkTag(tag); err != nil {
			return err
		}
		tags = append(tags, tag)
	}
	sort.Strings(tags)
	var s []byte
	for _, tag := range tags {
		s = appendScalarValue(s, tag, float32(values[tag]))
	}
	return w.writeSummary(step, s)
}

// Histogram writes the distribution of values for tag at step, in
// TensorFlow's default buckets. Values must be finite (TensorFlow refuses
// NaN and Inf in histograms too). An empty values writes an empty histogram.
func (w *Writer) Histogram(tag string, step int64, values []float32) error {
	if err := checkTag(tag); err != nil {
		return err
	}
	h, err := newHistogram(values)
	if err != nil {
		return fmt.Errorf("tensorboard: histogram %q at step %d: %w", tag, step, err)
	}
	v := appendHistogramValue(nil, tag, h)
	return w.writeSummary(step, v)
}

// Flush writes the buffered events to the file.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return w.closedErr()
	}
	return w.flush()
}

// Close flushes the buffered events and closes the file. Closing a closed
// Writer does nothing and returns nil.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.flush()
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("tensorboard: %w", cerr)
	}
	w.f = nil
	w.buf = nil
	if w.err == nil {
		w.err = ErrClosed
	}
	return err
}

// WriteHistory writes a training history, one value per epoch, as Keras's
// TensorBoard callback does: a key "name" goes to train as "epoch_name" and a
// key "val_name" goes to validation as "epoch_name", at step = epoch index.
// If validation is nil, "val_name" keys go to train as "epoch_val_name".
// It takes the Values of a models.History; it does not flush.
func WriteHistory(train, validation *Writer, history map[string][]float64) error {
	if train == nil {
		return errors.New("tensorboard: WriteHistory: nil train writer")
	}
	epochs := 0
	for _, vs := range history {
		epochs = max(epochs, len(vs))
	}
	for epoch := range epochs {
		tr := map[string]float64{}
		va := map[string]float64{}
		for key, vs := range history {
			if epoch >= len(vs) {
				continue
			}
			if name, ok := strings.CutPrefix(key, "val_"); ok && validation != nil {
				va["epoch_"+name] = vs[epoch]
			} else {
				tr["epoch_"+key] = vs[epoch]
			}
		}
		if err := train.Scalars(int64(epoch), tr); err != nil {
			return err
		}
		if validation != nil {
			if err := validation.Scalars(int64(epoch), va); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkTag(tag string) error {
	if tag == "" {
		return errors.New("tensorboard: empty tag")
	}
	if !utf8.ValidString(tag) {
		return fmt.Errorf("tensorboard: tag %q is not valid UTF-8", tag)
	}
	return nil
}

func wallTime(t time.Time) float64 {
	return float64(t.UnixNano()) / 1e9
}

// writeSummary writes one Event whose Summary holds the encoded Values in
// values (a sequence of Summary.value fields).
func (w *Writer) writeSummary(step int64, values []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return w.closedErr()
	}
	if w.err != nil {
		return w.err
	}
	ev := appendSummaryEvent(nil, wallTime(w.now()), step, values)
	return w.writeRecord(ev)
}

func (w *Writer) closedErr() error {
	if w.err != nil && w.err != ErrClosed {
		return w.err
	}
	return ErrClosed
}

// writeRecord frames data as a TFRecord and buffers it. w.mu is held.
func (w *Writer) writeRecord(data []byte) error {
	if w.err != nil {
		return w.err
	}
	w.rec = appendRecord(w.rec[:0], data)
	if _, err := w.buf.Write(w.rec); err != nil {
		w.err = fmt.Errorf("tensorboard: write %s: %w", w.path, err)
	}
	return w.err
}

// flush flushes the buffer. w.mu is held.
func (w *Writer) flush() error {
	if w.err != nil {
		return w.err
	}
	if err := w.buf.Flush(); err != nil {
		w.err = fmt.Errorf("tensorboard: write %s: %w", w.path, err)
	}
	return w.err
}

// histogram is the content of a HistogramProto.
type histogram struct {
	min, max, num, sum, sumSquares float64
	limits, counts                 []float64
}

// defaultLimits are TensorFlow's default bucket limits: -DBL_MAX, the
// negated positive limits in increasing order, 0, then 1e-12·1.1^k while
// below 1e20, then DBL_MAX. Bucket i counts the values in
// [limits[i-1], limits[i]).
var defaultLimits = sync.OnceValue(func() []float64 {
	var pos []float64
	for v := 1e-12; v < 1e20; v *= 1.1 {
		pos = append(pos, v)
	}
	pos = append(pos, math.MaxFloat64)
	limits := make([]float64, 0, 2*len(pos)+1)
	for i := len(pos) - 1; i >= 0; i-- {
		limits = append(limits, -pos[i])
	}
	limits = append(limits, 0)
	return append(limits, pos...)
})

func newHistogram(values []float32) (histogram, error) {
	limits := defaultLimits()
	if len(values) == 0 {
		return histogram{limits: []float64{math.MaxFloat64}, counts: []float64{0}}, nil
	}
	counts := make([]float64, len(limits))
	h := histogram{min: math.Inf(1), max: math.Inf(-1)}
	for _, f := range values {
		v := float64(f)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return histogram{}, fmt.Errorf("non-finite value %v", v)
		}
		// The first limit above v; finite float32 values are below DBL_MAX,
		// so i is a valid index.
		i := sort.Search(len(limits), func(i int) bool { return limits[i] > v })
		counts[i]++
		h.min = min(h.min, v)
		h.max = max(h.max, v)
		h.sum += v
		h.sumSquares += v * v
	}
	h.num = float64(len(values))
	// Collapse each run of empty buckets into one, keeping the limit of the
	// run's last bucket, as TensorFlow's EncodeToProto does.
	for i := 0; i < len(counts); {
		end, c := limits[i], counts[i]
		i++
		if c == 0 {
			for i < len(counts) && counts[i] == 0 {
				end = limits[i]
				i++
			}
		}
		h.limits = append(h.limits, end)
		h.counts = append(h.counts, c)
	}
	return h, nil
}
