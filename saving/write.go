package saving

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// metadataKey is the header key that holds the string metadata.
const metadataKey = "__metadata__"

// Write writes entries and metadata to w as a safetensors file. Every
// Tensor is stored as F32 and every Ints as I64 (an entry has one of the
// two), in the order of entries; metadata keys are written sorted, and an
// empty metadata map is left out.
//
// Names must be unique, valid UTF-8 and not "__metadata__"; metadata keys
// and values must be valid UTF-8.
func Write(w io.Writer, entries []Entry, metadata map[string]string) error {
	if err := write(w, entries, metadata); err != nil {
		return fmt.Errorf("saving: %w", err)
	}
	return nil
}

func write(w io.Writer, entries []Entry, metadata map[string]string) error {
	header, err := encodeHeader(entries, metadata)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(header)))
	bw.Write(n[:])
	bw.Write(header)
	var chunk [4096]byte
	for _, e := range entries {
		if e.Ints != nil {
			data := e.Ints.Data
			for len(data) > 0 {
				k := min(len(data), len(chunk)/8)
				for i, v := range data[:k] {
					binary.LittleEndian.PutUint64(chunk[8*i:], uint64(v))
				}
				if _, err := bw.Write(chunk[:8*k]); err != nil {
					return err
				}
				data = data[k:]
			}
			continue
		}
		data := e.Tensor.Data
		for len(data) > 0 {
			k := min(len(data), len(chunk)/4)
			for i, v := range data[:k] {
				binary.LittleEndian.PutUint32(chunk[4*i:], math.Float32bits(v))
			}
			if _, err := bw.Write(chunk[:4*k]); err != nil {
				return err
			}
			data = data[k:]
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return nil
}

// encodeHeader returns the JSON header for entries and metadata, padded with
// spaces to a multiple of 8 bytes so that the data buffer starts aligned.
func encodeHeader(entries []Entry, metadata map[string]string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	if len(metadata) > 0 {
		keys := make([]string, 0, len(metadata))
		for k, v := range metadata {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return nil, fmt.Errorf("metadata %q: key and value must be valid UTF-8", k)
			}
			keys = append(keys, k)
		}
		slices.Sort(keys)
		writeString(&b, metadataKey)
		b.WriteString(":{")
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(&b, k)
			b.WriteByte(':')
			writeString(&b, metadata[k])
		}
		b.WriteByte('}')
	}
	seen := make(map[string]bool, len(entries))
	var offset uint64
	for i, e := range entries {
		switch {
		case e.Name == metadataKey:
			return nil, fmt.Errorf("entry %d: the name %q is reserved", i, metadataKey)
		case !utf8.ValidString(e.Name):
			return nil, fmt.Errorf("entry %d: name %q is not valid UTF-8", i, e.Name)
		case seen[e.Name]:
			return nil, fmt.Errorf("tensor %q: duplicate name", e.Name)
		case e.Tensor == nil && e.Ints == nil:
			return nil, fmt.Errorf("tensor %q: nil tensor", e.Name)
		case e.Tensor != nil && e.Ints != nil:
			return nil, fmt.Errorf("tensor %q: both Tensor and Ints are set", e.Name)
		}
		seen[e.Name] = true
		shape, n, dtype, elem := []int(nil), 0, "F32", uint64(4)
		if e.Ints != nil {
			shape, n, dtype, elem = e.Ints.Shape, len(e.Ints.Data), "I64", 8
		} else {
			shape, n = e.Tensor.Shape, len(e.Tensor.Data)
		}
		size := 1
		for _, d := range shape {
			if d < 0 {
				return nil, fmt.Errorf("tensor %q: negative dimension in shape %v", e.Name, shape)
			}
			size *= d
		}
		if n != size {
			return nil, fmt.Errorf("tensor %q: %d values for shape %v", e.Name, n, shape)
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		writeString(&b, e.Name)
		b.WriteString(`:{"dtype":"` + dtype + `","shape":[`)
		for j, d := range shape {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(d))
		}
		end := offset + elem*uint64(size)
		fmt.Fprintf(&b, `],"data_offsets":[%d,%d]}`, offset, end)
		offset = end
		if b.Len() > MaxHeaderSize {
			return nil, fmt.Errorf("header exceeds %d bytes", MaxHeaderSize)
		}
	}
	b.WriteByte('}')
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	if b.Len() > MaxHeaderSize {
		return nil, fmt.Errorf("header is %d bytes, more than the %d a reader accepts", b.Len(), MaxHeaderSize)
	}
	return b.Bytes(), nil
}

// writeString writes s as a JSON string, leaving <, > and & unescaped.
func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)           // cannot fail for a string
	b.Truncate(b.Len() - 1) // Encode's newline
}
