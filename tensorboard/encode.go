package tensorboard

import (
	"encoding/binary"
	"hash/crc32"
	"math"
)

// This file hand-encodes the few protobuf messages of an event file
// (proto3 wire format: fields with zero values are left out, except the
// members of a oneof) and frames them as TFRecords.

// Protobuf wire types.
const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
	wireFixed32 = 5
)

// Field numbers, from tensorflow/core/util/event.proto and
// tensorflow/core/framework/summary.proto.
const (
	eventWallTime    = 1 // double
	eventStep        = 2 // int64
	eventFileVersion = 3 // string, oneof what
	eventSummary     = 5 // Summary, oneof what

	summaryValue = 1 // repeated Summary.Value

	valueTag         = 1 // string
	valueSimpleValue = 2 // float, oneof value
	valueHisto       = 5 // HistogramProto, oneof value

	histoMin         = 1 // double
	histoMax         = 2 // double
	histoNum         = 3 // double
	histoSum         = 4 // double
	histoSumSquares  = 5 // double
	histoBucketLimit = 6 // packed repeated double
	histoBucket      = 7 // packed repeated double
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// maskedCRC is the CRC32C of b, masked as TFRecord does.
func maskedCRC(b []byte) uint32 {
	c := crc32.Checksum(b, castagnoli)
	return ((c >> 15) | (c << 17)) + 0xa282ead8
}

// appendRecord appends data framed as one TFRecord.
func appendRecord(b, data []byte) []byte {
	n := len(b)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(data)))
	b = binary.LittleEndian.AppendUint32(b, maskedCRC(b[n:n+8]))
	b = append(b, data...)
	return binary.LittleEndian.AppendUint32(b, maskedCRC(data))
}

func appendKey(b []byte, field, wire int) []byte {
	return binary.AppendUvarint(b, uint64(field)<<3|uint64(wire))
}

func appendDouble(b []byte, field int, v float64) []byte {
	b = appendKey(b, field, wireFixed64)
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
}

// appendDoubleField leaves out a zero (+0) value, as proto3 does.
func appendDoubleField(b []byte, field int, v float64) []byte {
	if math.Float64bits(v) == 0 {
		return b
	}
	return appendDouble(b, field, v)
}

func appendBytes(b []byte, field int, v []byte) []byte {
	b = appendKey(b, field, wireBytes)
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

func appendString(b []byte, field int, v string) []byte {
	b = appendKey(b, field, wireBytes)
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

func appendPackedDoubles(b []byte, field int, vs []float64) []byte {
	if len(vs) == 0 {
		return b
	}
	b = appendKey(b, field, wireBytes)
	b = binary.AppendUvarint(b, uint64(8*len(vs)))
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b
}

// appendEventHeader appends an Event's wall_time and step.
func appendEventHeader(b []byte, wallTime float64, step int64) []byte {
	b = appendDoubleField(b, eventWallTime, wallTime)
	if step != 0 {
		// int64 is a varint of the two's complement: negative steps take
		// ten bytes.
		b = appendKey(b, eventStep, wireVarint)
		b = binary.AppendUvarint(b, uint64(step))
	}
	return b
}

// appendFileVersionEvent appends Event{wall_time, file_version}.
func appendFileVersionEvent(b []byte, wallTime float64) []byte {
	b = appendEventHeader(b, wallTime, 0)
	return appendString(b, eventFileVersion, FileVersion)
}

// appendSummaryEvent appends Event{wall_time, step, summary}, where values
// is the encoded content of the Summary (its value fields).
func appendSummaryEvent(b []byte, wallTime float64, step int64, values []byte) []byte {
	b = appendEventHeader(b, wallTime, step)
	return appendBytes(b, eventSummary, values)
}

// appendScalarValue appends the Summary field value = Value{tag, simple_value}.
func appendScalarValue(b []byte, tag string, v float32) []byte {
	var val []byte
	val = appendString(val, valueTag, tag)
	val = appendKey(val, valueSimpleValue, wireFixed32)
	val = binary.LittleEndian.AppendUint32(val, math.Float32bits(v))
	return appendBytes(b, summaryValue, val)
}

// appendHistogramValue appends the Summary field value = Value{tag, histo}.
func appendHistogramValue(b []byte, tag string, h histogram) []byte {
	var hp []byte
	hp = appendDoubleField(hp, histoMin, h.min)
	hp = appendDoubleField(hp, histoMax, h.max)
	hp = appendDoubleField(hp, histoNum, h.num)
	hp = appendDoubleField(hp, histoSum, h.sum)
	hp = appendDoubleField(hp, histoSumSquares, h.sumSquares)
	hp = appendPackedDoubles(hp, histoBucketLimit, h.limits)
	hp = appendPackedDoubles(hp, histoBucket, h.counts)
	var val []byte
	val = appendString(val, valueTag, tag)
	val = appendBytes(val, valueHisto, hp)
	return appendBytes(b, summaryValue, val)
}
