package tensorboard_test

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/neurona/neurona/tensorboard"
)

// fixedClock returns t at every call.
func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

// tickingClock starts at start seconds and advances one second per call.
func tickingClock(start int64) func() time.Time {
	var mu sync.Mutex
	n := start
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		n++
		return time.Unix(n-1, 0)
	}
}

// frame is a TFRecord built from the spec with the test's own CRC32C.
func frame(data []byte) []byte {
	var b []byte
	b = binary.LittleEndian.AppendUint64(b, uint64(len(data)))
	b = binary.LittleEndian.AppendUint32(b, maskCRC(crc32c(b)))
	b = append(b, data...)
	return binary.LittleEndian.AppendUint32(b, maskCRC(crc32c(data)))
}

func TestGoldenScalar(t *testing.T) {
	dir := t.TempDir()
	w, err := tensorboard.NewWriter(dir, tensorboard.WithClock(fixedClock(time.Unix(1, 500_000_000))))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Scalar("loss", 3, 0.5); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	// 1.5 as a little-endian IEEE 754 double is 0x3FF8000000000000.
	wallTime := []byte{0x09, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F}      // key 1<<3|1 (fixed64)
	fileVersion := append([]byte{0x1A, 13}, "brain.Event:2"...) // key 3<<3|2, length 13
	scalar := []byte{
		0x10, 0x03, // step: key 2<<3|0 (varint), 3
		0x2A, 0x0D, // summary: key 5<<3|2, 13 bytes
		0x0A, 0x0B, //   value: key 1<<3|2, 11 bytes
		0x0A, 0x04, 'l', 'o', 's', 's', // tag: key 1<<3|2, "loss"
		0x15, 0x00, 0x00, 0x00, 0x3F, // simple_value: key 2<<3|5 (fixed32), 0.5f = 0x3F000000
	}
	var want []byte
	want = append(want, frame(slices.Concat(wallTime, fileVersion))...)
	want = append(want, frame(slices.Concat(wallTime, scalar))...)

	got, err := os.ReadFile(w.Path())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("file bytes:\n got % x\nwant % x", got, want)
	}

	base := filepath.Base(w.Path())
	if !strings.HasPrefix(base, "events.out.tfevents.0000000001.") {
		t.Errorf("file name %q: want events.out.tfevents.0000000001.<host>...", base)
	}
	if filepath.Dir(w.Path()) != dir {
		t.Errorf("file %s is not in %s", w.Path(), dir)
	}
}

func TestRoundTrip(t *testing.T) {
	logdir := filepath.Join(t.TempDir(), "logs", "run1")
	train, val, err := tensorboard.NewRunWriters(logdir, tensorboard.WithClock(tickingClock(1000)))
	if err != nil {
		t.Fatal(err)
	}
	values := []float32{-2, -1, -0.5, 0, 0, 1e-13, 0.25, 1, 1, 3, 100, -1e-30, 1e25}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(train.Scalar("epoch_loss", 0, 1.25))
	must(val.Scalar("epoch_loss", 0, 1.5))
	must(train.Scalar("epoch_loss", 1, 0.75))
	must(train.Histogram("dense/kernel_0", 1, values))
	must(train.Scalars(2, map[string]float64{"b": 2, "a": -1}))
	must(train.Scalar("neg_step", -7, 42))
	must(train.Scalar("zero", 0, 0))
	must(train.Histogram("empty", 3, nil))
	must(train.Flush())
	must(train.Close())
	must(val.Close())

	evs, err := readEvents(onlyEventFile(t, filepath.Join(logdir, "train")))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 8 {
		t.Fatalf("train has %d events, want 8", len(evs))
	}
	if evs[0].fileVersion != "brain.Event:2" || evs[0].summary != nil || evs[0].step != 0 {
		t.Errorf("first event = %+v, want file_version brain.Event:2", evs[0])
	}
	for i, ev := range evs {
		if i > 0 && (ev.fileVersion != "" || ev.summary == nil) {
			t.Errorf("event %d = %+v, want a summary", i, ev)
		}
		if i > 0 && ev.wallTime <= evs[i-1].wallTime {
			t.Errorf("event %d: wall_time %v not after %v", i, ev.wallTime, evs[i-1].wallTime)
		}
	}

	type scalar struct {
		tag   string
		step  int64
		value float32
	}
	var scalars []scalar
	for _, ev := range evs[1:] {
		for _, v := range ev.summary {
			if v.hasSimple {
				scalars = append(scalars, scalar{v.tag, ev.step, v.simple})
			}
		}
	}
	wantScalars := []scalar{
		{"epoch_loss", 0, 1.25}, {"epoch_loss", 1, 0.75},
		{"a", 2, -1}, {"b", 2, 2}, {"neg_step", -7, 42}, {"zero", 0, 0},
	}
	if !slices.Equal(scalars, wantScalars) {
		t.Errorf("train scalars = %v, want %v", scalars, wantScalars)
	}

	// The histogram.
	hv := evs[3].summary
	if len(hv) != 1 || hv[0].tag != "dense/kernel_0" || hv[0].histo == nil || evs[3].step != 1 {
		t.Fatalf("event 3 = %+v, want histogram dense/kernel_0 at step 1", evs[3])
	}
	h := hv[0].histo
	wantMin, wantMax, wantSum, wantSq := math.Inf(1), math.Inf(-1), 0.0, 0.0
	for _, f := range values {
		v := float64(f)
		wantMin, wantMax = min(wantMin, v), max(wantMax, v)
		wantSum += v
		wantSq += v * v
	}
	if h.min != wantMin || h.max != wantMax || h.num != float64(len(values)) {
		t.Errorf("histogram min, max, num = %v, %v, %v; want %v, %v, %d", h.min, h.max, h.num, wantMin, wantMax, len(values))
	}
	if math.Abs(h.sum-wantSum) > 1e-9*math.Abs(wantSum) || math.Abs(h.sumSquares-wantSq) > 1e-9*wantSq {
		t.Errorf("histogram sum, sum_squares = %v, %v; want %v, %v", h.sum, h.sumSquares, wantSum, wantSq)
	}
	checkBuckets(t, h, values)

	// An empty histogram: no values, one empty bucket.
	e := evs[7].summary[0].histo
	if e == nil || e.num != 0 || len(e.counts) != 1 || e.counts[0] != 0 || e.limits[0] != math.MaxFloat64 {
		t.Errorf("empty histogram = %+v, want num 0 and one empty bucket up to DBL_MAX", e)
	}

	vevs, err := readEvents(onlyEventFile(t, filepath.Join(logdir, "validation")))
	if err != nil {
		t.Fatal(err)
	}
	if len(vevs) != 2 || vevs[0].fileVersion != "brain.Event:2" {
		t.Fatalf("validation events = %+v, want file_version + one scalar", vevs)
	}
	if v := vevs[1].summary; len(v) != 1 || v[0].tag != "epoch_loss" || v[0].simple != 1.5 || vevs[1].step != 0 {
		t.Errorf("validation scalar = %+v, want epoch_loss 1.5 at step 0", vevs[1])
	}
}

// tfDefaultLimits are TensorFlow's default histogram bucket limits, from its
// published rule: limits grow by 10% from 1e-12 while below 1e20, then
// DBL_MAX, mirrored for negative values, with 0 in the middle.
func tfDefaultLimits() map[float64]bool {
	set := map[float64]bool{0: true, math.MaxFloat64: true, -math.MaxFloat64: true}
	for v := 1e-12; v < 1e20; v *= 1.1 {
		set[v], set[-v] = true, true
	}
	return set
}

// checkBuckets checks that h's buckets are TensorFlow's default limits, that
// they count num values in all, and that bucket i counts exactly the values
// in [limit[i-1], limit[i]).
func checkBuckets(t *testing.T, h *histoProto, values []float32) {
	t.Helper()
	if len(h.limits) != len(h.counts) || len(h.limits) == 0 {
		t.Fatalf("%d bucket limits and %d buckets", len(h.limits), len(h.counts))
	}
	if h.limits[len(h.limits)-1] != math.MaxFloat64 {
		t.Errorf("last bucket limit = %v, want DBL_MAX", h.limits[len(h.limits)-1])
	}
	defaults := tfDefaultLimits()
	total := 0.0
	for i, lim := range h.limits {
		if !defaults[lim] {
			t.Errorf("bucket limit %d = %v is not a TensorFlow default limit", i, lim)
		}
		if i > 0 && lim <= h.limits[i-1] {
			t.Errorf("bucket limits not increasing at %d: %v after %v", i, lim, h.limits[i-1])
		}
		lo := math.Inf(-1)
		if i > 0 {
			lo = h.limits[i-1]
		}
		n := 0
		for _, f := range values {
			if v := float64(f); v >= lo && v < lim {
				n++
			}
		}
		if h.counts[i] != float64(n) {
			t.Errorf("bucket [%v, %v) counts %v, want %d", lo, lim, h.counts[i], n)
		}
		if i > 0 && h.counts[i] == 0 && h.counts[i-1] == 0 {
			t.Errorf("buckets %d and %d are both empty: runs of empty buckets should collapse", i-1, i)
		}
		total += h.counts[i]
	}
	if total != h.num {
		t.Errorf("buckets sum to %v, want num = %v", total, h.num)
	}
}

func TestCorruptFileDetected(t *testing.T) {
	dir := t.TempDir()
	w, err := tensorboard.NewWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Scalar("x", 1, 2); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(w.Path())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readRecords(good); err != nil {
		t.Fatalf("valid file: %v", err)
	}
	first := 16 + int(binary.LittleEndian.Uint64(good)) // start of the second record
	for _, tc := range []struct {
		name string
		at   int
		want error
	}{
		{"first record data", 14, errDataCRC},
		{"second record length", first + 2, errLengthCRC},
		{"second record data", first + 14, errDataCRC},
		{"second record data crc", len(good) - 2, errDataCRC},
	} {
		b := append([]byte(nil), good...)
		b[tc.at] ^= 0x40
		if _, err := readRecords(b); !errors.Is(err, tc.want) {
			t.Errorf("%s corrupted: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestWriteHistory(t *testing.T) {
	logdir := t.TempDir()
	train, val, err := tensorboard.NewRunWriters(logdir, tensorboard.WithClock(tickingClock(1)))
	if err != nil {
		t.Fatal(err)
	}
	history := map[string][]float64{
		"loss":     {1, 0.5},
		"accuracy": {0.5, 0.75},
		"val_loss": {1.25, 0.625},
	}
	if err := tensorboard.WriteHistory(train, val, history); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(train.Close(), val.Close()); err != nil {
		t.Fatal(err)
	}
	type point struct {
		step  int64
		tag   string
		value float32
	}
	read := func(run string) []point {
		evs, err := readEvents(onlyEventFile(t, filepath.Join(logdir, run)))
		if err != nil {
			t.Fatal(err)
		}
		var ps []point
		for _, ev := range evs[1:] {
			for _, v := range ev.summary {
				ps = append(ps, point{ev.step, v.tag, v.simple})
			}
		}
		return ps
	}
	wantTrain := []point{{0, "epoch_accuracy", 0.5}, {0, "epoch_loss", 1}, {1, "epoch_accuracy", 0.75}, {1, "epoch_loss", 0.5}}
	if got := read("train"); !slices.Equal(got, wantTrain) {
		t.Errorf("train = %v, want %v", got, wantTrain)
	}
	wantVal := []point{{0, "epoch_loss", 1.25}, {1, "epoch_loss", 0.625}}
	if got := read("validation"); !slices.Equal(got, wantVal) {
		t.Errorf("validation = %v, want %v", got, wantVal)
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := tensorboard.NewWriter(filepath.Join(file, "run")); err == nil {
		t.Error("NewWriter under a regular file: no error")
	}
	if _, _, err := tensorboard.NewRunWriters(file); err == nil {
		t.Error("NewRunWriters under a regular file: no error")
	}

	w, err := tensorboard.NewWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Histogram("h", 0, []float32{1, float32(math.NaN())}); err == nil {
		t.Error("Histogram with NaN: no error")
	}
	if err := w.Histogram("h", 0, []float32{float32(math.Inf(1))}); err == nil {
		t.Error("Histogram with +Inf: no error")
	}
	if err := w.Scalar("", 0, 1); err == nil {
		t.Error("Scalar with empty tag: no error")
	}
	if err := w.Scalar("\xff", 0, 1); err == nil {
		t.Error("Scalar with invalid UTF-8 tag: no error")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	if err := w.Scalar("x", 0, 1); !errors.Is(err, tensorboard.ErrClosed) {
		t.Errorf("Scalar after Close = %v, want ErrClosed", err)
	}
	if err := w.Flush(); !errors.Is(err, tensorboard.ErrClosed) {
		t.Errorf("Flush after Close = %v, want ErrClosed", err)
	}
	// The rejected writes left nothing in the file.
	evs, err := readEvents(w.Path())
	if err != nil || len(evs) != 1 {
		t.Errorf("file after rejected writes: %d events, err %v; want only file_version", len(evs), err)
	}
}

func TestConcurrentWrites(t *testing.T) {
	dir := t.TempDir()
	w, err := tensorboard.NewWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 50 {
				if err := w.Scalar("g", int64(g*100+i), float64(i)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	evs, err := readEvents(w.Path())
	if err != nil || len(evs) != 201 {
		t.Fatalf("%d events, err %v; want 201", len(evs), err)
	}
}

func TestTwoWritersOneDir(t *testing.T) {
	dir := t.TempDir()
	clock := tensorboard.WithClock(fixedClock(time.Unix(5, 0)))
	a, err := tensorboard.NewWriter(dir, clock)
	if err != nil {
		t.Fatal(err)
	}
	b, err := tensorboard.NewWriter(dir, clock)
	if err != nil {
		t.Fatal(err)
	}
	if a.Path() == b.Path() {
		t.Errorf("two writers opened in the same second share %s", a.Path())
	}
	if err := errors.Join(a.Close(), b.Close()); err != nil {
		t.Fatal(err)
	}
}
