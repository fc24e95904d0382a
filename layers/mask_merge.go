package layers

import "github.com/neurona/neurona/tensor"

// MaskMerger is implemented by the merge layers, which take masked inputs
// as Keras 2.2's merge layers do: Add, Subtract, Multiply, Average,
// Maximum and Minimum (_Merge.compute_mask) give the logical AND of their
// inputs' masks, Concatenate the AND of the masks along the features
// (an unmasked input counting as all ones) or, joining along the steps,
// the masks joined the same way, and Dot no mask. The values are computed
// as without masks.
type MaskMerger interface {
	MultiInput
	// MergesMasks reports whether the output carries a mask when an
	// input does (false for Dot).
	MergesMasks() bool
	// MergeMasks writes the output's mask, (batch, the output's steps),
	// into dst from the inputs' masks (nil for an unmasked input) and
	// the inputs' values xs.
	MergeMasks(xs, masks []*tensor.Tensor, dst *tensor.Tensor)
}

// andMasks writes the AND of the non-nil masks into dst (1 where every
// one is non-zero).
func andMasks(masks []*tensor.Tensor, dst *tensor.Tensor) {
	for i := range dst.Data {
		dst.Data[i] = 1
	}
	for _, m := range masks {
		if m == nil {
			continue
		}
		for i, v := range m.Data {
			if v == 0 {
				dst.Data[i] = 0
			}
		}
	}
}

// MergesMasks implements MaskMerger.
func (*Add) MergesMasks() bool { return true }

// MergeMasks implements MaskMerger: the AND of the masks.
func (*Add) MergeMasks(_, masks []*tensor.Tensor, dst *tensor.Tensor) { andMasks(masks, dst) }

// MergesMasks implements MaskMerger.
func (*Subtract) MergesMasks() bool { return true }

// MergeMasks implements MaskMerger: the AND of the masks.
func (*Subtract) MergeMasks(_, masks []*tensor.Tensor, dst *tensor.Tensor) { andMasks(masks, dst) }

// MergesMasks implements MaskMerger.
func (*Multiply) MergesMasks() bool { return true }

// MergeMasks implements MaskMerger: the AND of the masks.
func (*Multiply) MergeMasks(_, masks []*tensor.Tensor, dst *tensor.Tensor) { andMasks(masks, dst) }

// MergesMasks implements MaskMerger.
func (*Average) MergesMasks() bool { return true }

// MergeMasks implements MaskMerger: the AND of the masks.
func (*Average) MergeMasks(_, masks []*tensor.Tensor, dst *tensor.Tensor) { andMasks(masks, dst) }

// MergesMasks implements MaskMerger.
func (*Maximum) MergesMasks() bool { return true }

// MergeMasks implements MaskMerger: the AND of the masks.
func (*Maximum) MergeMasks(_, masks []*tensor.Tensor, dst *tensor.Tensor) { andMasks(masks, dst) }

// MergesMasks implements MaskMerger.
func (*Minimum) MergesMasks() bool { return true }

// MergeMasks implements MaskMerger: the AND of the masks.
func (*Minimum) MergeMasks(_, masks []*tensor.Tensor, dst *tensor.Tensor) { andMasks(masks, dst) }

// MergesMasks implements MaskMerger: Keras's Dot returns no mask.
func (*Dot) MergesMasks() bool { return false }

// MergeMasks implements MaskMerger; Dot's output has no mask.
func (*Dot) MergeMasks(_, _ []*tensor.Tensor, _ *tensor.Tensor) {}

// MergesMasks implements MaskMerger.
func (*Concatenate) MergesMasks() bool { return true }

// MergeMasks implements MaskMerger: along the steps (axis 1) the masks are
// joined, an unmasked input's steps all 1; along another axis, the AND of
// the masks.
func (l *Concatenate) MergeMasks(xs, masks []*tensor.Tensor, dst *tensor.Tensor) {
	if ax, _ := l.AxisFor(xs[0].Dims()); ax != 1 {
		andMasks(masks, dst)
		return
	}
	b, steps := dst.Shape[0], dst.Shape[1]
	at := 0
	for k, x := range xs {
		t := x.Shape[1]
		for n := 0; n < b; n++ {
			row := dst.Data[n*steps+at : n*steps+at+t]
			if masks[k] == nil {
				for i := range row {
					row[i] = 1
				}
			} else {
				copy(row, masks[k].Data[n*t:n*t+t])
			}
		}
		at += t
	}
}
