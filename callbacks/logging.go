package callbacks

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/neurona/neurona/saving"
	"github.com/neurona/neurona/tensorboard"
)

// ModelCheckpoint saves the model, or only its weights, at the end of each
// epoch, as Keras's ModelCheckpoint. Filepath may hold Python-style fields
// filled from the epoch (counted from 1) and the logs:
// "weights.{epoch:02d}-{val_loss:.2f}.nrn".
type ModelCheckpoint struct {
	Base
	Filepath string `json:"filepath"`
	// Monitor defaults to "val_loss"; used with SaveBestOnly.
	Monitor string `json:"monitor,omitempty"`
	// SaveBestOnly saves only when the monitored value improves.
	SaveBestOnly bool `json:"save_best_only,omitempty"`
	// SaveWeightsOnly saves the weights rather than the whole model.
	SaveWeightsOnly bool `json:"save_weights_only,omitempty"`
	// Mode is "auto" (default), "min" or "max".
	Mode string `json:"mode,omitempty"`
	// Log receives a line per save; nil means none.
	Log io.Writer `json:"-"`

	// Saved lists the paths written, in order.
	Saved []string `json:"-"`
	best  float64
	md    mode
	err   error
}

// OnTrainBegin implements Callback.
func (c *ModelCheckpoint) OnTrainBegin(Logs) {
	if c.Monitor == "" {
		c.Monitor = "val_loss"
	}
	c.err = nil
	md, err := resolveMode(c.Mode, c.Monitor)
	if err != nil {
		fail(c.Model, &c.err, fmt.Errorf("ModelCheckpoint: %w", err))
	}
	c.md = md
	c.best = c.md.worst()
}

// Err implements Failer: it returns the first error, a bad configuration
// or a failed save.
func (c *ModelCheckpoint) Err() error { return c.err }

// OnEpochEnd implements Callback.
func (c *ModelCheckpoint) OnEpochEnd(epoch int, logs Logs) {
	if c.err != nil {
		return
	}
	if c.SaveBestOnly {
		current, ok := logs[c.Monitor]
		if !ok || !c.md.improved(current, c.best, 0) {
			return
		}
		if c.Log != nil {
			fmt.Fprintf(c.Log, "Epoch %d: %s improved from %.5f to %.5f, saving model\n", epoch+1, c.Monitor, c.best, current)
		}
		c.best = current
	}
	path, err := FormatPath(c.Filepath, epoch+1, logs)
	if fail(c.Model, &c.err, err) {
		return
	}
	if c.SaveWeightsOnly {
		err = c.Model.SaveWeights(path)
	} else {
		err = c.Model.Save(path)
	}
	if fail(c.Model, &c.err, err) {
		return
	}
	c.Saved = append(c.Saved, path)
}

var pathField = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}`)

// FormatPath fills a Keras checkpoint path template: {epoch} and any log
// key, with an optional Python format spec such as 02d or .4f.
func FormatPath(template string, epoch int, logs Logs) (string, error) {
	var err error
	out := pathField.ReplaceAllStringFunc(template, func(m string) string {
		g := pathField.FindStringSubmatch(m)
		name, spec := g[1], g[2]
		var v float64
		isInt := false
		if name == "epoch" {
			v, isInt = float64(epoch), true
		} else if x, ok := logs[name]; ok {
			v = x
		} else {
			err = fmt.Errorf("checkpoint path %q: no value for {%s}", template, name)
			return m
		}
		s, e := pyFormat(v, isInt, spec)
		if e != nil {
			err = fmt.Errorf("checkpoint path %q: %w", template, e)
		}
		return s
	})
	return out, err
}

// pyFormat formats v with a Python format spec limited to [0][width][.prec](d|f|e|g).
func pyFormat(v float64, isInt bool, spec string) (string, error) {
	if spec == "" {
		if isInt {
			return strconv.Itoa(int(v)), nil
		}
		return strconv.FormatFloat(v, 'g', -1, 64), nil
	}
	m := regexp.MustCompile(`^(0?)(\d*)(?:\.(\d+))?([dfeg]?)$`).FindStringSubmatch(spec)
	if m == nil {
		return "", fmt.Errorf("unsupported format spec %q", spec)
	}
	verb := m[4]
	if verb == "" {
		verb = "g"
		if isInt {
			verb = "d"
		}
	}
	f := "%" + m[1] + m[2]
	if m[3] != "" {
		f += "." + m[3]
	}
	if verb == "d" {
		return fmt.Sprintf(f+"d", int64(math.Round(v))), nil
	}
	return fmt.Sprintf(f+verb, v), nil
}

// CSVLogger writes each epoch's logs to a CSV file, as Keras's CSVLogger:
// a header "epoch,<keys sorted>", then one row per epoch (epochs from 0).
// The file is rewritten atomically at each epoch, so it is never left
// half-written.
type CSVLogger struct {
	Base
	Filename string `json:"filename"`
	// Separator defaults to ",".
	Separator string `json:"separator,omitempty"`
	// Append keeps the rows of an existing file (for resumed training).
	Append bool `json:"append,omitempty"`

	keys []string
	buf  bytes.Buffer
	err  error
}

// Err implements Failer: it returns the first error reading (to append)
// or writing the file.
func (c *CSVLogger) Err() error { return c.err }

// OnTrainBegin implements Callback.
func (c *CSVLogger) OnTrainBegin(Logs) {
	c.buf.Reset()
	c.keys = nil
	c.err = nil
	if c.Separator == "" {
		c.Separator = ","
	}
	if c.Append {
		b, err := os.ReadFile(c.Filename)
		switch {
		case err == nil:
			c.buf.Write(b)
			if first, _, ok := strings.Cut(string(b), "\n"); ok {
				c.keys = strings.Split(first, c.Separator)[1:]
			}
		case !errors.Is(err, fs.ErrNotExist):
			fail(c.Model, &c.err, fmt.Errorf("CSVLogger: %w", err))
		}
	}
}

// OnEpochEnd implements Callback.
func (c *CSVLogger) OnEpochEnd(epoch int, logs Logs) {
	if c.err != nil {
		return
	}
	if c.keys == nil {
		for k := range logs {
			c.keys = append(c.keys, k)
		}
		sort.Strings(c.keys)
		c.buf.WriteString("epoch")
		for _, k := range c.keys {
			c.buf.WriteString(c.Separator + k)
		}
		c.buf.WriteByte('\n')
	}
	c.buf.WriteString(strconv.Itoa(epoch))
	for _, k := range c.keys {
		c.buf.WriteString(c.Separator)
		if v, ok := logs[k]; ok {
			c.buf.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		} else {
			c.buf.WriteString("NA")
		}
	}
	c.buf.WriteByte('\n')
	if err := saving.WriteFileAtomic(c.Filename, func(w io.Writer) error {
		_, err := w.Write(c.buf.Bytes())
		return err
	}); err != nil {
		fail(c.Model, &c.err, fmt.Errorf("CSVLogger: %w", err))
	}
}

// TensorBoard writes per-epoch scalars (and, every HistogramFreq epochs,
// weight histograms) in TensorBoard's layout: LogDir/train and
// LogDir/validation, with tags epoch_loss, epoch_<metric>, as Keras's
// TensorBoard callback.
type TensorBoard struct {
	Base
	LogDir        string `json:"log_dir"`
	HistogramFreq int    `json:"histogram_freq,omitempty"`

	train, val *tensorboard.Writer
	err        error
}

// Err implements Failer: it returns the first error creating or writing
// the event files.
func (t *TensorBoard) Err() error { return t.err }

// OnTrainBegin implements Callback.
func (t *TensorBoard) OnTrainBegin(Logs) {
	var err error
	t.err = nil
	t.train, t.val, err = tensorboard.NewRunWriters(t.LogDir)
	if err != nil {
		fail(t.Model, &t.err, fmt.Errorf("TensorBoard: %w", err))
	}
}

// OnEpochEnd implements Callback.
func (t *TensorBoard) OnEpochEnd(epoch int, logs Logs) {
	if t.err != nil {
		return
	}
	step := int64(epoch)
	for k, v := range logs {
		w, tag := t.train, "epoch_"+k
		if name, ok := strings.CutPrefix(k, "val_"); ok {
			w, tag = t.val, "epoch_"+name
		}
		if err := w.Scalar(tag, step, v); err != nil {
			fail(t.Model, &t.err, fmt.Errorf("TensorBoard: %w", err))
		}
	}
	if t.HistogramFreq > 0 && epoch%t.HistogramFreq == 0 {
		for _, w := range t.Model.WeightTensors() {
			if err := t.train.Histogram(w.Name, step, w.Value.Data); err != nil {
				fail(t.Model, &t.err, fmt.Errorf("TensorBoard: %w", err))
			}
		}
	}
	for _, w := range []*tensorboard.Writer{t.train, t.val} {
		if err := w.Flush(); err != nil {
			fail(t.Model, &t.err, fmt.Errorf("TensorBoard: %w", err))
		}
	}
}

// OnTrainEnd implements Callback.
func (t *TensorBoard) OnTrainEnd(Logs) {
	for _, w := range []*tensorboard.Writer{t.train, t.val} {
		if w != nil {
			if err := w.Close(); err != nil {
				fail(t.Model, &t.err, fmt.Errorf("TensorBoard: %w", err))
			}
		}
	}
}
