package datasets

import (
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/neurona/neurona/internal/alloctest"
	"github.com/neurona/neurona/tensor"
)

// readAllChunks reads a CSV file through CSVReader in chunks of maxRows rows
// and concatenates them, as ReadCSV would return them.
func readAllChunks(input string, opts CSVOptions, maxRows int) (Split, error) {
	c, err := NewCSVReader(strings.NewReader(input), opts)
	if err != nil {
		return Split{}, err
	}
	var xs, ys []float32
	n := 0
	for {
		x, y, err := c.Next(maxRows)
		if err == io.EOF {
			break
		}
		if err != nil {
			return Split{}, err
		}
		if x.Rows() < 1 || x.Rows() > maxRows {
			return Split{}, fmt.Errorf("chunk of %d rows, want 1 to %d", x.Rows(), maxRows)
		}
		if (y == nil) != (len(opts.Targets) == 0) {
			return Split{}, fmt.Errorf("y = %v with %d targets", y, len(opts.Targets))
		}
		n += x.Rows()
		xs = append(xs, x.Data...)
		if y != nil {
			if y.Rows() != x.Rows() {
				return Split{}, fmt.Errorf("chunk: x has %d rows, y %d", x.Rows(), y.Rows())
			}
			ys = append(ys, y.Data...)
		}
	}
	if _, _, err := c.Next(maxRows); err != io.EOF {
		return Split{}, fmt.Errorf("Next after the end: %v, want io.EOF", err)
	}
	s := Split{X: tensor.FromSlice(xs, n, len(c.Columns()))}
	if len(opts.Targets) > 0 {
		s.Y = tensor.FromSlice(ys, n, len(opts.Targets))
	}
	return s, nil
}

// equalTensors reports whether a and b are both nil or have the same shape
// and values.
func equalTensors(a, b *tensor.Tensor) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return tensor.SameShape(a, b) && slices.Equal(a.Data, b.Data)
}

func TestReadCSV(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		opts    CSVOptions
		columns []string
		x       *tensor.Tensor
		y       *tensor.Tensor
	}{
		{
			name:    "features by name in another order",
			input:   "a,b,c,d\n1,2,3,4\n5,6,7,8\n",
			opts:    CSVOptions{Features: []string{"c", "a"}, Targets: []string{"d", "b"}},
			columns: []string{"c", "a"},
			x:       tensor.FromSlice([]float32{3, 1, 7, 5}, 2, 2),
			y:       tensor.FromSlice([]float32{4, 2, 8, 6}, 2, 2),
		},
		{
			name:    "every column but the targets",
			input:   "a,b,c\n1,2,3\n4,5,6\n",
			opts:    CSVOptions{Targets: []string{"b"}},
			columns: []string{"a", "c"},
			x:       tensor.FromSlice([]float32{1, 3, 4, 6}, 2, 2),
			y:       tensor.FromSlice([]float32{2, 5}, 2, 1),
		},
		{
			name:    "no targets",
			input:   "a,b\n1,2\n",
			columns: []string{"a", "b"},
			x:       tensor.FromSlice([]float32{1, 2}, 1, 2),
		},
		{
			name:    "no header",
			input:   "1,2,3\n4,5,6\n",
			opts:    CSVOptions{NoHeader: true, Targets: []string{"0"}},
			columns: []string{"1", "2"},
			x:       tensor.FromSlice([]float32{2, 3, 5, 6}, 2, 2),
			y:       tensor.FromSlice([]float32{1, 4}, 2, 1),
		},
		{
			name:    "delimiter ;",
			input:   "a;b\n1.5;-2e3\n",
			opts:    CSVOptions{Delimiter: ';', Targets: []string{"b"}},
			columns: []string{"a"},
			x:       tensor.FromSlice([]float32{1.5}, 1, 1),
			y:       tensor.FromSlice([]float32{-2000}, 1, 1),
		},
		{
			name:    "tab delimiter",
			input:   "a\tb\n1\t2\n",
			opts:    CSVOptions{Delimiter: '\t'},
			columns: []string{"a", "b"},
			x:       tensor.FromSlice([]float32{1, 2}, 1, 2),
		},
		{
			name:    "quoted cells and names",
			input:   "\"sale, price\",\"a \"\"b\"\"\"\n\"1\", \"2\"\n\"3\n\",4\n",
			opts:    CSVOptions{Targets: []string{"sale, price"}},
			columns: []string{`a "b"`},
			x:       tensor.FromSlice([]float32{2, 4}, 2, 1),
			y:       tensor.FromSlice([]float32{1, 3}, 2, 1),
		},
		{
			name:    "BOM",
			input:   "\ufeffx,y\n1,2\n",
			opts:    CSVOptions{Targets: []string{"y"}},
			columns: []string{"x"},
			x:       tensor.FromSlice([]float32{1}, 1, 1),
			y:       tensor.FromSlice([]float32{2}, 1, 1),
		},
		{
			name:    "CRLF, spaces, empty lines, no trailing newline",
			input:   "\r\n x , y \r\n\r\n 1 ,\t2\r\n   \r\n3,4",
			opts:    CSVOptions{Targets: []string{"y"}},
			columns: []string{"x"},
			x:       tensor.FromSlice([]float32{1, 3}, 2, 1),
			y:       tensor.FromSlice([]float32{2, 4}, 2, 1),
		},
		{
			name:    "unused columns may hold anything",
			input:   "id,x,y\nabc,1,2\n,3,4\n",
			opts:    CSVOptions{Features: []string{"x"}, Targets: []string{"y"}},
			columns: []string{"x"},
			x:       tensor.FromSlice([]float32{1, 3}, 2, 1),
			y:       tensor.FromSlice([]float32{2, 4}, 2, 1),
		},
		{
			name:    "number syntax",
			input:   "a,b,c,d,e,f\n.5,5.,+1,-0,1e-3,0x1p-2\n",
			columns: []string{"a", "b", "c", "d", "e", "f"},
			x:       tensor.FromSlice([]float32{0.5, 5, 1, 0, 0.001, 0.25}, 1, 6),
		},
		{
			name:    "float32 rounding",
			input:   "a\n0.1\n3.4e38\n1e-50\n",
			columns: []string{"a"},
			x:       tensor.FromSlice([]float32{0.1, 3.4e38, 0}, 3, 1),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ReadCSV(strings.NewReader(tt.input), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !equalTensors(s.X, tt.x) {
				t.Errorf("X = %v %v, want %v %v", s.X.Shape, s.X.Data, tt.x.Shape, tt.x.Data)
			}
			if !equalTensors(s.Y, tt.y) {
				t.Errorf("Y = %v, want %v", s.Y, tt.y)
			}
			c, err := NewCSVReader(strings.NewReader(tt.input), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Columns(); !slices.Equal(got, tt.columns) {
				t.Errorf("Columns() = %q, want %q", got, tt.columns)
			}
			for _, rows := range []int{1, 2, 1000} {
				got, err := readAllChunks(tt.input, tt.opts, rows)
				if err != nil {
					t.Fatalf("Next(%d): %v", rows, err)
				}
				if !equalTensors(got.X, s.X) || !equalTensors(got.Y, s.Y) {
					t.Errorf("Next(%d) gives X %v Y %v, ReadCSV X %v Y %v", rows, got.X, got.Y, s.X, s.Y)
				}
			}
		})
	}
}

func TestReadCSVErrors(t *testing.T) {
	many := make([]string, 30)
	for i := range many {
		many[i] = "c" + strconv.Itoa(i)
	}
	manyHeader := strings.Join(many, ",") + "\n" + strings.Repeat("1,", 29) + "1\n"
	tests := []struct {
		name  string
		input string
		opts  CSVOptions
		want  string
	}{
		{
			name:  "missing target",
			input: "crim,zn,rm\n1,2,3\n",
			opts:  CSVOptions{Targets: []string{"price"}},
			want:  `train.csv: missing column "price" (columns: crim, zn, rm)`,
		},
		{
			name:  "missing feature",
			input: "crim,zn,rm\n1,2,3\n",
			opts:  CSVOptions{Features: []string{"zn", "age"}},
			want:  `train.csv: missing column "age" (columns: crim, zn, rm)`,
		},
		{
			name:  "missing column, odd names quoted",
			input: "a b,,c\n1,2,3\n",
			opts:  CSVOptions{Targets: []string{"d"}},
			want:  `train.csv: missing column "d" (columns: "a b", "", c)`,
		},
		{
			name:  "missing column, many columns",
			input: manyHeader,
			opts:  CSVOptions{Targets: []string{"price"}},
			want: `train.csv: missing column "price" (columns: c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, ` +
				`c10, c11, c12, c13, c14, c15, c16, c17, c18, c19, ... (30 in all))`,
		},
		{
			name:  "missing column without header",
			input: "1,2\n",
			opts:  CSVOptions{NoHeader: true, Targets: []string{"y"}},
			want:  `train.csv: missing column "y" (columns: 0, 1)`,
		},
		{
			name:  "duplicate column",
			input: "a,b,a\n1,2,3\n",
			want:  `train.csv: line 1: column "a" appears twice in the header (fields 1 and 3)`,
		},
		{
			name:  "feature listed twice",
			input: "a,b\n1,2\n",
			opts:  CSVOptions{Features: []string{"a", "a"}},
			want:  `train.csv: feature column "a" is listed twice`,
		},
		{
			name:  "feature and target",
			input: "a,b\n1,2\n",
			opts:  CSVOptions{Features: []string{"a", "b"}, Targets: []string{"b"}},
			want:  `train.csv: column "b" is both a feature and a target`,
		},
		{
			name:  "every column a target",
			input: "a,b\n1,2\n",
			opts:  CSVOptions{Targets: []string{"b", "a"}},
			want:  `train.csv: no feature columns: every column is a target (columns: a, b)`,
		},
		{
			name:  "not a number",
			input: "zn,rm\n1,2\n3,abc\n",
			want:  `train.csv: line 3, column "rm": "abc" is not a number`,
		},
		{
			name:  "not a number in a target",
			input: "x,y\n1,2\n3,4\n5,6;\n",
			opts:  CSVOptions{Targets: []string{"y"}},
			want:  `train.csv: line 4, column "y": "6;" is not a number`,
		},
		{
			name:  "not a number, long cell",
			input: "x\n" + strings.Repeat("é", 30) + "\n",
			want:  `train.csv: line 2, column "x": "` + strings.Repeat("é", 20) + `"... is not a number`,
		},
		{
			name:  "line numbers count empty lines and quoted newlines",
			input: "a,b\n\n1,\"2\n\"\n\n\"3\",x\n",
			want:  `train.csv: line 6, column "b": "x" is not a number`,
		},
		{
			name:  "line of a multi-line cell is where it starts",
			input: "a,b\n1,2\n\"3\",\"4\n5\"\n",
			want:  `train.csv: line 3, column "b": "4\n5" is not a number`,
		},
		{
			name:  "line without header",
			input: "1,2\n3,x\n",
			opts:  CSVOptions{NoHeader: true},
			want:  `train.csv: line 2, column "1": "x" is not a number`,
		},
		{
			name:  "first row without header",
			input: "\n1,x\n",
			opts:  CSVOptions{NoHeader: true},
			want:  `train.csv: line 2, column "1": "x" is not a number`,
		},
		{
			name:  "empty cell",
			input: "a,b\n1, \n",
			want:  `train.csv: line 2, column "b": the cell is empty`,
		},
		{
			name:  "NaN",
			input: "age\n1\n2\n3\nNaN\n",
			want:  `train.csv: line 5, column "age": NaN is not allowed`,
		},
		{
			name:  "nan",
			input: "age\nnan\n",
			want:  `train.csv: line 2, column "age": NaN is not allowed`,
		},
		{
			name:  "inf",
			input: "age\ninf\n",
			want:  `train.csv: line 2, column "age": Inf is not allowed`,
		},
		{
			name:  "-Infinity",
			input: "age\n-Infinity\n",
			want:  `train.csv: line 2, column "age": -Inf is not allowed`,
		},
		{
			name:  "beyond float64",
			input: "age\n1e400\n",
			want:  `train.csv: line 2, column "age": "1e400" is out of float32's range`,
		},
		{
			name:  "beyond float32",
			input: "age\n-1e39\n",
			want:  `train.csv: line 2, column "age": "-1e39" is out of float32's range`,
		},
		{
			name:  "ragged row",
			input: "a,b,c\n1,2,3\n1,2\n",
			want:  `train.csv: line 3: 2 fields, the header has 3`,
		},
		{
			name:  "long row",
			input: "a,b\n1,2,3\n",
			want:  `train.csv: line 2: 3 fields, the header has 2: if line 1 is not the header (such as sklearn's count line "150,4,setosa,versicolor,virginica"), skip the lines above the header with skip_rows: 1`,
		},
		{
			name:  "ragged row without header",
			input: "1,2,3\n\n4,5,6,7\n",
			opts:  CSVOptions{NoHeader: true},
			want:  `train.csv: line 3: 4 fields, the first row has 3`,
		},
		{
			name:  "empty file",
			input: "",
			want:  `train.csv: the file is empty`,
		},
		{
			name:  "only empty lines",
			input: "\r\n\n  \n",
			want:  `train.csv: the file is empty`,
		},
		{
			name:  "only a BOM",
			input: "\ufeff",
			want:  `train.csv: the file is empty`,
		},
		{
			name:  "empty file without header",
			input: "\n",
			opts:  CSVOptions{NoHeader: true},
			want:  `train.csv: the file is empty`,
		},
		{
			name:  "no data rows",
			input: "a,b\n\n",
			want:  `train.csv: no data rows`,
		},
		{
			name:  "bad quote",
			input: "a,b\n1,2\n3,4\"\n",
			want:  `train.csv: line 3, byte 4: bare " in non-quoted-field`,
		},
		{
			name:  "unterminated quote",
			input: "a,b\n1,\"2\n",
			want:  `train.csv: line 2, byte 6: extraneous or missing " in quoted-field`,
		},
		{
			name:  "bad delimiter",
			input: "a\n1\n",
			opts:  CSVOptions{Delimiter: '"'},
			want:  `train.csv: '"' cannot be a CSV delimiter`,
		},
		{
			name:  "UTF-16",
			input: "\xff\xfea\x00\n\x00",
			want:  `train.csv: the file is UTF-16; save it as UTF-8`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Name = "train.csv"
			_, err := ReadCSV(strings.NewReader(tt.input), tt.opts)
			if err == nil || err.Error() != tt.want {
				t.Errorf("ReadCSV error\n got %v\nwant %s", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
			for _, rows := range []int{1, 3} {
				_, err := readAllChunks(tt.input, tt.opts, rows)
				if err == nil || err.Error() != tt.want {
					t.Errorf("CSVReader (Next(%d)) error\n got %v\nwant %s", rows, err, tt.want)
				}
			}
		})
	}
}

func TestReadCSVDefaultName(t *testing.T) {
	_, err := ReadCSV(strings.NewReader(""), CSVOptions{})
	if want := "csv: the file is empty"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}

// errReader returns some data, then an error.
type errReader struct {
	data string
	err  error
}

func (r *errReader) Read(p []byte) (int, error) {
	if r.data == "" {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestReadCSVReadError(t *testing.T) {
	boom := errors.New("boom")
	_, err := ReadCSV(&errReader{"a,b\n1,2\n", boom}, CSVOptions{Name: "x.csv"})
	if !errors.Is(err, boom) || err.Error() != "x.csv: boom" {
		t.Errorf("error %v, want x.csv: boom wrapping boom", err)
	}
}

func TestCSVReaderStickyError(t *testing.T) {
	c, err := NewCSVReader(strings.NewReader("a\n1\nx\n2\n"), CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	x, _, err := c.Next(1)
	if err != nil || x.Data[0] != 1 {
		t.Fatalf("Next: %v %v", x, err)
	}
	_, _, err1 := c.Next(5)
	_, _, err2 := c.Next(5)
	if err1 == nil || err2 != err1 {
		t.Errorf("Next after an error: %v, then %v; want the same error twice", err1, err2)
	}
}

func TestCSVReaderChunks(t *testing.T) {
	var b strings.Builder
	b.WriteString("f0,t,f1\n")
	for i := range 103 {
		fmt.Fprintf(&b, "%d,%d,%g\n", i, i%10, float64(i)/4)
	}
	input := b.String()
	opts := CSVOptions{Targets: []string{"t"}}
	want, err := ReadCSV(strings.NewReader(input), opts)
	if err != nil {
		t.Fatal(err)
	}
	if want.Len() != 103 || !slices.Equal(want.X.Shape, []int{103, 2}) || !slices.Equal(want.Y.Shape, []int{103, 1}) {
		t.Fatalf("ReadCSV shapes X %v Y %v", want.X.Shape, want.Y.Shape)
	}
	for _, rows := range []int{1, 7, 10, 103, 104, 1 << 30} {
		c, err := NewCSVReader(strings.NewReader(input), opts)
		if err != nil {
			t.Fatal(err)
		}
		var sizes []int
		for {
			x, y, err := c.Next(rows)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			lo := 0
			for _, s := range sizes {
				lo += s
			}
			if !slices.Equal(x.Data, want.X.Data[2*lo:2*(lo+x.Rows())]) || !slices.Equal(y.Data, want.Y.Data[lo:lo+y.Rows()]) {
				t.Fatalf("Next(%d): chunk at row %d differs from ReadCSV", rows, lo)
			}
			sizes = append(sizes, x.Rows())
		}
		for i, s := range sizes {
			if s != min(rows, 103-i*rows) {
				t.Errorf("Next(%d): chunk sizes %v", rows, sizes)
				break
			}
		}
	}
}

func TestCSVReaderNextPanics(t *testing.T) {
	c, err := NewCSVReader(strings.NewReader("a\n1\n"), CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Error("Next(0) did not panic")
		}
	}()
	c.Next(0)
}

// genCSV generates a CSV file of n rows of cols numbers, one row at a
// time, so that the file never sits in memory.
type genCSV struct {
	n, cols int
	row     int
	buf     []byte // the current row, unread from off on
	off     int
}

var eighths = [8]string{"", ".125", ".25", ".375", ".5", ".625", ".75", ".875"}

func (g *genCSV) Read(p []byte) (int, error) {
	for g.off == len(g.buf) {
		g.buf, g.off = g.buf[:0], 0
		if g.row > g.n {
			return 0, io.EOF
		}
		for j := range g.cols {
			if j > 0 {
				g.buf = append(g.buf, ',')
			}
			if g.row == 0 {
				g.buf = append(g.buf, 'c')
				g.buf = strconv.AppendInt(g.buf, int64(j), 10)
			} else {
				// (row*cols+j)/8, written without strconv's float
				// formatting, which allocates.
				v := g.row*g.cols + j
				g.buf = strconv.AppendInt(g.buf, int64(v/8), 10)
				g.buf = append(g.buf, eighths[v%8]...)
			}
		}
		g.buf = append(g.buf, '\n')
		g.row++
	}
	n := copy(p, g.buf[g.off:])
	g.off += n
	return n, nil
}

func TestCSVReaderBoundedMemory(t *testing.T) {
	const rows, cols, chunk = 100_000, 8, 1024
	c, err := NewCSVReader(&genCSV{n: rows, cols: cols}, CSVOptions{Targets: []string{"c7"}})
	if err != nil {
		t.Fatal(err)
	}
	// Warm up: the first chunk sizes the buffers.
	if _, _, err := c.Next(chunk); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	// PerRun (as AllocsPerRun) runs Next once more than it reports.
	seen := chunk
	allocs := alloctest.PerRun(10, func() {
		x, _, err := c.Next(chunk)
		if err != nil || x.Rows() != chunk {
			t.Fatalf("Next: %v rows, %v", x, err)
		}
		seen += chunk
	})
	// encoding/csv allocates one string per row; nothing else may be.
	if allocs > chunk+8 {
		t.Errorf("Next(%d) makes %.0f allocations, want at most %d", chunk, allocs, chunk+8)
	}
	var last float32
	for {
		x, y, err := c.Next(chunk)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		seen += x.Rows()
		last = y.Data[len(y.Data)-1]
	}
	if seen != rows {
		t.Errorf("read %d rows, want %d", seen, rows)
	}
	if want := float32(rows*cols+7) / 8; last != want {
		t.Errorf("last target %g, want %g", last, want)
	}

	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	// The input is about 7 MB; the reader keeps one chunk (32 KB) and its
	// 64 KB read buffer.
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 1<<20 {
		t.Errorf("live heap grew by %d bytes while streaming %d rows", grown, rows)
	}
	perRow := float64(after.TotalAlloc-before.TotalAlloc) / float64(rows-chunk)
	if perRow > 256 {
		t.Errorf("%.0f bytes allocated per row, want at most 256", perRow)
	}
	t.Logf("%.0f allocations per Next(%d), %.1f bytes allocated per row, live heap %+d bytes",
		allocs, chunk, perRow, int64(after.HeapAlloc)-int64(before.HeapAlloc))
	runtime.KeepAlive(c)
}

func TestCheckLabels(t *testing.T) {
	tests := []struct {
		name   string
		y      *tensor.Tensor
		column string
		want   string // "" for no error
	}{
		{"good (n, 1)", tensor.FromSlice([]float32{0, 9, 3}, 3, 1), "label", ""},
		{"good (n)", tensor.FromSlice([]float32{0, 9, 3}, 3), "label", ""},
		{"empty", tensor.New(0, 1), "label", ""},
		{"out of range", tensor.FromSlice([]float32{0, 1, 10, 11}, 4, 1), "label",
			`train.csv: row 3, column "label": 10 is out of range for 10 classes`},
		{"negative", tensor.FromSlice([]float32{-1}, 1), "label",
			`train.csv: row 1, column "label": -1 is out of range for 10 classes`},
		{"fraction", tensor.FromSlice([]float32{1, 2.5}, 2), "label",
			`train.csv: row 2, column "label": 2.5 is not an integer class label`},
		{"NaN", tensor.FromSlice([]float32{float32(math.NaN())}, 1), "label",
			`train.csv: row 1, column "label": NaN is not an integer class label`},
		{"no column", tensor.FromSlice([]float32{0, 12}, 2), "",
			`train.csv: row 2: 12 is out of range for 10 classes`},
		{"one-hot", tensor.New(2, 10), "label",
			`train.csv, column "label": labels of shape (2, 10): want one label per row`},
		{"nil", nil, "label", `train.csv, column "label": no labels`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckLabels(tt.y, 10, "train.csv", tt.column)
			if tt.want == "" {
				if err != nil {
					t.Errorf("error %v", err)
				}
				return
			}
			if err == nil || err.Error() != tt.want {
				t.Errorf("error\n got %v\nwant %s", err, tt.want)
			}
		})
	}
	if err := CheckLabels(tensor.New(1), 0, "a.csv", "y"); err == nil {
		t.Error("0 classes: no error")
	}
}
