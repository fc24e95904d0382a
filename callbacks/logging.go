package callbacks

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"

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
//
// The file is opened at train begin and each epoch appends one line with a
// single write, then syncs the file to disk, so a crash loses at most the
// line being written and the cost per epoch does not grow with the file.
// With Append false the file is truncated at train begin (a new log, as
// Keras's append=False); with Append true rows are added to an existing
// file under its own header (read from its first line), and the header is
// written only when the file is new or empty. A partial last line left by
// a crash is ended before the first new row.
type CSVLogger struct {
	Base
	Filename string `json:"filename"`
	// Separator defaults to ",".
	Separator string `json:"separator,omitempty"`
	// Append keeps the rows of an existing file (for resumed training).
	Append bool `json:"append,omitempty"`

	keys []string
	f    *os.File
	line []byte
	err  error
}

// maxCSVHeader bounds how much of an existing file CSVLogger reads to find
// its header line when appending.
const maxCSVHeader = 1 << 20

// Err implements Failer: it returns the first error opening, reading (to
// append), writing, syncing or closing the file.
func (c *CSVLogger) Err() error { return c.err }

// fail records err, about the file, and stops training.
func (c *CSVLogger) fail(what string, err error) {
	fail(c.Model, &c.err, fmt.Errorf("CSVLogger: %s %s: %w", what, c.Filename, err))
}

// OnTrainBegin implements Callback.
func (c *CSVLogger) OnTrainBegin(Logs) {
	c.close()
	c.keys = nil
	c.err = nil
	if c.Separator == "" {
		c.Separator = ","
	}
	flags := os.O_RDWR | os.O_CREATE | os.O_APPEND
	if !c.Append {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(c.Filename, flags, 0o644)
	if err != nil {
		fail(c.Model, &c.err, fmt.Errorf("CSVLogger: %w", err))
		return
	}
	c.f = f
	if c.Append {
		if err := c.readHeader(); err != nil {
			c.fail("reading", err)
		}
	}
}

// readHeader takes the columns from the first line of the file being
// appended to, and ends a partial last line. Files other than regular ones
// (a terminal, a pipe, /dev/full) are not read.
func (c *CSVLogger) readHeader() error {
	st, err := c.f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() == 0 {
		return err
	}
	head := make([]byte, min(st.Size(), maxCSVHeader))
	n, err := c.f.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	first, _, ok := strings.Cut(string(head[:n]), "\n")
	if !ok && st.Size() > maxCSVHeader {
		return fmt.Errorf("no header line in its first %d bytes", maxCSVHeader)
	}
	if first != "" {
		c.keys = strings.Split(first, c.Separator)[1:]
	}
	var last [1]byte
	if _, err := c.f.ReadAt(last[:], st.Size()-1); err != nil {
		return err
	}
	if last[0] != '\n' {
		c.line = append(c.line[:0], '\n')
	}
	return nil
}

// OnEpochEnd implements Callback.
func (c *CSVLogger) OnEpochEnd(epoch int, logs Logs) {
	if c.err != nil || c.f == nil {
		return
	}
	if c.keys == nil {
		for k := range logs {
			c.keys = append(c.keys, k)
		}
		sort.Strings(c.keys)
		c.line = append(c.line, "epoch"...)
		for _, k := range c.keys {
			c.line = append(c.line, c.Separator...)
			c.line = append(c.line, k...)
		}
		c.line = append(c.line, '\n')
	}
	c.line = strconv.AppendInt(c.line, int64(epoch), 10)
	for _, k := range c.keys {
		c.line = append(c.line, c.Separator...)
		if v, ok := logs[k]; ok {
			c.line = strconv.AppendFloat(c.line, v, 'g', -1, 64)
		} else {
			c.line = append(c.line, "NA"...)
		}
	}
	c.line = append(c.line, '\n')
	_, err := c.f.Write(c.line)
	c.line = c.line[:0]
	if err != nil {
		c.fail("writing", err)
		return
	}
	if err := c.f.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		// EINVAL, ENOTSUP: the file (a pipe, a terminal) cannot be synced.
		c.fail("syncing", err)
	}
}

// OnTrainEnd implements Callback: it closes the file.
func (c *CSVLogger) OnTrainEnd(Logs) { c.close() }

func (c *CSVLogger) close() {
	if c.f == nil {
		return
	}
	if err := c.f.Close(); err != nil {
		c.fail("closing", err)
	}
	c.f = nil
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
