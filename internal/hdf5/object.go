package hdf5

import (
	"bytes"
	"errors"
	"fmt"
)

// Header message types.
const (
	msgNil          = 0x00
	msgDataspace    = 0x01
	msgLinkInfo     = 0x02
	msgDatatype     = 0x03
	msgFillOld      = 0x04
	msgFill         = 0x05
	msgLink         = 0x06
	msgExternal     = 0x07
	msgLayout       = 0x08
	msgGroupInfo    = 0x0A
	msgFilters      = 0x0B
	msgAttribute    = 0x0C
	msgContinuation = 0x10
	msgSymbolTable  = 0x11
	msgAttrInfo     = 0x15
)

// Limits on structures, far above what h5py writes.
const (
	maxHeaderBlocks = 4096 // continuation blocks of one object header
	maxMessages     = 1 << 16
	maxDepth        = 32 // B-tree levels and nesting of datatypes
	maxRank         = 32
)

type message struct {
	typ   uint16
	flags uint8
	data  []byte
}

// object is a parsed object header.
type object struct {
	addr uint64
	msgs []message
}

func (o *object) find(typ uint16) *message {
	for i := range o.msgs {
		if o.msgs[i].typ == typ {
			return &o.msgs[i]
		}
	}
	return nil
}

func (o *object) isGroup() bool {
	return o.find(msgSymbolTable) != nil || o.find(msgLinkInfo) != nil || o.find(msgLink) != nil
}

func (o *object) isDataset() bool {
	return o.find(msgLayout) != nil && o.find(msgDataspace) != nil
}

// object reads (once) the object header at addr.
func (f *File) object(addr uint64) (*object, error) {
	if o, ok := f.headers[addr]; ok {
		if o == nil {
			return nil, fmt.Errorf("object header at %d refers to itself", addr)
		}
		return o, nil
	}
	if len(f.headers) > 1<<20 {
		return nil, errors.New("too many objects")
	}
	f.headers[addr] = nil
	o, err := f.parseObject(addr)
	if err != nil {
		delete(f.headers, addr)
		return nil, fmt.Errorf("object header at %d: %w", addr, err)
	}
	f.headers[addr] = o
	return o, nil
}

type block struct{ addr, size uint64 }

func (f *File) parseObject(addr uint64) (*object, error) {
	o := &object{addr: addr}
	head, err := f.upTo(addr, 16)
	if err != nil {
		return nil, err
	}
	var queue []block
	v2 := len(head) >= 4 && bytes.Equal(head[:4], []byte("OHDR"))
	if v2 {
		prefix, err := f.upTo(addr, 4+1+1+16+4+8)
		if err != nil {
			return nil, err
		}
		c := &cursor{b: prefix, p: 4}
		if v := c.u8(); v != 2 {
			return nil, fmt.Errorf("OHDR version %d is not supported", v)
		}
		flags := c.u8()
		if flags&0x20 != 0 {
			c.skip(16) // times
		}
		if flags&0x10 != 0 {
			c.skip(4) // attribute phase change
		}
		size := c.uN(1 << (flags & 3))
		if c.err != nil {
			return nil, c.err
		}
		queue = append(queue, block{addr + uint64(c.p), size})
		err = f.messages(o, queue, true, flags&0x04 != 0)
		return o, err
	}
	c := &cursor{b: head}
	if v := c.u8(); v != 1 {
		return nil, fmt.Errorf("object header version %d is not supported (valid: 1, 2)", v)
	}
	c.skip(1)
	c.u16() // number of messages
	c.u32() // reference count
	size := uint64(c.u32())
	if c.err != nil {
		return nil, c.err
	}
	queue = append(queue, block{addr + 16, size})
	return o, f.messages(o, queue, false, false)
}

// messages reads the messages of the header blocks in queue and of the
// continuation blocks they name.
func (f *File) messages(o *object, queue []block, v2, order bool) error {
	seen := map[uint64]bool{}
	var total uint64
	for n := 0; len(queue) > 0; n++ {
		if n >= maxHeaderBlocks {
			return errors.New("too many continuation blocks")
		}
		bl := queue[0]
		queue = queue[1:]
		if seen[bl.addr] {
			return fmt.Errorf("continuation block at %d is listed twice", bl.addr)
		}
		seen[bl.addr] = true
		if total += bl.size; total > f.size {
			return errors.New("header blocks are larger than the file")
		}
		raw, err := f.at(bl.addr, bl.size)
		if err != nil {
			return err
		}
		c := &cursor{b: raw}
		if v2 && n > 0 {
			// A continuation block: signature, messages, checksum.
			if len(raw) < 8 || !bytes.Equal(raw[:4], []byte("OCHK")) {
				return fmt.Errorf("continuation block at %d has no OCHK signature", bl.addr)
			}
			c = &cursor{b: raw[:len(raw)-4], p: 4}
		}
		hdr := 8
		if v2 {
			hdr = 4
			if order {
				hdr = 6
			}
		}
		for c.left() >= hdr {
			var m message
			if v2 {
				m.typ = uint16(c.u8())
				size := int(c.u16())
				m.flags = c.u8()
				if order {
					c.u16()
				}
				m.data = c.bytes(size)
			} else {
				m.typ = c.u16()
				size := int(c.u16())
				m.flags = c.u8()
				c.skip(3)
				m.data = c.bytes(size)
				c.align8()
			}
			if c.err != nil {
				return fmt.Errorf("message of type %#x: %w", m.typ, c.err)
			}
			if len(o.msgs) >= maxMessages {
				return errors.New("too many header messages")
			}
			if m.typ == msgContinuation {
				mc := &cursor{b: m.data}
				a, l := mc.uN(f.offSize), mc.uN(f.lenSize)
				if mc.err != nil {
					return fmt.Errorf("continuation message: %w", mc.err)
				}
				queue = append(queue, block{a, l})
				continue
			}
			if m.typ == msgNil {
				continue
			}
			if m.flags&0x02 != 0 {
				return fmt.Errorf("shared header message of type %#x (a committed datatype or shared message) is not supported", m.typ)
			}
			o.msgs = append(o.msgs, m)
		}
		if c.err != nil {
			return c.err
		}
	}
	return nil
}
