package datasets

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/neurona/neurona/tensor"
)

func near(a, b float32) bool {
	return math.Abs(float64(a)-float64(b)) <= 1e-6*math.Max(1, math.Abs(float64(b)))
}

func checkRow(t *testing.T, name string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s has %d values, want %d", name, len(got), len(want))
	}
	for i := range want {
		if !near(got[i], want[i]) {
			t.Errorf("%s[%d] = %v, want %v", name, i, got[i], want[i])
		}
	}
}

// The facts below come from keras.datasets.boston_housing.load_data().
func TestBostonHousingKerasFacts(t *testing.T) {
	train, test, err := BostonHousing()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		got, want []int
	}{
		{"x_train", train.X.Shape, []int{404, 13}},
		{"y_train", train.Y.Shape, []int{404}},
		{"x_test", test.X.Shape, []int{102, 13}},
		{"y_test", test.Y.Shape, []int{102}},
	} {
		if !tensor.EqualShape(c.got, c.want) {
			t.Errorf("%s shape %v, want %v", c.name, c.got, c.want)
		}
	}
	if train.Len() != 404 || test.Len() != 102 {
		t.Errorf("Len() = %d, %d, want 404, 102", train.Len(), test.Len())
	}
	checkRow(t, "y_train[:5]", train.Y.Data[:5], []float32{15.2, 42.3, 50.0, 21.1, 17.7})
	checkRow(t, "y_test[:5]", test.Y.Data[:5], []float32{7.2, 18.8, 19.0, 27.0, 22.2})
	checkRow(t, "x_train[0]", train.X.Row(0), []float32{1.23247, 0, 8.14, 0, 0.538, 6.142, 91.7, 3.9769, 4, 307, 21, 396.9, 18.72})
	checkRow(t, "x_test[42]", test.X.Row(42), []float32{9.32909, 0, 18.1, 0, 0.713, 6.185, 98.7, 2.2616, 24, 666, 20.2, 396.9, 18.13})
	checkRow(t, "y_test[42]", test.Y.Data[42:43], []float32{14.1})

	// The first 10 shuffled indices are 22, 202, 368, 335, 461, 323, 382,
	// 143, 146, 141: training rows 0..9 are those rows of the file.
	x, y, err := parseBoston(bostonCSV)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range []int{22, 202, 368, 335, 461, 323, 382, 143, 146, 141} {
		if !slices.Equal(train.X.Row(i), x.Row(r)) || train.Y.Data[i] != y.Data[r] {
			t.Errorf("train row %d is not file row %d", i, r)
		}
	}
	// File rows (0-based) 0 and 505, to check the parse itself.
	checkRow(t, "file row 0", append(x.Row(0), y.Data[0]), []float32{0.00632, 18, 2.31, 0, 0.538, 6.575, 65.2, 4.09, 1, 296, 15.3, 396.9, 4.98, 24})
	checkRow(t, "file row 505", append(x.Row(505), y.Data[505]), []float32{0.04741, 0, 11.93, 0, 0.573, 6.03, 80.8, 2.505, 1, 273, 21, 396.9, 7.88, 11.9})
}

func TestBostonHousingSplitIsPermutation(t *testing.T) {
	x, y, err := parseBoston(bostonCSV)
	if err != nil {
		t.Fatal(err)
	}
	key := func(row []float32, target float32) string { return fmt.Sprint(row, target) }
	want := map[string]int{}
	for i := range 506 {
		want[key(x.Row(i), y.Data[i])]++
	}
	train, test, err := BostonHousingSplit(0.3, 7)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 354 || test.Len() != 152 { // int(506*0.7) = 354
		t.Fatalf("split 0.3: %d/%d rows, want 354/152", train.Len(), test.Len())
	}
	for _, s := range []Split{train, test} {
		for i := range s.Len() {
			k := key(s.X.Row(i), s.Y.Data[i])
			if want[k] == 0 {
				t.Fatalf("row %v is not in the file (or appears too often)", s.X.Row(i))
			}
			want[k]--
		}
	}
}

func TestBostonHousingSplitSeedsAndEdges(t *testing.T) {
	a, _, err := BostonHousingSplit(0.2, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, _, _ := BostonHousingSplit(0.2, 1)
	c, _, _ := BostonHousingSplit(0.2, 113)
	if !slices.Equal(a.Y.Data, b.Y.Data) {
		t.Error("same seed gave different splits")
	}
	if slices.Equal(a.Y.Data, c.Y.Data) {
		t.Error("seeds 1 and 113 gave the same split")
	}
	// Callers own the tensors: modifying one result leaves the next intact.
	a.X.Data[0] = -1
	if d, _, _ := BostonHousingSplit(0.2, 1); d.X.Data[0] == -1 {
		t.Error("BostonHousingSplit returned shared storage")
	}

	all, none, err := BostonHousingSplit(0, 113)
	if err != nil || all.Len() != 506 || none.Len() != 0 || none.X.Dim(1) != 13 {
		t.Errorf("testSplit 0: %v rows / %v, err %v", all.Len(), none.X, err)
	}
	none, all, err = BostonHousingSplit(1, 113)
	if err != nil || all.Len() != 506 || none.Len() != 0 {
		t.Errorf("testSplit 1: %v / %v rows, err %v", none.Len(), all.Len(), err)
	}
	for _, bad := range []float64{-0.1, 1.5, math.NaN(), math.Inf(1)} {
		if _, _, err := BostonHousingSplit(bad, 113); err == nil || !strings.Contains(err.Error(), "testSplit") {
			t.Errorf("testSplit %v: err = %v, want a testSplit error", bad, err)
		}
	}
}

func TestBostonCorruptData(t *testing.T) {
	data := bytes.Clone(bostonCSV)
	data[100] ^= 1
	_, _, err := parseBoston(data)
	if err == nil || !strings.Contains(err.Error(), "sha256") || !strings.Contains(err.Error(), bostonFile) {
		t.Fatalf("corrupt file: err = %v, want a sha256 error naming %s", err, bostonFile)
	}

	lines := strings.SplitAfter(string(bostonCSV), "\n")
	cases := []struct {
		name, data, want string
	}{
		{"bad number", strings.Replace(string(bostonCSV), "0.00632", "0.0x632", 1), `line 3: column 1: bad number "0.0x632"`},
		{"NaN", strings.Replace(string(bostonCSV), "0.00632", "NaN", 1), `bad number "NaN"`},
		{"missing rows", strings.Join(lines[:100], ""), "98 data rows, want 506"},
		{"extra row", string(bostonCSV) + lines[2], "more than 506 data rows"},
		{"bad header", "505" + string(bostonCSV[3:]), "count header"},
		{"short row", strings.Replace(string(bostonCSV), ",24\n", "\n", 1), "wrong number of fields"},
		{"empty", "", "header"},
	}
	for _, c := range cases {
		_, _, err := parseBostonCSV([]byte(c.data))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to contain %q", c.name, err, c.want)
		}
	}
}
