package dashboard

import (
	"context"
	"encoding/json"
	"math"
	"sync"
)

// A Run is what the page shows of one training run: its summary, its
// epochs' logs, the batch losses, the learning speed, the weight and
// gradient histograms and its images. A live run is filled by a Callback
// while it trains; a past run is read from a directory. Its methods are
// safe for concurrent use.
type Run struct {
	mu    sync.Mutex
	state runState
	// fwd answers forward-pass requests; nil when the run has none.
	fwd Forwarder
}

// runState is a Run as JSON.
type runState struct {
	Name     string       `json:"name"`
	Live     bool         `json:"live"`
	Done     bool         `json:"done"`
	Summary  *Summary     `json:"summary,omitempty"`
	Keys     []string     `json:"keys"`
	Epochs   []Epoch      `json:"epochs"`
	Batches  []Point      `json:"batches"`
	Progress *Progress    `json:"progress,omitempty"`
	Speed    *Speed       `json:"speed,omitempty"`
	Hists    []EpochHists `json:"hists,omitempty"`
	Images   []string     `json:"images,omitempty"`
	Forward  *ForwardInfo `json:"forward,omitempty"`
	// batchStride is how many batches one point of Batches stands for:
	// it doubles when Batches reaches maxBatchPoints.
	batchStride int
	batchSkip   int
}

// maxBatchPoints bounds a run's batch curve: past it, every other point
// is dropped and the stride doubles.
const maxBatchPoints = 20000

// Epoch is one epoch's logs.
type Epoch struct {
	Epoch int               `json:"epoch"` // from 0
	Logs  map[string]Number `json:"logs"`
	LR    Number            `json:"lr,omitempty"`
}

// Point is a batch's loss at step Step: epoch + (batch+1)/steps.
type Point struct {
	Step Number `json:"x"`
	Loss Number `json:"y"`
}

// MarshalJSON writes a point as [x, y], compactly.
func (p Point) MarshalJSON() ([]byte, error) {
	b := []byte{'['}
	x, _ := p.Step.MarshalJSON()
	y, _ := p.Loss.MarshalJSON()
	b = append(append(append(b, x...), ','), y...)
	return append(b, ']'), nil
}

// UnmarshalJSON reads a point written as [x, y].
func (p *Point) UnmarshalJSON(b []byte) error {
	var xy [2]*float64
	if err := json.Unmarshal(b, &xy); err != nil {
		return err
	}
	p.Step, p.Loss = Number(math.NaN()), Number(math.NaN())
	if xy[0] != nil {
		p.Step = Number(*xy[0])
	}
	if xy[1] != nil {
		p.Loss = Number(*xy[1])
	}
	return nil
}

// Progress is the epoch in progress.
type Progress struct {
	Epoch  int    `json:"epoch"` // from 0
	Epochs int    `json:"epochs"`
	Batch  int    `json:"batch"` // batches done
	Steps  int    `json:"steps"`
	LR     Number `json:"lr"`
}

// Speed is the per-layer learning speed per epoch (callbacks.LearningSpeed).
type Speed struct {
	Layers       []string   `json:"layers"`
	GradNorm     [][]Number `json:"grad_norm"`
	WeightChange [][]Number `json:"weight_change"`
}

// EpochHists holds the histograms of each weight and its gradient at the
// end of an epoch.
type EpochHists struct {
	Epoch   int    `json:"epoch"`
	Weights []Hist `json:"weights"`
}

// Hist is a histogram of one tensor: Counts over equal bins from Min to Max.
type Hist struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"` // "weight" or "gradient"
	Min    Number `json:"min"`
	Max    Number `json:"max"`
	Counts []int  `json:"counts"`
}

// ForwardInfo tells the page what a run's forward pass takes.
type ForwardInfo struct {
	Inputs int `json:"inputs"` // values per input row
	Rows   int `json:"rows"`   // validation rows to pick from (0: none)
	// Image is [height, width] when the input is a flattened grey image
	// (MNIST's 28×28): the page then offers a canvas to draw on.
	Image []int `json:"image,omitempty"`
}

// ForwardRequest asks for the forward pass of one input: a row of the
// run's validation data, or the values in Input when it is set.
type ForwardRequest struct {
	Row   int       `json:"row"`
	Input []float64 `json:"input,omitempty"`
}

// A Forwarder computes a run's forward pass, neuron by neuron; the
// result is written as JSON (cmd/neurona gives what 'neurona explain
// --format json' prints).
type Forwarder interface {
	Forward(ctx context.Context, req ForwardRequest) (any, error)
}

// ForwarderFunc is a function as a Forwarder.
type ForwarderFunc func(ctx context.Context, req ForwardRequest) (any, error)

// Forward implements Forwarder.
func (f ForwarderFunc) Forward(ctx context.Context, req ForwardRequest) (any, error) {
	return f(ctx, req)
}

// Number is a float written to JSON as null when it is not finite.
type Number float64

// MarshalJSON implements json.Marshaler.
func (v Number) MarshalJSON() ([]byte, error) {
	f := float64(v)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(float32(f))
}

// NewRun returns an empty run named name.
func NewRun(name string) *Run {
	return &Run{state: runState{Name: name, Keys: []string{}, Epochs: []Epoch{}, Batches: []Point{}, batchStride: 1}}
}

// Name returns the run's name.
func (r *Run) Name() string { return r.state.Name }

// SetForwarder sets what answers the run's forward-pass requests.
func (r *Run) SetForwarder(f Forwarder, info ForwardInfo) {
	r.mu.Lock()
	r.fwd, r.state.Forward = f, &info
	r.mu.Unlock()
}

// SetSummary sets the model summary.
func (r *Run) SetSummary(s *Summary) {
	r.mu.Lock()
	r.state.Summary = s
	r.mu.Unlock()
}

// AddEpoch appends an epoch's logs (copied).
func (r *Run) AddEpoch(epoch int, keys []string, logs map[string]float64, lr float64) {
	e := Epoch{Epoch: epoch, Logs: make(map[string]Number, len(logs)), LR: Number(lr)}
	for k, v := range logs {
		e.Logs[k] = Number(v)
	}
	r.mu.Lock()
	if len(r.state.Keys) == 0 {
		r.state.Keys = append([]string(nil), keys...)
	}
	r.state.Epochs = append(r.state.Epochs, e)
	r.mu.Unlock()
}

// addBatch records a batch loss; the caller holds r.mu.
func (r *Run) addBatchLocked(p Point) bool {
	s := &r.state
	if s.batchSkip++; s.batchSkip < s.batchStride {
		return false
	}
	s.batchSkip = 0
	if len(s.Batches) >= maxBatchPoints {
		n := 0
		for i := 1; i < len(s.Batches); i += 2 {
			s.Batches[n] = s.Batches[i]
			n++
		}
		s.Batches = s.Batches[:n]
		s.batchStride *= 2
	}
	s.Batches = append(s.Batches, p)
	return true
}

// AddBatch records a batch's (or a custom loop's iteration's) loss at
// step: the batch curve's next point.
func (r *Run) AddBatch(step, loss float64) {
	r.mu.Lock()
	r.addBatchLocked(Point{Step: Number(step), Loss: Number(loss)})
	r.mu.Unlock()
}

// SetLive marks the run as one that is training.
func (r *Run) SetLive() {
	r.mu.Lock()
	r.state.Live = true
	r.mu.Unlock()
}

// SetDone marks the run's training as ended.
func (r *Run) SetDone() {
	r.mu.Lock()
	r.state.Done = true
	r.mu.Unlock()
}

// AddImage records an image file of the run (a path the server serves).
func (r *Run) AddImage(path string) {
	r.mu.Lock()
	r.state.Images = append(r.state.Images, path)
	r.mu.Unlock()
}

// MarshalJSON writes the run's state. It copies the state under the
// run's lock and marshals the copy after, so a training run waits for a
// copy, not for the JSON.
func (r *Run) MarshalJSON() ([]byte, error) {
	r.mu.Lock()
	st := r.state
	// Epochs, Hists and Images only grow, and their elements do not
	// change once appended: their headers are enough. Batches is thinned
	// in place, and Progress is updated in place: they are copied.
	st.Batches = append([]Point{}, st.Batches...) // [] when empty, as the page expects
	if st.Progress != nil {
		p := *st.Progress
		st.Progress = &p
	}
	r.mu.Unlock()
	return json.Marshal(&st)
}
