package metrics

import (
	"fmt"
	"math"

	"github.com/neurona/neurona/tensor"
)

// InceptionScore is the Inception-score formula of Salimans et al. (2016),
// exp(E_x KL(p(y|x) ‖ p(y))), over the class probabilities p(y|x) of
// generated samples, one row of probs per sample. p(y) is the mean of the
// rows. The score runs from 1 (every sample gets the same distribution)
// to the number of classes (each sample is classified with certainty and
// the classes are equally common). The classifier that gives the rows is
// the caller's: with an MNIST classifier instead of Inception v3 it is the
// "Inception-style" score of the GAN literature on digits.
//
// Rows must be probability distributions (non-negative, summing to 1
// within 1e-3); the sums are computed in float64.
func InceptionScore(probs *tensor.Tensor) (float64, error) {
	n, k, err := probRows(probs)
	if err != nil {
		return 0, err
	}
	py := make([]float64, k)
	for i := range n {
		for j, p := range probs.Data[i*k : (i+1)*k] {
			py[j] += float64(p)
		}
	}
	for j := range py {
		py[j] /= float64(n)
	}
	var kl float64
	for i := range n {
		for j, p := range probs.Data[i*k : (i+1)*k] {
			if p > 0 {
				kl += float64(p) * (math.Log(float64(p)) - math.Log(py[j]))
			}
		}
	}
	return math.Exp(kl / float64(n)), nil
}

// ConfidentClassShares counts the samples whose most probable class has a
// probability of at least threshold ("confident" samples) and returns, for
// each class, its share of those samples (summing to 1, or all 0 when no
// sample is confident), with the number of confident samples. A generator
// that collapses onto a few modes shows it here even when its score is
// high for the modes it draws.
func ConfidentClassShares(probs *tensor.Tensor, threshold float64) (shares []float64, confident int, err error) {
	n, k, err := probRows(probs)
	if err != nil {
		return nil, 0, err
	}
	shares = make([]float64, k)
	for i := range n {
		row := probs.Data[i*k : (i+1)*k]
		best := 0
		for j, p := range row {
			if p > row[best] {
				best = j
			}
		}
		if float64(row[best]) >= threshold {
			shares[best]++
			confident++
		}
	}
	if confident > 0 {
		for j := range shares {
			shares[j] /= float64(confident)
		}
	}
	return shares, confident, nil
}

// probRows checks that probs is (n, k) with n, k ≥ 1 and rows that are
// probability distributions.
func probRows(probs *tensor.Tensor) (n, k int, err error) {
	if probs == nil || probs.Dims() != 2 || probs.Shape[0] < 1 || probs.Shape[1] < 2 {
		var shape []int
		if probs != nil {
			shape = probs.Shape
		}
		return 0, 0, fmt.Errorf("metrics: class probabilities of shape %v, want (samples, classes) with at least 1 sample and 2 classes", shape)
	}
	n, k = probs.Shape[0], probs.Shape[1]
	for i := range n {
		var s float64
		for j, p := range probs.Data[i*k : (i+1)*k] {
			if !(p >= 0) || math.IsInf(float64(p), 0) {
				return 0, 0, fmt.Errorf("metrics: sample %d, class %d: probability %v", i, j, p)
			}
			s += float64(p)
		}
		if math.Abs(s-1) > 1e-3 {
			return 0, 0, fmt.Errorf("metrics: sample %d: probabilities sum to %v, not 1", i, s)
		}
	}
	return n, k, nil
}
