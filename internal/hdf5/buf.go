package hdf5

import (
	"encoding/binary"
	"errors"
)

// errShort is a structure that ends before its fields do.
var errShort = errors.New("truncated structure")

// cursor decodes little-endian fields from a byte slice; reading past the
// end sets err and returns zeros, so that parsers check once at the end.
type cursor struct {
	b   []byte
	p   int
	err error
}

func (c *cursor) need(n int) bool {
	if c.err != nil {
		return false
	}
	if n < 0 || n > len(c.b)-c.p {
		c.err = errShort
		return false
	}
	return true
}

func (c *cursor) left() int { return len(c.b) - c.p }

func (c *cursor) u8() uint8 {
	if !c.need(1) {
		return 0
	}
	v := c.b[c.p]
	c.p++
	return v
}

func (c *cursor) u16() uint16 {
	if !c.need(2) {
		return 0
	}
	v := binary.LittleEndian.Uint16(c.b[c.p:])
	c.p += 2
	return v
}

func (c *cursor) u32() uint32 {
	if !c.need(4) {
		return 0
	}
	v := binary.LittleEndian.Uint32(c.b[c.p:])
	c.p += 4
	return v
}

// uN reads an n-byte little-endian unsigned integer (n ≤ 8).
func (c *cursor) uN(n int) uint64 {
	if n > 8 || !c.need(n) {
		if c.err == nil {
			c.err = errors.New("integer field wider than 8 bytes")
		}
		return 0
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(c.b[c.p+i])
	}
	c.p += n
	return v
}

func (c *cursor) bytes(n int) []byte {
	if !c.need(n) {
		return nil
	}
	v := c.b[c.p : c.p+n]
	c.p += n
	return v
}

func (c *cursor) skip(n int) { c.bytes(n) }

// align8 skips to the next multiple of 8 from the start of the slice.
func (c *cursor) align8() {
	if r := c.p % 8; r != 0 {
		c.skip(8 - r)
	}
}

// cstring returns b up to its first NUL.
func cstring(b []byte) string {
	for i, v := range b {
		if v == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// pad8 rounds n up to a multiple of 8.
func pad8(n int) int { return (n + 7) &^ 7 }
