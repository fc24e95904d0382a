package hdf5

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
)

// Class is a datatype class.
type Class uint8

// The datatype classes the reader decodes.
const (
	Integer Class = 0
	Float   Class = 1
	String  Class = 3
	VarLen  Class = 9
)

// dtype is a parsed datatype message.
type dtype struct {
	class  Class
	size   int
	big    bool // big-endian
	signed bool
	vlStr  bool   // a variable-length string
	base   *dtype // of a variable-length sequence
}

func (t *dtype) String() string {
	switch t.class {
	case Integer:
		if t.signed {
			return fmt.Sprintf("int%d", t.size*8)
		}
		return fmt.Sprintf("uint%d", t.size*8)
	case Float:
		return fmt.Sprintf("float%d", t.size*8)
	case String:
		return fmt.Sprintf("string (%d bytes)", t.size)
	case VarLen:
		if t.vlStr {
			return "variable-length string"
		}
		return "variable-length sequence"
	}
	return fmt.Sprintf("class %d", t.class)
}

var classNames = map[uint8]string{2: "time", 4: "bitfield", 5: "opaque", 6: "compound", 7: "reference", 8: "enum (h5py's bool)", 10: "array"}

func parseDatatype(c *cursor, depth int) (*dtype, error) {
	if depth > maxDepth {
		return nil, errors.New("datatype nested too deep")
	}
	cv := c.u8()
	bits := c.bytes(3)
	size := c.u32()
	if c.err != nil {
		return nil, fmt.Errorf("datatype: %v", c.err)
	}
	class := cv & 0x0f
	t := &dtype{class: Class(class), size: int(size)}
	switch t.class {
	case Integer:
		t.big = bits[0]&1 != 0
		t.signed = bits[0]&0x08 != 0
		c.skip(4) // bit offset, precision
		if size != 1 && size != 2 && size != 4 && size != 8 {
			return nil, fmt.Errorf("integer datatype of %d bytes is not supported", size)
		}
	case Float:
		t.big = bits[0]&1 != 0
		if bits[0]&0x40 != 0 {
			return nil, errors.New("VAX-order floats are not supported")
		}
		c.skip(12) // bit offset, precision, exponent and mantissa fields, bias
		if size != 2 && size != 4 && size != 8 {
			return nil, fmt.Errorf("float datatype of %d bytes is not supported", size)
		}
	case String:
		if size == 0 || size > 1<<20 {
			return nil, fmt.Errorf("fixed-length string of %d bytes is not supported", size)
		}
	case VarLen:
		t.vlStr = bits[0]&0x0f == 1
		base, err := parseDatatype(c, depth+1)
		if err != nil {
			return nil, err
		}
		t.base = base
		if !t.vlStr {
			return nil, fmt.Errorf("variable-length sequences of %s are not supported", base)
		}
	default:
		name := classNames[class]
		if name == "" {
			name = fmt.Sprintf("class %d", class)
		}
		return nil, fmt.Errorf("datatype %s is not supported (valid: integer, float, string)", name)
	}
	if c.err != nil {
		return nil, fmt.Errorf("datatype: %v", c.err)
	}
	return t, nil
}

// dataspace is a parsed dataspace message: dims is empty for a scalar;
// null is the empty dataspace.
type dataspace struct {
	dims []uint64
	null bool
}

func (f *File) parseDataspace(c *cursor) (dataspace, error) {
	var s dataspace
	v := c.u8()
	rank := int(c.u8())
	flags := c.u8()
	switch v {
	case 1:
		c.skip(5)
	case 2:
		if c.u8() == 2 {
			s.null = true
		}
	default:
		return s, fmt.Errorf("dataspace version %d is not supported", v)
	}
	if rank > maxRank {
		return s, fmt.Errorf("dataspace of rank %d is not supported (at most %d)", rank, maxRank)
	}
	for i := 0; i < rank; i++ {
		s.dims = append(s.dims, c.uN(f.lenSize))
	}
	if flags&1 != 0 {
		c.skip(rank * f.lenSize)
	}
	if v == 1 && flags&2 != 0 {
		c.skip(rank * f.lenSize)
	}
	if c.err != nil {
		return s, fmt.Errorf("dataspace: %v", c.err)
	}
	return s, nil
}

// count returns the number of elements, refusing more than limit.
func (s dataspace) count(limit uint64) (uint64, error) {
	if s.null {
		return 0, nil
	}
	n := uint64(1)
	for _, d := range s.dims {
		if d != 0 && n > limit/d {
			return 0, fmt.Errorf("dataspace %v has more than %d elements", s.dims, limit)
		}
		n *= d
	}
	if n > limit {
		return 0, fmt.Errorf("dataspace %v has more than %d elements", s.dims, limit)
	}
	return n, nil
}

func (s dataspace) shape() []int {
	out := make([]int, len(s.dims))
	for i, d := range s.dims {
		out[i] = int(d)
	}
	return out
}

// Attribute is a decoded attribute: Strings holds a string attribute's
// values, Numbers a numeric one's, in row-major order.
type Attribute struct {
	Name    string
	Shape   []int // empty for a scalar
	Type    string
	Strings []string
	Numbers []float64
	Ints    []int64 // for integer attributes, exactly
}

// Attrs returns the group's attributes, in file order.
func (g *Group) Attrs() ([]*Attribute, error) {
	as, err := g.f.attrs(g.o)
	if err != nil {
		return nil, g.errorf("%v", err)
	}
	return as, nil
}

// Attr returns the attribute called name.
func (g *Group) Attr(name string) (*Attribute, error) {
	as, err := g.Attrs()
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		if a.Name == name {
			return a, nil
		}
	}
	return nil, g.errorf("no attribute %q", name)
}

// HasAttr reports whether the group has an attribute called name.
func (g *Group) HasAttr(name string) bool {
	as, err := g.Attrs()
	if err != nil {
		return false
	}
	for _, a := range as {
		if a.Name == name {
			return true
		}
	}
	return false
}

func (f *File) attrs(o *object) ([]*Attribute, error) {
	if m := o.find(msgAttrInfo); m != nil {
		c := &cursor{b: m.data}
		c.u8()
		flags := c.u8()
		if flags&1 != 0 {
			c.skip(2)
		}
		heap := c.uN(f.offSize)
		if c.err != nil {
			return nil, fmt.Errorf("attribute info message: %v", c.err)
		}
		if heap != undef {
			return nil, errors.New("dense attribute storage (a fractal heap, as HDF5 writes for more than 8 attributes in a new-style header) is not supported")
		}
	}
	var out []*Attribute
	for _, m := range o.msgs {
		if m.typ != msgAttribute {
			continue
		}
		a, err := f.parseAttribute(m.data)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func (f *File) parseAttribute(b []byte) (*Attribute, error) {
	c := &cursor{b: b}
	v := c.u8()
	c.u8() // reserved or flags
	nameSize, typeSize, spaceSize := int(c.u16()), int(c.u16()), int(c.u16())
	if v == 3 {
		c.u8() // name charset
	}
	if v < 1 || v > 3 {
		return nil, fmt.Errorf("attribute message version %d is not supported", v)
	}
	pad := func(n int) int {
		if v == 1 {
			return pad8(n)
		}
		return n
	}
	name := cstring(c.bytes(nameSize))
	c.skip(pad(nameSize) - nameSize)
	if c.err != nil {
		return nil, fmt.Errorf("attribute: %v", c.err)
	}
	tb := c.bytes(typeSize)
	c.skip(pad(typeSize) - typeSize)
	sb := c.bytes(spaceSize)
	c.skip(pad(spaceSize) - spaceSize)
	if c.err != nil {
		return nil, fmt.Errorf("attribute %q: %v", name, c.err)
	}
	t, err := parseDatatype(&cursor{b: tb}, 0)
	if err != nil {
		return nil, fmt.Errorf("attribute %q: %v", name, err)
	}
	s, err := f.parseDataspace(&cursor{b: sb})
	if err != nil {
		return nil, fmt.Errorf("attribute %q: %v", name, err)
	}
	n, err := s.count(uint64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("attribute %q: %v", name, err)
	}
	a := &Attribute{Name: name, Shape: s.shape(), Type: t.String()}
	elem := t.size
	if t.class == VarLen {
		elem = 4 + f.offSize + 4
	}
	data := c.bytes(int(n) * elem)
	if c.err != nil {
		return nil, fmt.Errorf("attribute %q: %d values of %d bytes do not fit in the message", name, n, elem)
	}
	switch t.class {
	case String:
		for i := 0; i < int(n); i++ {
			a.Strings = append(a.Strings, strings.TrimRight(cstring(data[i*elem:(i+1)*elem]), " "))
		}
	case VarLen:
		for i := 0; i < int(n); i++ {
			s, err := f.vlenString(data[i*elem : (i+1)*elem])
			if err != nil {
				return nil, fmt.Errorf("attribute %q: %v", name, err)
			}
			a.Strings = append(a.Strings, s)
		}
	default:
		a.Numbers = make([]float64, n)
		decodeFloat64(a.Numbers, data, t)
		if t.class == Integer {
			a.Ints = make([]int64, n)
			decodeInt64(a.Ints, data, t)
		}
	}
	return a, nil
}

// vlenString reads a variable-length string: its length, then the global
// heap collection and object that hold it.
func (f *File) vlenString(b []byte) (string, error) {
	c := &cursor{b: b}
	n := uint64(c.u32())
	addr := c.uN(f.offSize)
	idx := uint64(c.u32())
	if c.err != nil {
		return "", c.err
	}
	if n == 0 {
		return "", nil
	}
	hdr, err := f.at(addr, uint64(8+f.lenSize))
	if err != nil {
		return "", fmt.Errorf("global heap: %v", err)
	}
	if !bytes.Equal(hdr[:4], []byte("GCOL")) {
		return "", fmt.Errorf("global heap collection at %d has no GCOL signature", addr)
	}
	size := (&cursor{b: hdr[8:]}).uN(f.lenSize)
	col, err := f.at(addr, size)
	if err != nil {
		return "", fmt.Errorf("global heap collection at %d: %v", addr, err)
	}
	hc := &cursor{b: col, p: len(hdr)}
	for hc.left() >= 8+f.lenSize {
		id := uint64(hc.u16())
		hc.skip(6)
		osize := hc.uN(f.lenSize)
		if id == 0 {
			break // free space
		}
		if osize > uint64(hc.left()) {
			return "", fmt.Errorf("global heap collection at %d: object %d overruns the collection", addr, id)
		}
		data := hc.bytes(int(osize))
		hc.align8()
		if id == idx {
			if n > osize {
				return "", fmt.Errorf("global heap object %d holds %d bytes, the string needs %d", id, osize, n)
			}
			return string(data[:n]), nil
		}
	}
	return "", fmt.Errorf("global heap collection at %d has no object %d", addr, idx)
}

func order(t *dtype) binary.ByteOrder {
	if t.big {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// decodeFloat64 decodes len(out) numbers of type t from b.
func decodeFloat64(out []float64, b []byte, t *dtype) {
	bo := order(t)
	s := t.size
	for i := range out {
		e := b[i*s : (i+1)*s]
		switch {
		case t.class == Float && s == 8:
			out[i] = math.Float64frombits(bo.Uint64(e))
		case t.class == Float && s == 4:
			out[i] = float64(math.Float32frombits(bo.Uint32(e)))
		case t.class == Float:
			out[i] = float64(half(bo.Uint16(e)))
		case t.signed:
			out[i] = float64(signedInt(e, bo, s))
		default:
			out[i] = float64(unsignedInt(e, bo, s))
		}
	}
}

func decodeInt64(out []int64, b []byte, t *dtype) {
	bo := order(t)
	s := t.size
	for i := range out {
		e := b[i*s : (i+1)*s]
		if t.signed {
			out[i] = signedInt(e, bo, s)
		} else {
			out[i] = int64(unsignedInt(e, bo, s))
		}
	}
}

func unsignedInt(e []byte, bo binary.ByteOrder, s int) uint64 {
	switch s {
	case 1:
		return uint64(e[0])
	case 2:
		return uint64(bo.Uint16(e))
	case 4:
		return uint64(bo.Uint32(e))
	}
	return bo.Uint64(e)
}

func signedInt(e []byte, bo binary.ByteOrder, s int) int64 {
	switch s {
	case 1:
		return int64(int8(e[0]))
	case 2:
		return int64(int16(bo.Uint16(e)))
	case 4:
		return int64(int32(bo.Uint32(e)))
	}
	return int64(bo.Uint64(e))
}

// half converts an IEEE 754 binary16 value.
func half(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := int(h>>10) & 0x1f
	frac := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp == 0:
		v := float32(frac) / 1024 / 16384 // subnormal: frac × 2⁻²⁴
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | uint32(exp-15+127)<<23 | frac<<13)
}
