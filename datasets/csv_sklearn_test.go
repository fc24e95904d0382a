package datasets

import (
	"bytes"
	"compress/gzip"
	"slices"
	"strings"
	"testing"
)

// wantErr checks that err is not nil and holds every part of want.
func wantErrParts(t *testing.T, what string, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want one with %q", what, want)
		return
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: error %q does not say %q", what, err, w)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("%s: error is not one line: %q", what, err)
	}
}

// TestCSVHeaderNotUTF8 checks that a header byte that is not UTF-8 is an
// error naming the file, the column and the byte's offset in the file.
func TestCSVHeaderNotUTF8(t *testing.T) {
	for _, c := range []struct {
		input, column, offset string
	}{
		{"a,b\xff,c\n1,2,3\n", "column 2", "byte offset 3"},
		{"\xef\xbb\xbfa,b\xe9,c\n1,2,3\n", "column 2", "byte offset 6"},  // after a BOM
		{"\"a\",\"b\",\"\xc3(x\"\n1,2,3\n", "column 3", "byte offset 9"}, // quoted, a bad second byte
		{"count line\nx,y\xfez\n1,2\n", "column 2", "byte offset 14"},    // after skip_rows
	} {
		opts := CSVOptions{Name: "h.csv", Targets: []string{"a"}}
		if strings.HasPrefix(c.input, "count") {
			opts.SkipRows, opts.Targets = 1, []string{"x"}
		}
		_, err := ReadCSV(strings.NewReader(c.input), opts)
		wantErrParts(t, c.input, err, "h.csv: ", "not UTF-8", c.column, c.offset)
	}
	// Data cells are numbers: a bad byte there is a cell error, not UTF-8's.
	if _, err := ReadCSV(strings.NewReader("a,b\n1,2\n"), CSVOptions{Targets: []string{"b"}}); err != nil {
		t.Fatal(err)
	}
}

// TestCSVSkipRows checks skip_rows, with line numbers that still count the
// skipped lines, and the errors for a count line taken as the header.
func TestCSVSkipRows(t *testing.T) {
	iris := "150,4,setosa,versicolor,virginica\nsl,sw,pl,pw,species\n5.1,3.5,1.4,0.2,0\n7,3.2,4.7,1.4,1\n"
	s, err := ReadCSV(strings.NewReader(iris), CSVOptions{SkipRows: 1, Targets: []string{"species"}})
	if err != nil {
		t.Fatal(err)
	}
	if s.X.Rows() != 2 || s.X.Data[4] != 7 || s.Y.Data[1] != 1 {
		t.Errorf("X %v, Y %v", s.X.Data, s.Y.Data)
	}
	_, err = ReadCSV(strings.NewReader(iris+"1,2,x,4,0\n"), CSVOptions{Name: "iris.csv", SkipRows: 1, Targets: []string{"species"}})
	wantErrParts(t, "bad cell", err, `iris.csv: line 5, column "pl": "x" is not a number`)
	_, err = ReadCSV(strings.NewReader("a\nb\n"), CSVOptions{Name: "s.csv", SkipRows: 3})
	wantErrParts(t, "too short", err, "s.csv: ", "skip_rows", "3")

	// A count line as the header, wider or narrower than the rows.
	cancer := "569,3,malignant,benign\n1,2,3,0\n"
	_, err = ReadCSV(strings.NewReader("569,30,malignant,benign\n1,2,3,4,5,6\n"), CSVOptions{Name: "bc.csv"})
	wantErrParts(t, "header width", err, "bc.csv: line 2: 6 fields", "the header has 4", "if line 1 is not the header", "skip_rows: 1")
	// As wide as the rows (iris's count line), the numbers are no columns.
	_, err = ReadCSV(strings.NewReader(cancer), CSVOptions{Name: "bc.csv", Targets: []string{"target"}})
	wantErrParts(t, "numeric header", err, `bc.csv: missing column "target"`, "line 1", "skip_rows: 1", "header: false")
	// A later row of the wrong width is that row's mistake, with no hint.
	_, err = ReadCSV(strings.NewReader("a,b\n1,2\n1,2,3\n"), CSVOptions{Name: "r.csv"})
	wantErrParts(t, "later row", err, "r.csv: line 3: 3 fields, the header has 2")
	if err != nil && strings.Contains(err.Error(), "skip_rows") {
		t.Errorf("hint on a later row: %v", err)
	}
}

func gzipped(t *testing.T, s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestCSVGzip checks that gzip-compressed files are read by their magic
// bytes, and that the inflated size is bounded.
func TestCSVGzip(t *testing.T) {
	plain := "\ufeffa,b\n1,2\n3,4\n"
	want, err := ReadCSV(strings.NewReader(plain), CSVOptions{Targets: []string{"b"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadCSV(strings.NewReader(gzipped(t, plain)), CSVOptions{Name: "data.csv", Targets: []string{"b"}})
	if err != nil {
		t.Fatal(err)
	}
	if !equalTensors(got.X, want.X) || !equalTensors(got.Y, want.Y) {
		t.Errorf("gzip: %v %v, want %v %v", got.X, got.Y, want.X, want.Y)
	}
	c, err := NewCSVReader(strings.NewReader(gzipped(t, plain)), CSVOptions{})
	if err != nil || !slices.Equal(c.Columns(), []string{"a", "b"}) {
		t.Errorf("CSVReader on gzip: %v %v", c, err)
	}

	// A bomb: a small file that inflates past the limit.
	bomb := gzipped(t, "a,b\n"+strings.Repeat("1,2\n", 1<<18)) // 1 MB inflated
	_, err = ReadCSV(strings.NewReader(bomb), CSVOptions{Name: "bomb.csv.gz", MaxInflated: 100000})
	wantErrParts(t, "bomb", err, "bomb.csv.gz: ", "more than 100000 bytes", "MaxInflated")
	if _, err := ReadCSV(strings.NewReader(bomb), CSVOptions{}); err != nil {
		t.Errorf("1 MB under the default limit: %v", err)
	}
	if DefaultMaxInflated < 1<<30 {
		t.Errorf("DefaultMaxInflated = %d", DefaultMaxInflated)
	}
	// Damaged files are errors naming the file.
	gz := gzipped(t, plain)
	_, err = ReadCSV(strings.NewReader(gz[:len(gz)-6]), CSVOptions{Name: "cut.csv.gz"})
	wantErrParts(t, "truncated", err, "cut.csv.gz: ", "gzip")
	_, err = ReadCSV(strings.NewReader("\x1f\x8bxx"), CSVOptions{Name: "bad.gz"})
	wantErrParts(t, "bad header", err, "bad.gz: ", "gzip")
}

// TestCSVWhitespace checks the whitespace mode: any run of spaces or tabs
// separates fields, as sklearn's diabetes files are written.
func TestCSVWhitespace(t *testing.T) {
	s, err := ReadCSV(strings.NewReader(" a  b\tc \n1 2\t\t3\r\n\n  4\t 5 6\n"), CSVOptions{Whitespace: true, Targets: []string{"c"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.X.Data, []float32{1, 2, 4, 5}) || !slices.Equal(s.Y.Data, []float32{3, 6}) {
		t.Errorf("X %v, Y %v", s.X.Data, s.Y.Data)
	}
	_, err = ReadCSV(strings.NewReader("a b\n1 2\n\n3 x\n"), CSVOptions{Name: "w.txt", Whitespace: true})
	wantErrParts(t, "cell", err, `w.txt: line 4, column "b": "x" is not a number`)
	_, err = ReadCSV(strings.NewReader("a b\n1 2 3\n"), CSVOptions{Name: "w.txt", Whitespace: true})
	wantErrParts(t, "width", err, "w.txt: line 2: 3 fields")
	s, err = ReadCSV(strings.NewReader("1 2\n3 4\n"), CSVOptions{Whitespace: true, NoHeader: true, Targets: []string{"1"}})
	if err != nil || !slices.Equal(s.X.Data, []float32{1, 3}) {
		t.Errorf("no header: %v %v", s, err)
	}
}

// TestCSVExclude checks that excluded columns are neither features nor
// read.
func TestCSVExclude(t *testing.T) {
	s, err := ReadCSV(strings.NewReader("id,a,b,y\nx1,1,2,3\nx2,4,5,6\n"), CSVOptions{Exclude: []string{"id"}, Targets: []string{"y"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.X.Data, []float32{1, 2, 4, 5}) {
		t.Errorf("X %v", s.X.Data)
	}
	_, err = ReadCSV(strings.NewReader("id,a\n1,2\n"), CSVOptions{Name: "e.csv", Exclude: []string{"ID"}})
	wantErrParts(t, "unknown", err, `e.csv: missing column "ID" (columns: id, a)`)
	_, err = ReadCSV(strings.NewReader("id,a\n1,2\n"), CSVOptions{Name: "e.csv", Exclude: []string{"id"}, Targets: []string{"id"}})
	wantErrParts(t, "target excluded", err, `e.csv: column "id" is both a target and excluded`)
	_, err = ReadCSV(strings.NewReader("id,a\n1,2\n"), CSVOptions{Name: "e.csv", Exclude: []string{"id", "a"}})
	wantErrParts(t, "nothing left", err, "e.csv: no feature columns")
}

// TestCSVStringLabels checks that a target column of names becomes class
// indices in the sorted order of the names, and that known classes map
// the same way.
func TestCSVStringLabels(t *testing.T) {
	iris := "sl,species\n1,virginica\n2,setosa\n3,versicolor\n4,setosa\n"
	s, classes, err := ReadCSVClasses(strings.NewReader(iris), CSVOptions{Targets: []string{"species"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(classes, []string{"setosa", "versicolor", "virginica"}) || !slices.Equal(s.Y.Data, []float32{2, 0, 1, 0}) {
		t.Errorf("classes %v, Y %v", classes, s.Y.Data)
	}
	// Numbers stay numbers.
	s, classes, err = ReadCSVClasses(strings.NewReader("a,y\n1,2\n3,0\n"), CSVOptions{Targets: []string{"y"}})
	if err != nil || classes != nil || !slices.Equal(s.Y.Data, []float32{2, 0}) {
		t.Errorf("numeric: %v %v %v", s, classes, err)
	}
	_, _, err = ReadCSVClasses(strings.NewReader("a,y\n1,cat\n2,3\n"), CSVOptions{Name: "m.csv", Targets: []string{"y"}})
	wantErrParts(t, "mixed", err, `m.csv: line 3, column "y": "3" is a number, but line 2 holds the class name "cat"`)
	_, _, err = ReadCSVClasses(strings.NewReader("a,y\n1,2\n2,3x\n"), CSVOptions{Name: "m.csv", Targets: []string{"y"}})
	wantErrParts(t, "mixed", err, `m.csv: line 3, column "y": "3x" is not a number`)
	_, _, err = ReadCSVClasses(strings.NewReader("a,y\n1,\n"), CSVOptions{Name: "m.csv", Targets: []string{"y"}})
	wantErrParts(t, "empty", err, `m.csv: line 2, column "y": the cell is empty`)

	// Known classes (evaluate): names map to the model's indices.
	opts := CSVOptions{Name: "v.csv", Targets: []string{"species"}, Classes: []string{"setosa", "versicolor", "virginica"}}
	s, err = ReadCSV(strings.NewReader(iris), opts)
	if err != nil || !slices.Equal(s.Y.Data, []float32{2, 0, 1, 0}) {
		t.Errorf("known classes: %v %v", s, err)
	}
	_, err = ReadCSV(strings.NewReader("sl,species\n1,setosa\n2,rose\n"), opts)
	wantErrParts(t, "unknown class", err, `v.csv: line 3, column "species": "rose" is not one of the model's classes (setosa, versicolor, virginica)`)
	c, err := NewCSVReader(strings.NewReader(iris), opts)
	if err == nil {
		_, _, err = c.Next(10)
	}
	if err != nil {
		t.Errorf("CSVReader with classes: %v", err)
	}
}
