package tensorboard_test

// An event-file reader written from the published formats (TFRecord framing,
// the protobuf wire format, tensorflow's event.proto and summary.proto). It
// shares no code with the writer: it has its own CRC32C, its own varint and
// field decoder, and its own field numbers.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// crc32c is CRC-32C (Castagnoli), computed bit by bit with the reflected
// polynomial 0x82F63B78.
func crc32c(b []byte) uint32 {
	c := ^uint32(0)
	for _, x := range b {
		c ^= uint32(x)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ 0x82F63B78
			} else {
				c >>= 1
			}
		}
	}
	return ^c
}

// maskCRC is TFRecord's CRC mask.
func maskCRC(c uint32) uint32 { return ((c >> 15) | (c << 17)) + 0xa282ead8 }

var (
	errTruncated = errors.New("truncated record")
	errLengthCRC = errors.New("length CRC mismatch")
	errDataCRC   = errors.New("data CRC mismatch")
)

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func le64(b []byte) uint64 {
	return uint64(le32(b)) | uint64(le32(b[4:]))<<32
}

// readRecords splits a TFRecord file into its records, verifying both CRCs
// of each.
func readRecords(b []byte) ([][]byte, error) {
	var recs [][]byte
	for off := 0; len(b) > 0; off++ {
		if len(b) < 12 {
			return nil, fmt.Errorf("record %d: %w", off, errTruncated)
		}
		if maskCRC(crc32c(b[:8])) != le32(b[8:12]) {
			return nil, fmt.Errorf("record %d: %w", off, errLengthCRC)
		}
		n := le64(b[:8])
		if n > uint64(len(b)-16) {
			return nil, fmt.Errorf("record %d: %w", off, errTruncated)
		}
		data := b[12 : 12+n]
		if maskCRC(crc32c(data)) != le32(b[12+n:16+n]) {
			return nil, fmt.Errorf("record %d: %w", off, errDataCRC)
		}
		recs = append(recs, data)
		b = b[16+n:]
	}
	return recs, nil
}

// pbField is one decoded protobuf field.
type pbField struct {
	num  int
	wire int
	u    uint64 // varint, fixed64 or fixed32 payload
	b    []byte // length-delimited payload
}

func readVarint(b []byte) (uint64, int, error) {
	var v uint64
	for i := 0; i < len(b) && i < 10; i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			return v, i + 1, nil
		}
	}
	return 0, 0, errors.New("bad varint")
}

func decodeFields(b []byte) ([]pbField, error) {
	var fs []pbField
	for len(b) > 0 {
		key, n, err := readVarint(b)
		if err != nil {
			return nil, err
		}
		b = b[n:]
		f := pbField{num: int(key >> 3), wire: int(key & 7)}
		switch f.wire {
		case 0:
			f.u, n, err = readVarint(b)
			if err != nil {
				return nil, err
			}
			b = b[n:]
		case 1:
			if len(b) < 8 {
				return nil, errors.New("short fixed64")
			}
			f.u, b = le64(b), b[8:]
		case 2:
			l, n, err := readVarint(b)
			if err != nil {
				return nil, err
			}
			b = b[n:]
			if l > uint64(len(b)) {
				return nil, errors.New("short bytes field")
			}
			f.b, b = b[:l], b[l:]
		case 5:
			if len(b) < 4 {
				return nil, errors.New("short fixed32")
			}
			f.u, b = uint64(le32(b)), b[4:]
		default:
			return nil, fmt.Errorf("field %d: unsupported wire type %d", f.num, f.wire)
		}
		fs = append(fs, f)
	}
	return fs, nil
}

type event struct {
	wallTime    float64
	step        int64
	fileVersion string
	summary     []summaryValue // nil unless the event holds a summary
}

type summaryValue struct {
	tag       string
	hasSimple bool
	simple    float32
	histo     *histoProto
}

type histoProto struct {
	min, max, num, sum, sumSquares float64
	limits, counts                 []float64
}

func wantWire(f pbField, wire int) error {
	if f.wire != wire {
		return fmt.Errorf("field %d: wire type %d, want %d", f.num, f.wire, wire)
	}
	return nil
}

func decodeEvent(b []byte) (event, error) {
	var ev event
	fs, err := decodeFields(b)
	if err != nil {
		return ev, err
	}
	for _, f := range fs {
		switch f.num {
		case 1: // double wall_time
			err = wantWire(f, 1)
			ev.wallTime = math.Float64frombits(f.u)
		case 2: // int64 step
			err = wantWire(f, 0)
			ev.step = int64(f.u)
		case 3: // string file_version
			err = wantWire(f, 2)
			ev.fileVersion = string(f.b)
		case 5: // Summary summary
			if err = wantWire(f, 2); err == nil {
				ev.summary, err = decodeSummary(f.b)
			}
		default:
			err = fmt.Errorf("Event: unexpected field %d", f.num)
		}
		if err != nil {
			return ev, err
		}
	}
	return ev, nil
}

func decodeSummary(b []byte) ([]summaryValue, error) {
	fs, err := decodeFields(b)
	if err != nil {
		return nil, err
	}
	vs := []summaryValue{}
	for _, f := range fs {
		if f.num != 1 { // repeated Value value
			return nil, fmt.Errorf("Summary: unexpected field %d", f.num)
		}
		if err := wantWire(f, 2); err != nil {
			return nil, err
		}
		v, err := decodeValue(f.b)
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	return vs, nil
}

func decodeValue(b []byte) (summaryValue, error) {
	var v summaryValue
	fs, err := decodeFields(b)
	if err != nil {
		return v, err
	}
	for _, f := range fs {
		switch f.num {
		case 1: // string tag
			err = wantWire(f, 2)
			v.tag = string(f.b)
		case 2: // float simple_value
			err = wantWire(f, 5)
			v.hasSimple = true
			v.simple = math.Float32frombits(uint32(f.u))
		case 5: // HistogramProto histo
			if err = wantWire(f, 2); err == nil {
				v.histo, err = decodeHisto(f.b)
			}
		default:
			err = fmt.Errorf("Summary.Value: unexpected field %d", f.num)
		}
		if err != nil {
			return v, err
		}
	}
	return v, nil
}

// appendDoubles decodes a repeated double, packed or not.
func appendDoubles(dst []float64, f pbField) ([]float64, error) {
	switch f.wire {
	case 1:
		return append(dst, math.Float64frombits(f.u)), nil
	case 2:
		if len(f.b)%8 != 0 {
			return nil, fmt.Errorf("field %d: packed doubles of %d bytes", f.num, len(f.b))
		}
		for i := 0; i < len(f.b); i += 8 {
			dst = append(dst, math.Float64frombits(le64(f.b[i:])))
		}
		return dst, nil
	}
	return nil, fmt.Errorf("field %d: wire type %d for repeated double", f.num, f.wire)
}

func decodeHisto(b []byte) (*histoProto, error) {
	h := &histoProto{}
	fs, err := decodeFields(b)
	if err != nil {
		return nil, err
	}
	for _, f := range fs {
		scalars := map[int]*float64{1: &h.min, 2: &h.max, 3: &h.num, 4: &h.sum, 5: &h.sumSquares}
		switch f.num {
		case 1, 2, 3, 4, 5:
			err = wantWire(f, 1)
			*scalars[f.num] = math.Float64frombits(f.u)
		case 6:
			h.limits, err = appendDoubles(h.limits, f)
		case 7:
			h.counts, err = appendDoubles(h.counts, f)
		default:
			err = fmt.Errorf("HistogramProto: unexpected field %d", f.num)
		}
		if err != nil {
			return nil, err
		}
	}
	return h, nil
}

// readEvents reads and decodes every event of an event file.
func readEvents(path string) ([]event, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	recs, err := readRecords(b)
	if err != nil {
		return nil, err
	}
	evs := make([]event, len(recs))
	for i, r := range recs {
		if evs[i], err = decodeEvent(r); err != nil {
			return nil, fmt.Errorf("record %d: %w", i, err)
		}
	}
	return evs, nil
}

// onlyEventFile returns the one event file in dir.
func onlyEventFile(t *testing.T, dir string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "events.out.tfevents.*"))
	if err != nil || len(m) != 1 {
		t.Fatalf("event files in %s: %v (err %v), want exactly one", dir, m, err)
	}
	return m[0]
}

func TestCRC32C(t *testing.T) {
	// The check value of CRC-32C (RFC 3720, B.4 and the CRC catalogue).
	if got := crc32c([]byte("123456789")); got != 0xE3069283 {
		t.Fatalf("crc32c(123456789) = %#x, want 0xe3069283", got)
	}
	zeros := make([]byte, 32)
	if got := crc32c(zeros); got != 0x8A9136AA {
		t.Fatalf("crc32c(32 zero bytes) = %#x, want 0x8a9136aa", got)
	}
}

func TestReaderRejects(t *testing.T) {
	frame := func(data []byte) []byte {
		var b []byte
		b = binary.LittleEndian.AppendUint64(b, uint64(len(data)))
		b = binary.LittleEndian.AppendUint32(b, maskCRC(crc32c(b)))
		b = append(b, data...)
		return binary.LittleEndian.AppendUint32(b, maskCRC(crc32c(data)))
	}
	good := frame([]byte("hello"))
	if recs, err := readRecords(good); err != nil || len(recs) != 1 || string(recs[0]) != "hello" {
		t.Fatalf("readRecords(good) = %q, %v", recs, err)
	}
	for _, tc := range []struct {
		name string
		edit func([]byte) []byte
		want error
	}{
		{"length", func(b []byte) []byte { b[0] ^= 1; return b }, errLengthCRC},
		{"length crc", func(b []byte) []byte { b[9] ^= 1; return b }, errLengthCRC},
		{"data", func(b []byte) []byte { b[13] ^= 1; return b }, errDataCRC},
		{"data crc", func(b []byte) []byte { b[len(b)-1] ^= 1; return b }, errDataCRC},
		{"truncated", func(b []byte) []byte { return b[:len(b)-1] }, errTruncated},
	} {
		b := tc.edit(append([]byte(nil), good...))
		if _, err := readRecords(b); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}
