package datasets

import (
	"bufio"
	"bytes"
	"compress/gzip"
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

	// SkipRows skips this many lines at the start of the file, before the
	// header (or the first row), such as the count line that sklearn's
	// files begin with ("150,4,setosa,versicolor,virginica"). Line numbers
	// in errors still count them.
	SkipRows int
	// Whitespace separates fields by any run of spaces and tabs instead of
	// Delimiter; leading and trailing spaces are ignored and cells cannot
	// be quoted.
	Whitespace bool
	// Exclude names columns that are not features (an ID column) when
	// Features is empty.
	Exclude []string
	// Classes, when set, are the class names of the one target column:
	// each target cell must be one of them and gives its index.
	Classes []string
	// MaxInflated bounds the size of a gzip-compressed file once inflated;
	// 0 means DefaultMaxInflated.
	MaxInflated int64
	// Text names a column of raw text, which ReadCSVText and
	// CSVReader.NextText return as strings, cell by cell as encoding/csv
	// reads them (quoted cells may hold the delimiter, quotes doubled, and
	// line breaks). With Text set no column is read as numbers but the
	// targets: Features must be empty, and the columns that are neither the
	// text nor a target may hold anything.
	Text string
}

// DefaultMaxInflated is the largest size a gzip-compressed CSV file may
// inflate to unless CSVOptions.MaxInflated says otherwise: 8 GiB, far more
// than a table that fits in memory as float32, and a bound on what a gzip
// bomb (a few MB that inflate to terabytes) can cost.
const DefaultMaxInflated int64 = 8 << 30

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
// cells, NaN, ±Inf and values beyond float32's range are errors. A file
// that starts with gzip's magic bytes is inflated as it is read, whatever
// its name, up to opts.MaxInflated bytes. Header names must be UTF-8.
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
// header is line 1, and empty lines, lines inside quoted cells and the
// lines SkipRows skips count. The line of a cell error is the line where
// that cell starts.
func ReadCSV(r io.Reader, opts CSVOptions) (Split, error) {
	c, err := NewCSVReader(r, opts)
	if err != nil {
		return Split{}, err
	}
	return c.readAll()
}

// ReadCSVClasses is ReadCSV for data whose one target column may hold
// class names, such as iris's "setosa": when every cell of that column is a
// name rather than a number, Y holds each row's class index in classes,
// the distinct names sorted (as sklearn's LabelEncoder orders them).
// classes is nil when the targets are numbers (or opts.Classes gives the
// classes). A column that mixes names and numbers is an error.
func ReadCSVClasses(r io.Reader, opts CSVOptions) (s Split, classes []string, err error) {
	c, err := NewCSVReader(r, opts)
	if err != nil {
		return Split{}, nil, err
	}
	if len(c.targIdx) == 1 && c.classes == nil {
		c.detect = &labelDetector{names: map[string]int{}}
	}
	if s, err = c.readAll(); err != nil {
		return Split{}, nil, err
	}
	if d := c.detect; d != nil && len(d.order) > 0 {
		classes = slices.Clone(d.order)
		slices.Sort(classes)
		rank := make([]float32, len(d.order))
		for i, name := range d.order {
			j, _ := slices.BinarySearch(classes, name)
			rank[i] = float32(j)
		}
		for i, v := range s.Y.Data {
			s.Y.Data[i] = rank[int(v)]
		}
	}
	return s, classes, nil
}

// labelDetector follows a target column while ReadCSVClasses reads it:
// the names seen, in order of first appearance, and where the first name
// and the first number were.
type labelDetector struct {
	names             map[string]int // index in order
	order             []string
	nameLine, numLine int // 0 until seen
	firstName         string
}

func (c *CSVReader) readAll() (Split, error) {
	n, xs, ys, err := c.readRows()
	if err != nil {
		return Split{}, err
	}
	s := Split{X: tensor.FromSlice(slices.Clip(xs), n, len(c.featIdx))}
	if len(c.targIdx) > 0 {
		s.Y = tensor.FromSlice(slices.Clip(ys), n, len(c.targIdx))
	}
	return s, nil
}

// readRows reads every data row: their number, features and targets (and
// texts, into c.texts). A file without data rows is an error.
func (c *CSVReader) readRows() (n int, xs, ys []float32, err error) {
	for {
		xs, ys, err = c.appendRow(xs, ys)
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, nil, nil, err
		}
		n++
	}
	if n == 0 {
		return 0, nil, nil, c.noRows()
	}
	return n, xs, ys, nil
}

// rankClasses turns the labels that detection gave (indices in the order
// names appeared) into indices of the sorted names, which it returns; it
// returns nil when the column held numbers.
func (c *CSVReader) rankClasses(y []float32) []string {
	d := c.detect
	if d == nil || len(d.order) == 0 {
		return nil
	}
	classes := slices.Clone(d.order)
	slices.Sort(classes)
	rank := make([]float32, len(d.order))
	for i, name := range d.order {
		j, _ := slices.BinarySearch(classes, name)
		rank[i] = float32(j)
	}
	for i, v := range y {
		y[i] = rank[int(v)]
	}
	return classes
}

// ReadCSVText reads a whole CSV file's text column (opts.Text) and its
// targets: texts[i] is row i's cell, as it is (spaces kept), and y, with
// shape (n, len(targets)), holds the targets as ReadCSV reads them (class
// indices when opts.Classes is set); y is nil when opts names no targets.
// Its errors are ReadCSV's.
func ReadCSVText(r io.Reader, opts CSVOptions) (texts []string, y *tensor.Tensor, err error) {
	texts, y, _, err = readCSVText(r, opts, false)
	return texts, y, err
}

// ReadCSVTextClasses is ReadCSVText for a target column that may hold
// class names, as ReadCSVClasses reads it: classes is nil when the
// targets are numbers (or opts.Classes gives the classes).
func ReadCSVTextClasses(r io.Reader, opts CSVOptions) (texts []string, y *tensor.Tensor, classes []string, err error) {
	return readCSVText(r, opts, true)
}

func readCSVText(r io.Reader, opts CSVOptions, detect bool) ([]string, *tensor.Tensor, []string, error) {
	if opts.Text == "" {
		return nil, nil, nil, fmt.Errorf("%s: no text column named (CSVOptions.Text)", or(opts.Name, "csv"))
	}
	c, err := NewCSVReader(r, opts)
	if err != nil {
		return nil, nil, nil, err
	}
	if detect && len(c.targIdx) == 1 && c.classes == nil {
		c.detect = &labelDetector{names: map[string]int{}}
	}
	n, _, ys, err := c.readRows()
	if err != nil {
		return nil, nil, nil, err
	}
	classes := c.rankClasses(ys)
	var y *tensor.Tensor
	if len(c.targIdx) > 0 {
		y = tensor.FromSlice(slices.Clip(ys), n, len(c.targIdx))
	}
	return slices.Clip(c.texts), y, classes, nil
}

func or(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// recordReader reads records: encoding/csv's Reader, or wsReader.
type recordReader interface {
	Read() ([]string, error)
	FieldPos(i int) (line, column int)
	InputOffset() int64
}

// CSVReader streams rows in chunks, for predicting on files larger than
// memory. It accepts the same files as ReadCSV and reports the same errors.
type CSVReader struct {
	cr       recordReader
	name     string
	columns  []string       // every column of the file, by name
	index    map[string]int // the file column of each name
	header   bool
	lineBase int   // lines skipped (SkipRows) before cr's first line
	featIdx  []int // the file column of each feature
	targIdx  []int // the file column of each target
	textIdx  int   // the file column of the text, or -1
	texts    []string

	classes map[string]int // the known classes of the target column
	names   []string       // the same, in order
	detect  *labelDetector // ReadCSVClasses's detection

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

// maxHeaderTap bounds the raw bytes kept to place a bad header byte.
const maxHeaderTap = 1 << 20

// tapReader keeps a copy of what is read through it while on.
type tapReader struct {
	r   io.Reader
	buf []byte
	on  bool
}

func (t *tapReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if t.on {
		if len(t.buf)+n > maxHeaderTap {
			t.on, t.buf = false, nil
		} else {
			t.buf = append(t.buf, p[:n]...)
		}
	}
	return n, err
}

// inflateReader bounds what a gzip reader inflates and names its errors.
type inflateReader struct {
	r         io.Reader
	left, max int64
	name      string
}

func (g *inflateReader) Read(p []byte) (int, error) {
	if g.left < 0 {
		return 0, g.tooBig()
	}
	if int64(len(p)) > g.left+1 {
		p = p[:g.left+1]
	}
	n, err := g.r.Read(p)
	g.left -= int64(n)
	if g.left < 0 {
		return 0, g.tooBig()
	}
	if err != nil && err != io.EOF {
		err = fmt.Errorf("gzip: %v (the compressed file is damaged or cut short)", err)
	}
	return n, err
}

func (g *inflateReader) tooBig() error {
	return fmt.Errorf("the gzip-compressed file inflates to more than %d bytes, the limit (CSVOptions.MaxInflated, default DefaultMaxInflated = %d)", g.max, DefaultMaxInflated)
}

// NewCSVReader returns a reader of the CSV file in r. It reads the header
// (for a file without one, the first data row) and checks that the columns
// that opts names exist.
func NewCSVReader(r io.Reader, opts CSVOptions) (*CSVReader, error) {
	c := &CSVReader{name: opts.Name, header: !opts.NoHeader, textIdx: -1}
	if c.name == "" {
		c.name = "csv"
	}
	delim := opts.Delimiter
	if delim == 0 {
		delim = ','
	}
	if !opts.Whitespace && (delim == '\r' || delim == '\n' || delim == '"' || delim == utf8.RuneError || !utf8.ValidRune(delim)) {
		return nil, fmt.Errorf("%s: %q cannot be a CSV delimiter", c.name, delim)
	}
	if opts.SkipRows < 0 {
		return nil, fmt.Errorf("%s: skip_rows must not be negative, got %d", c.name, opts.SkipRows)
	}

	br := bufio.NewReaderSize(r, 1<<16)
	if b, _ := br.Peek(2); bytes.Equal(b, []byte{0x1f, 0x8b}) {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: gzip: %v (the file starts as gzip-compressed data but is damaged)", c.name, err)
		}
		max := opts.MaxInflated
		if max <= 0 {
			max = DefaultMaxInflated
		}
		br = bufio.NewReaderSize(&inflateReader{r: gz, left: max, max: max, name: c.name}, 1<<16)
	}
	offset := int64(0) // of what br gives next, in the (inflated) file
	if b, _ := br.Peek(3); bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
		offset = 3
	} else if bytes.HasPrefix(b, []byte("\xff\xfe")) || bytes.HasPrefix(b, []byte("\xfe\xff")) {
		return nil, fmt.Errorf("%s: the file is UTF-16; save it as UTF-8", c.name)
	}
	for c.lineBase < opts.SkipRows {
		line, err := br.ReadSlice('\n')
		for err == bufio.ErrBufferFull {
			offset += int64(len(line))
			line, err = br.ReadSlice('\n')
		}
		offset += int64(len(line))
		if err == io.EOF && len(line) > 0 {
			err = nil
		}
		if err == io.EOF {
			return nil, fmt.Errorf("%s: skip_rows is %d but the file has only %d lines", c.name, opts.SkipRows, c.lineBase)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		c.lineBase++
	}
	tap := &tapReader{r: br, on: c.header}
	if opts.Whitespace {
		c.cr = &wsReader{br: bufio.NewReader(tap)}
	} else {
		cr := csv.NewReader(tap)
		cr.Comma = delim
		// Leading spaces before a quote are allowed, except with a whitespace
		// delimiter, where trimming would merge empty cells.
		cr.TrimLeadingSpace = !unicode.IsSpace(delim)
		cr.FieldsPerRecord = -1
		cr.ReuseRecord = true
		c.cr = cr
	}

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
			if !utf8.ValidString(f) {
				at := ""
				if raw := tap.buf; tap.on {
					raw = raw[:min(len(raw), int(c.cr.InputOffset()))]
					for i := 0; i < len(raw); {
						r, size := utf8.DecodeRune(raw[i:])
						if r == utf8.RuneError && size <= 1 {
							at = fmt.Sprintf(", byte offset %d (0x%02x)", offset+int64(i), raw[i])
							break
						}
						i += size
					}
				}
				return nil, fmt.Errorf("%s: line %d, column %d of the header%s: the name %s is not UTF-8; save the file as UTF-8",
					c.name, c.line(i), i+1, at, quoteCell(f))
			}
			c.columns[i] = strings.TrimSpace(f)
		}
		tap.on, tap.buf = false, nil
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
	exIdx, err := c.lookup(opts.Exclude, "excluded")
	if err != nil {
		return nil, err
	}
	for _, i := range exIdx {
		if slices.Contains(c.targIdx, i) {
			return nil, fmt.Errorf("%s: column %q is both a target and excluded", c.name, c.columns[i])
		}
	}
	if opts.Text != "" {
		if len(opts.Features) > 0 {
			return nil, fmt.Errorf("%s: the text column %q is the input: it cannot be combined with feature columns (%s)", c.name, opts.Text, listColumns(opts.Features))
		}
		ti, err := c.lookup([]string{opts.Text}, "text")
		if err != nil {
			return nil, err
		}
		c.textIdx = ti[0]
		if slices.Contains(c.targIdx, c.textIdx) {
			return nil, fmt.Errorf("%s: column %q is both the text and a target", c.name, opts.Text)
		}
		if slices.Contains(exIdx, c.textIdx) {
			return nil, fmt.Errorf("%s: column %q is both the text and excluded", c.name, opts.Text)
		}
	} else if len(opts.Features) > 0 {
		if c.featIdx, err = c.lookup(opts.Features, "feature"); err != nil {
			return nil, err
		}
		for _, i := range c.featIdx {
			if slices.Contains(c.targIdx, i) {
				return nil, fmt.Errorf("%s: column %q is both a feature and a target", c.name, c.columns[i])
			}
			if slices.Contains(exIdx, i) {
				return nil, fmt.Errorf("%s: column %q is both a feature and excluded", c.name, c.columns[i])
			}
		}
	} else {
		for i := range c.columns {
			if !slices.Contains(c.targIdx, i) && !slices.Contains(exIdx, i) {
				c.featIdx = append(c.featIdx, i)
			}
		}
		if len(c.featIdx) == 0 {
			what := "a target"
			if len(exIdx) > 0 {
				what += " or excluded"
			}
			return nil, fmt.Errorf("%s: no feature columns: every column is %s (columns: %s)",
				c.name, what, listColumns(c.columns))
		}
	}
	if opts.Classes != nil {
		if len(c.targIdx) != 1 {
			return nil, fmt.Errorf("%s: class names need exactly one target column, not %d", c.name, len(c.targIdx))
		}
		c.names = opts.Classes
		c.classes = make(map[string]int, len(opts.Classes))
		for i, name := range opts.Classes {
			c.classes[name] = i
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
			return nil, fmt.Errorf("%s: missing column %q (columns: %s)%s", c.name, name, listColumns(c.columns), c.numericHeaderHint())
		}
		if slices.Contains(idx[:k], i) {
			return nil, fmt.Errorf("%s: %s column %q is listed twice", c.name, kind, name)
		}
		idx[k] = i
	}
	return idx, nil
}

// numericHeaderHint explains a header that starts with a number, which
// is likely no header.
func (c *CSVReader) numericHeaderHint() string {
	if !c.header {
		return ""
	}
	if _, err := strconv.ParseFloat(c.columns[0], 64); err != nil {
		return ""
	}
	return fmt.Sprintf("; the header (line %d) holds numbers: if the file has no header, set header: false; if that line is a count line such as sklearn's \"150,4,setosa,versicolor,virginica\", skip it with skip_rows: %d",
		c.headerLine(), c.headerLine())
}

// headerLine is the file line of the header.
func (c *CSVReader) headerLine() int { return c.lineBase + 1 }

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
	n, err := c.next(maxRows)
	if err != nil {
		return nil, nil, err
	}
	c.x.SetView(c.xs, n, len(c.featIdx))
	if len(c.targIdx) == 0 {
		return &c.x, nil, nil
	}
	c.y.SetView(c.ys, n, len(c.targIdx))
	return &c.x, &c.y, nil
}

// NextText is Next for a reader of a text column (CSVOptions.Text): it
// returns up to maxRows more texts, and their targets as Next does. The
// texts slice is reused by the next call (the strings themselves are
// not). It panics if maxRows < 1 or the options name no text column.
func (c *CSVReader) NextText(maxRows int) (texts []string, y *tensor.Tensor, err error) {
	if maxRows < 1 {
		panic(fmt.Sprintf("datasets: CSVReader.NextText(%d): need at least one row", maxRows))
	}
	if c.textIdx < 0 {
		panic("datasets: CSVReader.NextText: the options name no text column (CSVOptions.Text)")
	}
	n, err := c.next(maxRows)
	if err != nil {
		return nil, nil, err
	}
	if len(c.targIdx) == 0 {
		return c.texts, nil, nil
	}
	c.y.SetView(c.ys, n, len(c.targIdx))
	return c.texts, &c.y, nil
}

// next reads up to maxRows rows into c.xs, c.ys and c.texts, for Next and
// NextText.
func (c *CSVReader) next(maxRows int) (n int, err error) {
	if c.err != nil {
		return 0, c.err
	}
	c.xs, c.ys, c.texts = c.xs[:0], c.ys[:0], c.texts[:0]
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
			return 0, err
		}
	}
	return n, nil
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
		if c.header && c.rows == 0 {
			return xs, ys, fmt.Errorf("%s: line %d: %d fields, the header has %d: if line %d is not the header (such as sklearn's count line \"150,4,setosa,versicolor,virginica\"), skip the lines above the header with skip_rows: %d",
				c.name, line, len(rec), len(c.columns), c.headerLine(), c.headerLine())
		}
		if c.header {
			return xs, ys, fmt.Errorf("%s: line %d: %d fields, the header has %d", c.name, line, len(rec), len(c.columns))
		}
		return xs, ys, fmt.Errorf("%s: line %d: %d fields, the first row has %d", c.name, line, len(rec), len(c.columns))
	}
	var err error
	if xs, err = c.appendCells(xs, rec, c.featIdx); err == nil {
		if c.classes != nil || c.detect != nil {
			ys, err = c.appendLabel(ys, rec)
		} else {
			ys, err = c.appendCells(ys, rec, c.targIdx)
		}
	}
	c.usePending = false
	if err != nil {
		return xs, ys, err
	}
	if c.textIdx >= 0 {
		// A copy, so that a kept text does not hold the record's memory.
		c.texts = append(c.texts, strings.Clone(rec[c.textIdx]))
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

// appendLabel appends the class label of the one target cell of rec: its
// index in the known classes, or, while detecting, the number or the index
// of the name in the order names appeared.
func (c *CSVReader) appendLabel(dst []float32, rec []string) ([]float32, error) {
	i := c.targIdx[0]
	cell := strings.TrimSpace(rec[i])
	if c.classes != nil {
		k, ok := c.classes[cell]
		if !ok {
			return dst, fmt.Errorf("%s: line %d, column %q: %s is not one of the model's classes (%s)",
				c.name, c.line(i), c.columns[i], quoteCell(cell), listColumns(c.names))
		}
		return append(dst, float32(k)), nil
	}
	d := c.detect
	v, err := strconv.ParseFloat(cell, 64)
	if cell == "" || err != nil && !errors.Is(err, strconv.ErrSyntax) {
		return dst, c.cellError(i, cell, v, err)
	}
	if err == nil {
		if d.nameLine > 0 {
			return dst, fmt.Errorf("%s: line %d, column %q: %s is a number, but line %d holds the class name %s: a label column holds names or numbers, not both",
				c.name, c.line(i), c.columns[i], quoteCell(cell), d.nameLine, quoteCell(d.firstName))
		}
		if d.numLine == 0 {
			d.numLine = c.line(i)
		}
		dst, err = c.appendCells(dst, rec, c.targIdx)
		return dst, err
	}
	if d.numLine > 0 {
		return dst, c.cellError(i, cell, v, err)
	}
	k, ok := d.names[cell]
	if !ok {
		if d.nameLine == 0 {
			d.nameLine, d.firstName = c.line(i), strings.Clone(cell)
		}
		if len(d.order) >= maxClasses {
			return dst, fmt.Errorf("%s: line %d, column %q: more than %d distinct class names", c.name, c.line(i), c.columns[i], maxClasses)
		}
		k = len(d.order)
		name := strings.Clone(cell)
		d.names[name] = k
		d.order = append(d.order, name)
	}
	return append(dst, float32(k)), nil
}

// maxClasses bounds the distinct class names of a label column.
const maxClasses = 1 << 16

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
				return nil, fmt.Errorf("%s: line %d, byte %d: %w", c.name, c.lineBase+pe.Line, pe.Column, pe.Err)
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
	return c.lineBase + l
}

// wsReader reads records whose fields are separated by runs of spaces and
// tabs, one record a line.
type wsReader struct {
	br     *bufio.Reader
	line   int   // of the last record
	offset int64 // bytes read
	cols   []int
	rec    []string
}

func (w *wsReader) Read() ([]string, error) {
	for {
		s, err := w.br.ReadString('\n')
		w.offset += int64(len(s))
		if err != nil && !(err == io.EOF && s != "") {
			return nil, err
		}
		w.line++
		w.rec, w.cols = w.rec[:0], w.cols[:0]
		for i := 0; i < len(s); {
			if b := s[i]; b == ' ' || b == '\t' || b == '\r' || b == '\n' {
				i++
				continue
			}
			j := i
			for j < len(s) && s[j] != ' ' && s[j] != '\t' && s[j] != '\r' && s[j] != '\n' {
				j++
			}
			w.rec = append(w.rec, s[i:j])
			w.cols = append(w.cols, i+1)
			i = j
		}
		if len(w.rec) > 0 {
			return w.rec, nil
		}
	}
}

func (w *wsReader) FieldPos(i int) (int, int) {
	if i < len(w.cols) {
		return w.line, w.cols[i]
	}
	return w.line, 1
}

func (w *wsReader) InputOffset() int64 { return w.offset }

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
