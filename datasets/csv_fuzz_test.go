package datasets

import (
	"io"
	"math"
	"slices"
	"strings"
	"testing"
)

// fuzzDelimiters are the delimiters FuzzReadCSV picks from.
var fuzzDelimiters = []rune{0, ',', ';', '\t', ' ', '|', 'é', '"', '\n'}

// splitNames splits a "|"-separated list of column names; "" gives none.
func splitNames(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "|")
}

// FuzzReadCSV checks that ReadCSV never panics and that what it returns is
// well formed: X has n×len(features) finite values, Y has n×len(targets)
// finite values (or is nil without targets), and CSVReader, read in chunks,
// returns the same values or the same error.
func FuzzReadCSV(f *testing.F) {
	f.Add("a,b,c\n1,2,3\n4,5,6\n", uint8(0), false, "", "c", uint8(1))
	f.Add("a;b\n1.5;-2e3\n", uint8(2), false, "b", "a", uint8(3))
	f.Add("\ufeffx,y\r\n1,2\r\n\r\n3,4", uint8(1), false, "", "y", uint8(2))
	f.Add("\"a,b\",c\n\"1\", 2\n\"3\n\",x\n", uint8(0), false, "a,b", "c", uint8(1))
	f.Add("1\t2\n3\t4\n", uint8(3), true, "1", "0", uint8(5))
	f.Add("a,b\nnan,1\ninf,1e39\n", uint8(0), false, "", "", uint8(1))
	f.Add("a,a\n1,2\n", uint8(0), false, "", "", uint8(1))
	f.Add("a b c\n1 2  3\n", uint8(4), false, "", "c", uint8(1))
	f.Add("a,b\n1,2,3\n", uint8(0), false, "b|b", "", uint8(1))
	f.Add("", uint8(0), true, "", "", uint8(1))
	f.Fuzz(func(t *testing.T, input string, delim uint8, noHeader bool, features, targets string, chunk uint8) {
		opts := CSVOptions{
			Delimiter: fuzzDelimiters[int(delim)%len(fuzzDelimiters)],
			NoHeader:  noHeader,
			Features:  splitNames(features),
			Targets:   splitNames(targets),
			Name:      "fuzz.csv",
		}
		s, err := ReadCSV(strings.NewReader(input), opts)
		rows := int(chunk%16) + 1
		got, err2 := readAllChunks(input, opts, rows)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.csv: ") || strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line naming the file: %q", err)
			}
			if err2 == nil || err2.Error() != err.Error() {
				t.Errorf("ReadCSV: %v; CSVReader (Next(%d)): %v", err, rows, err2)
			}
			return
		}
		if err2 != nil {
			t.Fatalf("ReadCSV succeeds; CSVReader (Next(%d)): %v", rows, err2)
		}

		c, err := NewCSVReader(strings.NewReader(input), opts)
		if err != nil {
			t.Fatal(err)
		}
		nf := len(c.Columns())
		if len(opts.Features) > 0 && !slices.Equal(c.Columns(), opts.Features) {
			t.Errorf("Columns() = %q, features %q", c.Columns(), opts.Features)
		}
		n := s.Len()
		if n < 1 || nf < 1 || !slices.Equal(s.X.Shape, []int{n, nf}) || len(s.X.Data) != n*nf {
			t.Fatalf("X has shape %v and %d values for %d features", s.X.Shape, len(s.X.Data), nf)
		}
		checkFinite(t, "X", s.X.Data)
		if len(opts.Targets) == 0 {
			if s.Y != nil {
				t.Fatalf("Y = %v without targets", s.Y)
			}
		} else {
			nt := len(opts.Targets)
			if s.Y == nil || !slices.Equal(s.Y.Shape, []int{n, nt}) || len(s.Y.Data) != n*nt {
				t.Fatalf("Y = %v for %d rows of %d targets", s.Y, n, nt)
			}
			checkFinite(t, "Y", s.Y.Data)
		}
		if !equalTensors(got.X, s.X) || !equalTensors(got.Y, s.Y) {
			t.Errorf("CSVReader (Next(%d)) differs from ReadCSV", rows)
		}
		if _, _, err := c.Next(rows); err != nil && err != io.EOF {
			t.Errorf("CSVReader fails after NewCSVReader and ReadCSV succeed: %v", err)
		}
	})
}

// checkFinite fails the test if data holds a NaN or an infinity.
func checkFinite(t *testing.T, name string, data []float32) {
	t.Helper()
	for i, v := range data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatalf("%s[%d] = %g", name, i, v)
		}
	}
}
