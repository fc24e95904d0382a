// Package preprocessing prepares data for training, with the names of Keras
// and scikit-learn: ToCategorical (one-hot labels), Flatten, Scale and
// Standardizer (feature-wise standardization, like sklearn's StandardScaler).
package preprocessing

import (
	"errors"
	"fmt"
	"math"

	"github.com/neurona/neurona/tensor"
)

// maxLabel is the largest class index ToCategorical accepts: float32 holds
// every integer up to 2^24 exactly, and none much beyond.
const maxLabel = 1 << 24

// ToCategorical converts integer class labels to one-hot rows, as Keras's
// keras.utils.to_categorical does. y holds the labels as float32 integers;
// the result has y's shape plus a last dimension of numClasses (a trailing
// dimension of 1 in y, as in (n, 1), is dropped first, so (n,) and (n, 1)
// both give (n, numClasses)). numClasses 0 means max(y)+1.
//
// It returns an error, naming the element, for a label that is not a
// non-negative integer below numClasses, and for a negative numClasses.
func ToCategorical(y *tensor.Tensor, numClasses int) (*tensor.Tensor, error) {
	if y == nil {
		return nil, errors.New("preprocessing: ToCategorical: y is nil")
	}
	if numClasses < 0 {
		return nil, fmt.Errorf("preprocessing: ToCategorical: numClasses %d is negative", numClasses)
	}
	if numClasses > maxLabel {
		return nil, fmt.Errorf("preprocessing: ToCategorical: numClasses %d is more than %d", numClasses, maxLabel)
	}
	maxY := -1
	for i, v := range y.Data {
		var what string
		switch {
		case v != v:
			what = "is NaN"
		case float64(v) != math.Trunc(float64(v)):
			what = "is not an integer"
		case v < 0:
			what = "is negative"
		case numClasses > 0 && v >= float32(numClasses):
			what = fmt.Sprintf("is not below numClasses %d", numClasses)
		case v > maxLabel:
			what = fmt.Sprintf("is more than %d", maxLabel)
		default:
			maxY = max(maxY, int(v))
			continue
		}
		return nil, fmt.Errorf("preprocessing: ToCategorical: label %v at %s %s", v, index(y.Shape, i), what)
	}
	if numClasses == 0 {
		if maxY < 0 {
			return nil, errors.New("preprocessing: ToCategorical: cannot infer numClasses from an empty y; pass numClasses")
		}
		numClasses = maxY + 1
	}
	shape := y.Shape
	if len(shape) > 1 && shape[len(shape)-1] == 1 {
		shape = shape[:len(shape)-1]
	}
	outShape := append(append(make([]int, 0, len(shape)+1), shape...), numClasses)
	if len(y.Data) > 0 && numClasses > math.MaxInt/len(y.Data) {
		return nil, fmt.Errorf("preprocessing: ToCategorical: result of shape %s is too large", tensor.ShapeString(outShape))
	}
	out := tensor.New(outShape...)
	for i, v := range y.Data {
		out.Data[i*numClasses+int(v)] = 1
	}
	return out, nil
}

// index formats flat element i of a tensor of the given shape: "row 3" for a
// 1-D tensor, "index [2 1]" otherwise.
func index(shape []int, i int) string {
	if len(shape) == 1 {
		return fmt.Sprintf("row %d", i)
	}
	idx := make([]int, len(shape))
	for d := len(shape) - 1; d >= 0; d-- {
		if shape[d] > 0 {
			idx[d] = i % shape[d]
			i /= shape[d]
		}
	}
	return fmt.Sprintf("index %v", idx)
}

// Flatten returns a view of x with shape (n, a*b*...) for x of shape
// (n, a, b, ...), as Keras's Flatten layer reshapes a batch. The view shares
// x's data. A 1-D x of shape (n,) gives (n, 1) and a scalar gives (1, 1).
// x must not be nil.
func Flatten(x *tensor.Tensor) *tensor.Tensor {
	if x.Dims() == 0 {
		return x.Reshape(1, 1)
	}
	return x.Reshape(x.Dim(0), x.RowSize())
}

// Scale multiplies every element of x by factor in place and returns x, so
// that pixels can be scaled without a copy: Scale(x, 1.0/255) maps 0..255 to
// 0..1. Clone x first to keep the original. x must not be nil.
func Scale(x *tensor.Tensor, factor float32) *tensor.Tensor {
	for i := range x.Data {
		x.Data[i] *= factor
	}
	return x
}

// Standardizer standardizes features to mean 0 and standard deviation 1,
// like scikit-learn's StandardScaler and the mean/std normalization of
// Keras's Boston housing example: Fit learns each feature's mean and
// standard deviation from the training data, and Transform maps any data
// (training, validation or test) with those same statistics, as
// (x - Mean) / Std.
//
// A feature is one position in a sample: x of shape (n, a, b, ...) has a*b*...
// features, and a 1-D x of shape (n,) has one. The zero value is ready to Fit.
type Standardizer struct {
	// Mean holds each feature's mean over the fitted samples.
	Mean []float32
	// Std holds each feature's population standard deviation (ddof 0, as
	// NumPy's std) over the fitted samples. A constant feature gets Std 1
	// instead of 0, so that Transform maps it to 0 rather than to NaN.
	Std []float32
}

// Fit computes Mean and Std from x, which must have at least one sample and
// only finite values. Statistics are accumulated in float64.
func (s *Standardizer) Fit(x *tensor.Tensor) error {
	if x == nil {
		return errors.New("preprocessing: Standardizer.Fit: x is nil")
	}
	if x.Dims() == 0 || x.Dim(0) == 0 {
		return fmt.Errorf("preprocessing: Standardizer.Fit: x of shape %s has no samples", tensor.ShapeString(x.Shape))
	}
	n, f := x.Dim(0), x.RowSize()
	sum := make([]float64, f)
	for r := range n {
		for j, v := range x.Row(r) {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("preprocessing: Standardizer.Fit: value %v at row %d, feature %d", v, r, j)
			}
			sum[j] += float64(v)
		}
	}
	mean := make([]float64, f)
	for j := range mean {
		mean[j] = sum[j] / float64(n)
	}
	ss := make([]float64, f)
	for r := range n {
		for j, v := range x.Row(r) {
			d := float64(v) - mean[j]
			ss[j] += d * d
		}
	}
	s.Mean = make([]float32, f)
	s.Std = make([]float32, f)
	for j := range f {
		s.Mean[j] = float32(mean[j])
		std := float32(math.Sqrt(ss[j] / float64(n)))
		if std == 0 {
			std = 1
		}
		s.Std[j] = std
	}
	return nil
}

// check reports whether s is fitted and x has its number of features.
func (s *Standardizer) check(op string, x *tensor.Tensor) error {
	if len(s.Mean) == 0 || len(s.Std) != len(s.Mean) {
		return fmt.Errorf("preprocessing: Standardizer.%s: call Fit first", op)
	}
	if x == nil {
		return fmt.Errorf("preprocessing: Standardizer.%s: x is nil", op)
	}
	if x.Dims() == 0 || x.RowSize() != len(s.Mean) {
		return fmt.Errorf("preprocessing: Standardizer.%s: x of shape %s has %d features per sample, fitted on %d",
			op, tensor.ShapeString(x.Shape), rowSize(x), len(s.Mean))
	}
	for j, sd := range s.Std {
		if !(sd > 0) || math.IsInf(float64(sd), 0) {
			return fmt.Errorf("preprocessing: Standardizer.%s: Std[%d] = %v is not positive and finite", op, j, sd)
		}
	}
	return nil
}

func rowSize(x *tensor.Tensor) int {
	if x.Dims() == 0 {
		return 1
	}
	return x.RowSize()
}

// Transform returns a new tensor (x - Mean) / Std, feature by feature; x
// itself is not changed. x must have the fitted number of features per
// sample.
func (s *Standardizer) Transform(x *tensor.Tensor) (*tensor.Tensor, error) {
	if err := s.check("Transform", x); err != nil {
		return nil, err
	}
	out := tensor.New(x.Shape...)
	f := len(s.Mean)
	for i, v := range x.Data {
		j := i % f
		out.Data[i] = (v - s.Mean[j]) / s.Std[j]
	}
	return out, nil
}

// FitTransform fits s on x and returns x transformed.
func (s *Standardizer) FitTransform(x *tensor.Tensor) (*tensor.Tensor, error) {
	if err := s.Fit(x); err != nil {
		return nil, err
	}
	return s.Transform(x)
}

// InverseTransform returns a new tensor x*Std + Mean, undoing Transform (for
// example to report standardized predictions in the original units).
func (s *Standardizer) InverseTransform(x *tensor.Tensor) (*tensor.Tensor, error) {
	if err := s.check("InverseTransform", x); err != nil {
		return nil, err
	}
	out := tensor.New(x.Shape...)
	f := len(s.Mean)
	for i, v := range x.Data {
		j := i % f
		out.Data[i] = v*s.Std[j] + s.Mean[j]
	}
	return out, nil
}
