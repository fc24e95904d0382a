package datasets

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/neurona/neurona/internal/nprand"
)

// The sentence polarity data set v1.0 (Pang & Lee, ACL 2005): 5,331
// positive and 5,331 negative Rotten Tomatoes snippets, one per line,
// lower-cased, punctuation split off as tokens, UTF-8.
var (
	//go:embed data/rt-polarity/rt-polarity.pos
	rtPos []byte
	//go:embed data/rt-polarity/rt-polarity.neg
	rtNeg []byte
)

const (
	rtPosSHA256 = "4134882974a28d0c7b5151256f0e33a6169984ee7372c279e673f1114f475d58"
	rtNegSHA256 = "2d11cfbc790f1cd96d78339f41ce53ced1efa83cd22d37d6788fa3fe3d17e2fd"
	// RTPolarityPerClass is the number of sentences of each polarity.
	RTPolarityPerClass = 5331
	// RTPolaritySeed is the seed of RTPolarity's split.
	RTPolaritySeed = 113
	// RTPolarityValidation is the fraction RTPolarity holds out.
	RTPolarityValidation = 0.1
)

// TextSplit is one part of a text data set: Texts[i] has label Labels[i].
type TextSplit struct {
	Texts  []string
	Labels []int
}

// Len returns the number of texts.
func (s TextSplit) Len() int { return len(s.Texts) }

// RTPolarityAll returns the 10,662 sentences unshuffled: the 5,331
// positive ones (label 1) in file order, then the 5,331 negative ones
// (label 0) in file order. Each call returns new slices.
func RTPolarityAll() (TextSplit, error) {
	pos, err := rtLines("rt-polarity.pos", rtPos, rtPosSHA256)
	if err != nil {
		return TextSplit{}, err
	}
	neg, err := rtLines("rt-polarity.neg", rtNeg, rtNegSHA256)
	if err != nil {
		return TextSplit{}, err
	}
	s := TextSplit{Texts: append(pos, neg...), Labels: make([]int, len(pos)+len(neg))}
	for i := range pos {
		s.Labels[i] = 1
	}
	return s, nil
}

// RTPolarity returns the sentence polarity data split 90/10 into training
// and validation sets: RTPolaritySplit(RTPolarityValidation, RTPolaritySeed),
// 9,595 and 1,067 sentences.
func RTPolarity() (train, valid TextSplit, err error) {
	return RTPolaritySplit(RTPolarityValidation, RTPolaritySeed)
}

// RTPolaritySplit shuffles RTPolarityAll's order (positive then negative,
// each in file order) with NumPy's legacy RandomState(seed).shuffle, as
// Keras's loaders do, and returns the first int(10662*(1-validSplit))
// shuffled sentences as the training set and the rest as the validation
// set. validSplit must lie in [0, 1].
func RTPolaritySplit(validSplit float64, seed uint32) (train, valid TextSplit, err error) {
	if !(validSplit >= 0 && validSplit <= 1) {
		return TextSplit{}, TextSplit{}, fmt.Errorf("datasets: RTPolarity: validSplit %v is not in [0, 1]", validSplit)
	}
	all, err := RTPolarityAll()
	if err != nil {
		return TextSplit{}, TextSplit{}, err
	}
	idx := nprand.New(seed).Permutation(all.Len())
	nTrain := int(float64(all.Len()) * (1 - validSplit))
	return all.gather(idx[:nTrain]), all.gather(idx[nTrain:]), nil
}

func (s TextSplit) gather(idx []int) TextSplit {
	out := TextSplit{Texts: make([]string, len(idx)), Labels: make([]int, len(idx))}
	for i, j := range idx {
		out.Texts[i], out.Labels[i] = s.Texts[j], s.Labels[j]
	}
	return out
}

func rtLines(name string, data []byte, sum string) ([]string, error) {
	h := sha256.Sum256(data)
	if hex.EncodeToString(h[:]) != sum {
		return nil, fmt.Errorf("datasets: RTPolarity: embedded %s has sha256 %x, want %s", name, h, sum)
	}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("datasets: RTPolarity: embedded %s is not UTF-8", name)
	}
	lines := strings.Split(string(bytes.TrimSuffix(data, []byte("\n"))), "\n")
	if len(lines) != RTPolarityPerClass {
		return nil, fmt.Errorf("datasets: RTPolarity: embedded %s has %d lines, want %d", name, len(lines), RTPolarityPerClass)
	}
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \r")
	}
	return lines, nil
}
