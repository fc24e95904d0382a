package mnist

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/neurona/neurona/datasets"
	"github.com/neurona/neurona/tensor"
)

func TestLoad(t *testing.T) {
	start := time.Now()
	train, test, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Load took %v", time.Since(start))
	check := func(name string, got, want []int) {
		t.Helper()
		if !tensor.EqualShape(got, want) {
			t.Errorf("%s shape %v, want %v", name, got, want)
		}
	}
	check("x_train", train.X.Shape, []int{60000, 28, 28})
	check("y_train", train.Y.Shape, []int{60000})
	check("x_test", test.X.Shape, []int{10000, 28, 28})
	check("y_test", test.Y.Shape, []int{10000})

	wantY := []float32{5, 0, 4, 1, 9, 2, 1, 3, 1, 4, 3, 5}
	for i, w := range wantY {
		if train.Y.Data[i] != w {
			t.Errorf("y_train[%d] = %v, want %v", i, train.Y.Data[i], w)
		}
	}
	if test.Y.Data[0] != 7 {
		t.Errorf("y_test[0] = %v, want 7", test.Y.Data[0])
	}
	// Pixels are integers in 0..255 and the images are not blank; labels are
	// digits with every class present.
	for _, s := range []struct {
		name string
		x, y *tensor.Tensor
	}{{"train", train.X, train.Y}, {"test", test.X, test.Y}} {
		var maxPix float32
		var sum float64
		for i, v := range s.x.Data {
			if v < 0 || v > 255 || v != float32(int(v)) {
				t.Fatalf("%s pixel %d = %v", s.name, i, v)
			}
			maxPix = max(maxPix, v)
			sum += float64(v)
		}
		if maxPix != 255 {
			t.Errorf("%s max pixel %v, want 255", s.name, maxPix)
		}
		// MNIST's mean pixel is about 33.3 (0.1307 * 255).
		if mean := sum / float64(len(s.x.Data)); mean < 32 || mean > 35 {
			t.Errorf("%s mean pixel %.2f, want about 33.3", s.name, mean)
		}
		var counts [10]int
		for i, v := range s.y.Data {
			if v < 0 || v > 9 || v != float32(int(v)) {
				t.Fatalf("%s label %d = %v", s.name, i, v)
			}
			counts[int(v)]++
		}
		for d, c := range counts {
			if c < len(s.y.Data)/20 {
				t.Errorf("%s: digit %d appears %d times", s.name, d, c)
			}
		}
	}
	// Exact values from an independent decode (Python's gzip module): pixel
	// sums, row 14 of x_train[0] and x_test[0], the last labels.
	sums := []struct {
		name string
		t    *tensor.Tensor
		want float64
	}{
		{"x_train", train.X, 1567298545}, {"x_test", test.X, 264923200},
		{"y_train", train.Y, 267236}, {"y_test", test.Y, 44434},
	}
	for _, c := range sums {
		var sum float64
		for _, v := range c.t.Data {
			sum += float64(v)
		}
		if sum != c.want {
			t.Errorf("sum(%s) = %.0f, want %.0f", c.name, sum, c.want)
		}
	}
	rows := []struct {
		name string
		got  []float32
		lit  map[int]float32
	}{
		{"x_train[0, 14]", train.X.Data[14*28 : 15*28], map[int]float32{13: 81, 14: 240, 15: 253, 16: 253, 17: 119, 18: 25}},
		{"x_test[0, 14]", test.X.Data[14*28 : 15*28], map[int]float32{16: 59, 17: 249, 18: 254, 19: 62}},
	}
	for _, r := range rows {
		for j, v := range r.got {
			if v != r.lit[j] {
				t.Errorf("%s[%d] = %v, want %v", r.name, j, v, r.lit[j])
			}
		}
	}
	if got := train.Y.Data[59995:]; !slices.Equal(got, []float32{8, 3, 5, 6, 8}) {
		t.Errorf("y_train[-5:] = %v, want [8 3 5 6 8]", got)
	}
}

func TestVerifyCorrupt(t *testing.T) {
	f := files[1]
	data := append([]byte(nil), f.data...)
	data[len(data)/2] ^= 1
	err := verify(file{f.name, data, f.sha256})
	if err == nil || !strings.Contains(err.Error(), "sha256") || !strings.Contains(err.Error(), f.name) {
		t.Fatalf("verify(corrupt) = %v, want a sha256 error naming %s", err, f.name)
	}
	if err := verify(f); err != nil {
		t.Fatalf("verify(embedded) = %v", err)
	}
}

func TestDecodeBadIDX(t *testing.T) {
	data := []byte("\x00\x00\x08\x01\x00\x00\x00\x05\x01\x02") // 5 labels declared, 2 present
	sum := sha256.Sum256(data)
	_, err := decode(file{"x-labels.gz", data, hex.EncodeToString(sum[:])})
	if !errors.Is(err, datasets.ErrTruncated) || !strings.Contains(err.Error(), "x-labels.gz") {
		t.Fatalf("decode(truncated) = %v, want ErrTruncated naming x-labels.gz", err)
	}
}
