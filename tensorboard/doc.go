// Package tensorboard writes TensorBoard event files: scalars and histograms
// that `tensorboard --logdir DIR` plots.
//
// The package knows nothing of models. It takes tags, steps and values, and
// the per-epoch histories that Fit returns, so that a callback (or a user
// after training) can log anything.
//
// # Layout
//
// A Writer owns one event file in one directory, which TensorBoard shows as
// one run. NewRunWriters follows the layout of Keras's TensorBoard callback:
// logdir/train and logdir/validation, so that "epoch_loss" of both runs lands
// in the same chart. WriteHistory writes a History's values that way: "loss"
// goes to train as "epoch_loss", "val_loss" to validation as "epoch_loss".
//
// # File format
//
// An event file is named events.out.tfevents.<unix seconds>.<hostname>.<pid>.<n>
// and is a sequence of TFRecords. Each record is:
//
//	uint64 length (little-endian)
//	uint32 masked CRC32C of the 8 length bytes
//	length bytes of data: a serialized tensorflow.Event protobuf
//	uint32 masked CRC32C of the data
//
// where mask(crc) = ((crc >> 15) | (crc << 17)) + 0xa282ead8. The first
// record holds Event{file_version: "brain.Event:2"}. Every later record holds
// one Event{wall_time, step, summary} whose Summary.Value carries a tag and
// either a simple_value (a scalar) or a HistogramProto (tensorflow's
// event.proto and summary.proto). The protobufs are encoded by hand; the
// package has no dependency outside the standard library.
//
// Histograms use TensorFlow's default bucket limits (0, ±1e-12·1.1^k up to
// 1e20, and ±DBL_MAX) and drop runs of empty buckets as TensorFlow does.
//
// Writes are buffered: call Flush (for example at the end of each epoch) to
// make them visible to a running TensorBoard, and Close when done. A Writer
// is safe for concurrent use.
package tensorboard
