package kerasfmt

import (
	"bytes"
	"strings"
	"testing"
)

func summaryString(t *testing.T, name string, rows []SummaryRow, total, trainable int) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteSummary(&buf, name, rows, total, trainable); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func checkText(t *testing.T, got, want string) {
	t.Helper()
	if got == want {
		return
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < max(len(gl), len(wl)); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Errorf("line %d:\n got %q\nwant %q", i+1, g, w)
		}
	}
	t.Fatalf("output mismatch:\n--- got ---\n%s--- want ---\n%s", got, want)
}

func TestWriteSummaryBatchNormModel(t *testing.T) {
	rows := []SummaryRow{
		{"dense_1", "Dense", []int{32}, 448, nil},
		{"batch_normalization_1", "BatchNormalization", []int{32}, 128, nil},
		{"dense_2", "Dense", []int{16}, 528, nil},
		{"batch_normalization_2", "BatchNormalization", []int{16}, 64, nil},
		{"dropout_1", "Dropout", []int{16}, 0, nil},
		{"dense_3", "Dense", []int{1}, 17, nil},
	}
	want := `Model: "sequential_1"
_________________________________________________________________
Layer (type)                 Output Shape              Param #
=================================================================
dense_1 (Dense)              (None, 32)                448
_________________________________________________________________
batch_normalization_1 (Batch (None, 32)                128
_________________________________________________________________
dense_2 (Dense)              (None, 16)                528
_________________________________________________________________
batch_normalization_2 (Batch (None, 16)                64
_________________________________________________________________
dropout_1 (Dropout)          (None, 16)                0
_________________________________________________________________
dense_3 (Dense)              (None, 1)                 17
=================================================================
Total params: 1,185
Trainable params: 1,089
Non-trainable params: 96
`
	checkText(t, summaryString(t, "sequential_1", rows, 1185, 1089), want)
}

// Keras's examples/mnist_cnn.py model: 4-D shapes, a seven-digit layer
// (Keras 2 prints str(count_params()) in the table, separators only in the
// totals) and "max_pooling2d_1 (MaxPooling2D)" cut to 28 characters.
func TestWriteSummaryMNISTCNN(t *testing.T) {
	rows := []SummaryRow{
		{"conv2d_1", "Conv2D", []int{26, 26, 32}, 320, nil},
		{"conv2d_2", "Conv2D", []int{24, 24, 64}, 18496, nil},
		{"max_pooling2d_1", "MaxPooling2D", []int{12, 12, 64}, 0, nil},
		{"dropout_1", "Dropout", []int{12, 12, 64}, 0, nil},
		{"flatten_1", "Flatten", []int{9216}, 0, nil},
		{"dense_1", "Dense", []int{128}, 1179776, nil},
		{"dropout_2", "Dropout", []int{128}, 0, nil},
		{"dense_2", "Dense", []int{10}, 1290, nil},
	}
	want := `Model: "sequential_1"
_________________________________________________________________
Layer (type)                 Output Shape              Param #
=================================================================
conv2d_1 (Conv2D)            (None, 26, 26, 32)        320
_________________________________________________________________
conv2d_2 (Conv2D)            (None, 24, 24, 64)        18496
_________________________________________________________________
max_pooling2d_1 (MaxPooling2 (None, 12, 12, 64)        0
_________________________________________________________________
dropout_1 (Dropout)          (None, 12, 12, 64)        0
_________________________________________________________________
flatten_1 (Flatten)          (None, 9216)              0
_________________________________________________________________
dense_1 (Dense)              (None, 128)               1179776
_________________________________________________________________
dropout_2 (Dropout)          (None, 128)               0
_________________________________________________________________
dense_2 (Dense)              (None, 10)                1290
=================================================================
Total params: 1,199,882
Trainable params: 1,199,882
Non-trainable params: 0
`
	checkText(t, summaryString(t, "sequential_1", rows, 1199882, 1199882), want)
}

// Every column is cut by print_row: a name longer than column 1, a shape
// longer than column 2 (its last kept character becomes the separating
// space, here doubling the one after the comma) and a count longer than the
// last column.
func TestWriteSummaryTruncation(t *testing.T) {
	rows := []SummaryRow{
		{"a_really_long_layer_name_that_overflows", "Dense", []int{1}, 1, nil},
		{"x", "Y", []int{1000000, 1000000, 1000000, 1000000}, 12345678901, nil},
		{"çà_ünïcödé_name_with_accents_x", "Dense", []int{-1, 3}, 7, nil},
	}
	want := `Model: "m"
_________________________________________________________________
Layer (type)                 Output Shape              Param #
=================================================================
a_really_long_layer_name_tha (None, 1)                 1
_________________________________________________________________
x (Y)                        (None, 1000000, 1000000,  1234567890
_________________________________________________________________
çà_ünïcödé_name_with_accents (None, None, 3)           7
=================================================================
Total params: 12,345,678,909
Trainable params: 0
Non-trainable params: 12,345,678,909
`
	// The accented row: 27 runes kept, then the 28th ("s") was cut by the
	// 29-character column and its 29th replaced by a space, counted in runes.
	want = strings.Replace(want, "çà_ünïcödé_name_with_accents (None, None, 3)           7",
		"çà_ünïcödé_name_with_accents (None, None, 3)           7", 1)
	checkText(t, summaryString(t, "m", rows, 12345678909, 0), want)
	for _, line := range strings.Split(summaryString(t, "m", rows, 12345678909, 0), "\n") {
		if n := len([]rune(line)); n > summaryLineLength {
			t.Errorf("line %q has %d characters, more than %d", line, n, summaryLineLength)
		}
	}
}

func TestWriteSummaryEmpty(t *testing.T) {
	want := `Model: "empty"
_________________________________________________________________
Layer (type)                 Output Shape              Param #
=================================================================
Total params: 0
Trainable params: 0
Non-trainable params: 0
`
	checkText(t, summaryString(t, "empty", nil, 0, 0), want)
}

func TestAppendShape(t *testing.T) {
	for _, c := range []struct {
		shape []int
		want  string
	}{
		{nil, "(None,)"},
		{[]int{32}, "(None, 32)"},
		{[]int{28, 28, 1}, "(None, 28, 28, 1)"},
		{[]int{-1, 0, 5}, "(None, None, 0, 5)"},
	} {
		if got := string(AppendShape(nil, c.shape)); got != c.want {
			t.Errorf("AppendShape(%v) = %q, want %q", c.shape, got, c.want)
		}
	}
}

func TestAppendThousands(t *testing.T) {
	for _, c := range []struct {
		n    int
		want string
	}{
		{0, "0"}, {7, "7"}, {999, "999"}, {1000, "1,000"}, {1185, "1,185"},
		{1199882, "1,199,882"}, {100000, "100,000"}, {-1234567, "-1,234,567"},
	} {
		if got := string(appendThousands(nil, c.n)); got != c.want {
			t.Errorf("appendThousands(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	f.n++
	return 0, errWrite
}

type writeErr struct{}

func (writeErr) Error() string { return "write failed" }

var errWrite error = writeErr{}

func TestWriteSummaryError(t *testing.T) {
	fw := &failWriter{}
	if err := WriteSummary(fw, "m", nil, 0, 0); err != errWrite {
		t.Fatalf("err = %v, want %v", err, errWrite)
	}
	if fw.n != 1 {
		t.Fatalf("WriteSummary made %d writes, want 1", fw.n)
	}
}
