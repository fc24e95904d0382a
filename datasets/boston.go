package datasets

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/neurona/neurona/internal/nprand"
	"github.com/neurona/neurona/tensor"
)

// bostonCSV is the Boston housing data as shipped by scikit-learn (Debian's
// python3-sklearn): a count header line, a column-name line, then 506 rows of
// 13 features and the target MEDV.
//
//go:embed data/boston_house_prices.csv
var bostonCSV []byte

const (
	bostonSHA256   = "d98212636026544fc9b9c0f372e5f819872e6fa6fa757ab025efdda22180f2d6"
	bostonRows     = 506
	bostonFeatures = 13
	bostonFile     = "data/boston_house_prices.csv"
)

// BostonHousing returns the Boston housing data split as Keras's
// keras.datasets.boston_housing.load_data() splits it with its defaults
// (test_split 0.2, seed 113): 404 training and 102 test samples. X has shape
// (n, 13) and Y, the median home value in $1000s, has shape (n,).
func BostonHousing() (train, test Split, err error) {
	return BostonHousingSplit(0.2, 113)
}

// BostonHousingSplit returns the Boston housing data split as
// keras.datasets.boston_housing.load_data(test_split=testSplit, seed=seed)
// splits it: the 506 row indices are shuffled by NumPy's legacy
// RandomState(seed).shuffle, the first int(506*(1-testSplit)) shuffled rows
// form the training set and the rest the test set. testSplit must lie in
// [0, 1]. Each call returns new tensors that the caller may modify.
func BostonHousingSplit(testSplit float64, seed uint32) (train, test Split, err error) {
	if !(testSplit >= 0 && testSplit <= 1) {
		return Split{}, Split{}, fmt.Errorf("datasets: BostonHousing: testSplit %v is not in [0, 1]", testSplit)
	}
	x, y, err := parseBoston(bostonCSV)
	if err != nil {
		return Split{}, Split{}, err
	}
	idx := make([]int, bostonRows)
	for i := range idx {
		idx[i] = i
	}
	nprand.New(seed).Shuffle(idx)
	nTrain := int(float64(bostonRows) * (1 - testSplit))
	train = gatherSplit(x, y, idx[:nTrain])
	test = gatherSplit(x, y, idx[nTrain:])
	return train, test, nil
}

func gatherSplit(x, y *tensor.Tensor, idx []int) Split {
	s := Split{X: tensor.New(len(idx), x.Dim(1)), Y: tensor.New(len(idx))}
	tensor.GatherRows(s.X, x, idx)
	for i, r := range idx {
		s.Y.Data[i] = y.Data[r]
	}
	return s
}

// parseBoston checks data's sha256 and parses it into X (506, 13) and Y (506,)
// in file order.
func parseBoston(data []byte) (x, y *tensor.Tensor, err error) {
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != bostonSHA256 {
		return nil, nil, fmt.Errorf("datasets: embedded %s is corrupt: sha256 %s, want %s", bostonFile, got, bostonSHA256)
	}
	return parseBostonCSV(data)
}

// parseBostonCSV parses the Boston CSV layout without checking its hash.
func parseBostonCSV(data []byte) (x, y *tensor.Tensor, err error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = bostonFeatures + 1
	r.ReuseRecord = true
	fail := func(line int, format string, args ...any) error {
		return fmt.Errorf("datasets: %s line %d: %s", bostonFile, line, fmt.Sprintf(format, args...))
	}
	head, err := r.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("datasets: %s: header: %w", bostonFile, err)
	}
	if head[0] != strconv.Itoa(bostonRows) || head[1] != strconv.Itoa(bostonFeatures) {
		return nil, nil, fail(1, "count header %q,%q, want %d,%d", head[0], head[1], bostonRows, bostonFeatures)
	}
	if _, err := r.Read(); err != nil { // column names
		return nil, nil, fmt.Errorf("datasets: %s: column names: %w", bostonFile, err)
	}
	x = tensor.New(bostonRows, bostonFeatures)
	y = tensor.New(bostonRows)
	for i := 0; ; i++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			if i != bostonRows {
				return nil, nil, fmt.Errorf("datasets: %s: %d data rows, want %d", bostonFile, i, bostonRows)
			}
			return x, y, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("datasets: %s: %w", bostonFile, err)
		}
		if i >= bostonRows {
			return nil, nil, fail(i+3, "more than %d data rows", bostonRows)
		}
		for j, s := range rec {
			// Parse as float64 and round once to float32, as NumPy's
			// float64 → float32 cast of Keras's data does.
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, nil, fail(i+3, "column %d: bad number %q", j+1, s)
			}
			if j < bostonFeatures {
				x.Data[i*bostonFeatures+j] = float32(v)
			} else {
				y.Data[i] = float32(v)
			}
		}
	}
}
