package datasets

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/neurona/neurona/tensor"
)

// CSVOptions says how to read a CSV file of numbers.
//
// The zero value reads a comma-separated file with a header, takes every
// column as a feature and no targets.
type CSVOptions struct {
	Delimiter rune     // default ','
	NoHeader  bool     // the first line is data; columns are then named "0", "1", ...
	Features  []string // feature columns by name; empty means every column that is not a target
	Targets   []string // target columns by name; may be empty (predict input)
	Name      string   // the file's name, used in errors; default "csv"
}

// maxListedColumns is how many column names an error lists before it
// abbreviates the rest.
const maxListedColumns = 20

// maxQuotedCell is how many bytes of a bad cell an error quotes.
const maxQuotedCell = 40

// ReadCSV reads a whole CSV file of numbers from r. It returns X with shape
// (n, len(features)) and, when opts names targets, Y with shape
// (n, len(targets)); Y is nil otherwise. Columns that are neither features
// nor targets are not read and may hold anything.
//
// Cells are parsed as float64 (decimal or Go hexadecimal syntax) and stored
// as float32. Spaces around a cell are ignored, fields may be quoted as in
// RFC 4180 (a quoted cell may span lines), and a UTF-8 byte order mark,
// \r\n line endings, a trailing newline and empty lines are accepted. Empty
// cells, NaN, ±Inf and values beyond float32's range are errors.
//
// Every error is one line that starts with the file's name (opts.Name) and,
// where it concerns one place, names the file's line and the column:
//
//	train.csv: missing column "price" (columns: crim, zn, indus)
//	train.csv: line 17, column "rm": "abc" is not a number
//	train.csv: line 9: 12 fields, the header has 14
//	train.csv: line 5, column "age": NaN is not allowed
//	train.csv: the file is empty
//	train.csv: no data rows
//
// A line number is the file's 1-based line as a text editor shows it: the
// header is line 1, and empty lines and lines inside quoted cells count. The
// line of a cell error is the line where that cell starts.
func ReadCSV(r io.Reader, opts CSVOptions) (Split, error) {
	c, err := NewCSVReader(r, opts)
	if err != nil {
		return Split{}, err
	}
	var xs, ys []float32
	n := 0
	for {
		xs, ys, err = c.appendRow(xs, ys)
		if err == io.EOF {
			break
		}
		if err != nil {
			return Split{}, err
		}
		n++
	}
	if n == 0 {
		return Split{}, c.noRows()
	}
	s := Split{X: tensor.FromSlice(slices.Clip(xs), n, len(c.featIdx))}
	if len(c.targIdx) > 0 {
		s.Y = tensor.FromSlice(slices.Clip(ys), n, len(c.targIdx))
	}
	return s, nil
}

// CSVReader streams rows in chunks, for predicting on files larger than
// memory. It accepts the same files as ReadCSV and reports the same errors.
type CSVReader struct {
	cr      *csv.Reader
	name    string
	columns []string       // every column of the file, by name
	index   map[string]int // the file column of each name
	header  bool
	featIdx []int // the file column of each feature
	targIdx []int // the file column of each target

	// pending is a data record read ahead by NewCSVReader (a file without
	// a header), with the line of each of its fields.
	pending      []string
	pendingLines []int
	usePending   bool

	rows   int   // data rows read so far
	err    error // sticky error, io.EOF at the end
	xs, ys []float32
	x, y   tensor.Tensor
}

// NewCSVReader returns a reader of the CSV file in r. It reads the header
// (for a file without one, the first data row) and checks that the columns
// that opts names exist.
func NewCSVReader(r io.Reader, opts CSVOptions) (*CSVReader, error) {
	c := &CSVReader{name: opts.Name, header: !opts.NoHeader}
	if c.name == "" {
		c.name = "csv"
	}
	delim := opts.Delimiter
	if delim == 0 {
		delim = ','
	}
	if delim == '\r' || delim == '\n' || delim == '"' || delim == utf8.RuneError || !utf8.ValidRune(delim) {
		return nil, fmt.Errorf("%s: %q cannot be a CSV delimiter", c.name, delim)
	}

	br := bufio.NewReaderSize(r, 1<<16)
	if b, _ := br.Peek(3); bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	} else if bytes.HasPrefix(b, []byte("\xff\xfe")) || bytes.HasPrefix(b, []byte("\xfe\xff")) {
		return nil, fmt.Errorf("%s: the file is UTF-16; save it as UTF-8", c.name)
	}
	c.cr = csv.NewReader(br)
	c.cr.Comma = delim
	// Leading spaces before a quote are allowed, except with a whitespace
	// delimiter, where trimming would merge empty cells.
	c.cr.TrimLeadingSpace = !unicode.IsSpace(delim)
	c.cr.FieldsPerRecord = -1
	c.cr.ReuseRecord = true

	first, err := c.read()
	if err == io.EOF {
		return nil, fmt.Errorf("%s: the file is empty", c.name)
	}
	if err != nil {
		return nil, err
	}
	if c.header {
		c.columns = make([]string, len(first))
		for i, f := range first {
			c.columns[i] = strings.TrimSpace(f)
		}
	} else {
		c.columns = make([]string, len(first))
		for i := range first {
			c.columns[i] = strconv.Itoa(i)
		}
		c.pending = slices.Clone(first)
		c.pendingLines = make([]int, len(first))
		for i := range first {
			c.pendingLines[i] = c.line(i)
		}
		c.usePending = true
	}
	c.index = make(map[string]int, len(c.columns))
	for i, name := range c.columns {
		if j, dup := c.index[name]; dup {
			return nil, fmt.Errorf("%s: line %d: column %q appears twice in the header (fields %d and %d)",
				c.name, c.line(0), name, j+1, i+1)
		}
		c.index[name] = i
	}

	if c.targIdx, err = c.lookup(opts.Targets, "target"); err != nil {
		return nil, err
	}
	if len(opts.Features) > 0 {
		if c.featIdx, err = c.lookup(opts.Features, "feature"); err != nil {
			return nil, err
		}
		for _, i := range c.featIdx {
			if slices.Contains(c.targIdx, i) {
				return nil, fmt.Errorf("%s: column %q is both a feature and a target", c.name, c.columns[i])
			}
		}
	} else {
		for i := range c.columns {
			if !slices.Contains(c.targIdx, i) {
				c.featIdx = append(c.featIdx, i)
			}
		}
		if len(c.featIdx) == 0 {
			return nil, fmt.Errorf("%s: no feature columns: every column is a target (columns: %s)",
				c.name, listColumns(c.columns))
		}
	}
	return c, nil
}

// lookup returns the file columns of names, which must exist and be
// distinct.
func (c *CSVReader) lookup(names []string, kind string) ([]int, error) {
	idx := make([]int, len(names))
	for k, name := range names {
		i, ok := c.index[name]
		if !ok {
			return nil, fmt.Errorf("%s: missing column %q (columns: %s)", c.name, name, listColumns(c.columns))
		}
		if slices.Contains(idx[:k], i) {
			return nil, fmt.Errorf("%s: %s column %q is listed twice", c.name, kind, name)
		}
		idx[k] = i
	}
	return idx, nil
}

// Columns returns the names of the feature columns, in the order of X's
// columns.
func (c *CSVReader) Columns() []string {
	names := make([]string, len(c.featIdx))
	for k, i := range c.featIdx {
		names[k] = c.columns[i]
	}
	return names
}

// Next reads up to maxRows more rows. It returns x with shape
// (rows, len(Columns())) and, when the options name targets, y with shape
// (rows, len(targets)); y is nil otherwise. At the end of the file it
// returns io.EOF (and nil tensors); a file with no data rows gives the
// "no data rows" error instead. After an error, Next returns that error
// again; the rows of that call that came before the bad row are dropped.
//
// x and y are reused by the next call to Next: clone them to keep them.
// Once the chunks have reached their largest size, Next allocates only what
// encoding/csv does (one string per row). It panics if maxRows < 1.
func (c *CSVReader) Next(maxRows int) (x *tensor.Tensor, y *tensor.Tensor, err error) {
	if maxRows < 1 {
		panic(fmt.Sprintf("datasets: CSVReader.Next(%d): need at least one row", maxRows))
	}
	if c.err != nil {
		return nil, nil, c.err
	}
	c.xs, c.ys = c.xs[:0], c.ys[:0]
	n := 0
	for n < maxRows {
		c.xs, c.ys, err = c.appendRow(c.xs, c.ys)
		if err != nil {
			break
		}
		n++
	}
	if err == io.EOF && c.rows == 0 {
		err = c.noRows()
	}
	if err != nil {
		c.err = err
		if err != io.EOF || n == 0 {
			return nil, nil, err
		}
	}
	c.x.SetView(c.xs, n, len(c.featIdx))
	if len(c.targIdx) == 0 {
		return &c.x, nil, nil
	}
	c.y.SetView(c.ys, n, len(c.targIdx))
	return &c.x, &c.y, nil
}

// noRows is the error for a file without data rows.
func (c *CSVReader) noRows() error {
	return fmt.Errorf("%s: no data rows", c.name)
}

// appendRow reads the next data row and appends its features to xs and its
// targets to ys. At the end of the file it returns io.EOF.
func (c *CSVReader) appendRow(xs, ys []float32) ([]float32, []float32, error) {
	var rec []string
	if c.usePending {
		rec = c.pending
	} else {
		var err error
		if rec, err = c.read(); err != nil {
			return xs, ys, err
		}
	}
	if len(rec) != len(c.columns) {
		line := c.line(0)
		c.usePending = false
		if c.header {
			return xs, ys, fmt.Errorf("%s: line %d: %d fields, the header has %d", c.name, line, len(rec), len(c.columns))
		}
		return xs, ys, fmt.Errorf("%s: line %d: %d fields, the first row has %d", c.name, line, len(rec), len(c.columns))
	}
	var err error
	if xs, err = c.appendCells(xs, rec, c.featIdx); err == nil {
		ys, err = c.appendCells(ys, rec, c.targIdx)
	}
	c.usePending = false
	if err != nil {
		return xs, ys, err
	}
	c.rows++
	return xs, ys, nil
}

// appendCells parses the cells idx of rec and appends them to dst.
func (c *CSVReader) appendCells(dst []float32, rec []string, idx []int) ([]float32, error) {
	for _, i := range idx {
		cell := strings.TrimSpace(rec[i])
		v, err := strconv.ParseFloat(cell, 64)
		v32 := float32(v)
		if err == nil && !math.IsNaN(v) && !math.IsInf(float64(v32), 0) {
			dst = append(dst, v32)
			continue
		}
		return dst, c.cellError(i, cell, v, err)
	}
	return dst, nil
}

// cellError explains why cell, in field i of the current record, is not a
// finite float32.
func (c *CSVReader) cellError(i int, cell string, v float64, err error) error {
	where := fmt.Sprintf("%s: line %d, column %q", c.name, c.line(i), c.columns[i])
	var reason string
	switch {
	case cell == "":
		reason = "the cell is empty"
	case errors.Is(err, strconv.ErrSyntax):
		reason = quoteCell(cell) + " is not a number"
	case math.IsNaN(v):
		reason = "NaN is not allowed"
	case isInfWord(cell) && v > 0:
		reason = "Inf is not allowed"
	case isInfWord(cell):
		reason = "-Inf is not allowed"
	default: // ErrRange, or beyond float32
		reason = quoteCell(cell) + " is out of float32's range"
	}
	return fmt.Errorf("%s: %s", where, reason)
}

// isInfWord reports whether cell spells an infinity ("inf", "-Infinity").
func isInfWord(cell string) bool {
	s := strings.TrimLeft(cell, "+-")
	return strings.EqualFold(s, "inf") || strings.EqualFold(s, "infinity")
}

// read returns the next record that is not blank, turning encoding/csv's
// errors into one-line errors that name the file and the line.
func (c *CSVReader) read() ([]string, error) {
	for {
		rec, err := c.cr.Read()
		if err == io.EOF {
			return nil, io.EOF
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("%s: line %d, byte %d: %w", c.name, pe.Line, pe.Column, pe.Err)
			}
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		// A line of spaces is as empty as an empty line.
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		return rec, nil
	}
}

// line returns the file line where field i of the current record starts.
func (c *CSVReader) line(i int) int {
	if c.usePending {
		return c.pendingLines[i]
	}
	l, _ := c.cr.FieldPos(i)
	return l
}

// quoteCell quotes a cell for an error message, shortening a long one.
func quoteCell(cell string) string {
	if len(cell) <= maxQuotedCell {
		return strconv.Quote(cell)
	}
	cut := maxQuotedCell
	for cut > 0 && !utf8.RuneStart(cell[cut]) {
		cut--
	}
	return strconv.Quote(cell[:cut]) + "..."
}

// listColumns formats column names for an error, abbreviating long lists.
// Names that would be ambiguous in a comma-separated list are quoted.
func listColumns(cols []string) string {
	var b strings.Builder
	for i, name := range cols {
		if i == maxListedColumns {
			fmt.Fprintf(&b, ", ... (%d in all)", len(cols))
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		if name == "" || strings.ContainsAny(name, ",\" ") || strings.ContainsFunc(name, notPrint) {
			b.WriteString(strconv.Quote(name))
		} else {
			b.WriteString(name)
		}
	}
	return b.String()
}

// notPrint reports whether r is not printable (as strconv.Quote sees it).
func notPrint(r rune) bool { return !strconv.IsPrint(r) }

// CheckLabels checks that y holds class labels for classes classes: one
// label per row (shape (n) or (n, 1)), each an integer in [0, classes). It
// reports the first bad label as
//
//	train.csv: row 12, column "label": 10 is out of range for 10 classes
//
// where name names the file and column the labels' column (it is left out
// when empty). A row is a 1-based data row, the header not counted: for a
// file read by ReadCSV without empty lines or multi-line cells, row N is on
// line N+1, or on line N when the file has no header.
func CheckLabels(y *tensor.Tensor, classes int, name, column string) error {
	where := name
	if column != "" {
		where = fmt.Sprintf("%s, column %q", name, column)
	}
	if y == nil {
		return fmt.Errorf("%s: no labels", where)
	}
	if classes < 1 {
		return fmt.Errorf("%s: %d classes: need at least 1", where, classes)
	}
	if y.Dims() == 0 || y.Dims() > 2 || y.Size() != y.Rows() {
		return fmt.Errorf("%s: labels of shape %s: want one label per row", where, tensor.ShapeString(y.Shape))
	}
	for i, v := range y.Data {
		if v >= 0 && v < float32(classes) && v == float32(math.Trunc(float64(v))) {
			continue
		}
		s := strconv.FormatFloat(float64(v), 'g', -1, 32)
		at := fmt.Sprintf("%s: row %d", name, i+1)
		if column != "" {
			at += fmt.Sprintf(", column %q", column)
		}
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || v != float32(math.Trunc(float64(v))) {
			return fmt.Errorf("%s: %s is not an integer class label", at, s)
		}
		return fmt.Errorf("%s: %s is out of range for %d classes", at, s, classes)
	}
	return nil
}
