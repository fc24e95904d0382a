package layers

import "github.com/neurona/neurona/tensor"

// Masks. Keras 2.2 carries a sequence mask, (batch, steps), beside a
// layer's output: Embedding(mask_zero=True) makes one (1 where the id is
// not 0), the layers that support masking pass it on unchanged (Dropout,
// SpatialDropout1D, Activation, TimeDistributed, Dense, BatchNormalization), the recurrent layers and
// Bidirectional consume it (SequenceMasker) and pass it on only when they
// return sequences, GlobalAveragePooling1D consumes it (the mean over the
// unmasked steps, as Keras 2.2.3), the merge layers combine their inputs'
// masks (MaskMerger), and any other layer that receives one is refused when
// the model is built. Models do the carrying; layers only say what they do.

// MaskProducer is implemented by layers that may compute a mask from
// their input: Embedding with MaskZero.
type MaskProducer interface {
	Layer
	// ProducesMask reports whether the layer, as configured, makes a mask.
	ProducesMask() bool
	// ComputeMask writes the mask for the input x into dst, which has
	// x's shape (batch, steps).
	ComputeMask(x, dst *tensor.Tensor)
}

// MaskPasser is implemented by the layers that pass their input's mask on
// unchanged, as Keras's supports_masking with the default compute_mask.
type MaskPasser interface {
	Layer
	PassesMask() bool
}

// ProducesMask implements MaskProducer.
func (l *Embedding) ProducesMask() bool { return l.MaskZero }

// ComputeMask implements MaskProducer: 1 where the id is not 0.
func (l *Embedding) ComputeMask(x, dst *tensor.Tensor) {
	for i, v := range x.Data {
		if v != 0 {
			dst.Data[i] = 1
		} else {
			dst.Data[i] = 0
		}
	}
}

// PassesMask implements MaskPasser.
func (*Dropout) PassesMask() bool { return true }

// PassesMask implements MaskPasser.
func (*SpatialDropout1D) PassesMask() bool { return true }

// PassesMask implements MaskPasser.
func (*Activation) PassesMask() bool { return true }

// PassesMask implements MaskPasser.
func (*TimeDistributed) PassesMask() bool { return true }

// PassesMask implements MaskPasser: Keras 2.2's Dense supports masking
// (applied to each step of a sequence, the mask unchanged).
func (*Dense) PassesMask() bool { return true }

// PassesMask implements MaskPasser: Keras 2.2's BatchNormalization
// supports masking; its statistics are over every step, padded ones
// included, as in Keras.
func (*BatchNormalization) PassesMask() bool { return true }
