package hdf5

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Group is an HDF5 group.
type Group struct {
	f     *File
	path  string
	o     *object
	links []link // nil until read
}

type link struct {
	name string
	addr uint64
	soft string // the target of a soft link (addr is undef)
}

// Path returns the group's path in the file, such as "/layers/dense".
func (g *Group) Path() string { return g.path }

func (g *Group) errorf(format string, args ...any) error {
	return fmt.Errorf("hdf5 %s: %s: %s", g.f.name, g.path, fmt.Sprintf(format, args...))
}

func join(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// Names returns the names of the group's members, sorted.
func (g *Group) Names() ([]string, error) {
	ls, err := g.readLinks()
	if err != nil {
		return nil, err
	}
	names := make([]string, len(ls))
	for i, l := range ls {
		names[i] = l.name
	}
	sort.Strings(names)
	return names, nil
}

// Has reports whether the group has a member called name (one path
// component).
func (g *Group) Has(name string) bool {
	ls, err := g.readLinks()
	if err != nil {
		return false
	}
	for _, l := range ls {
		if l.name == name {
			return true
		}
	}
	return false
}

func (g *Group) readLinks() ([]link, error) {
	if g.links != nil {
		return g.links, nil
	}
	var ls []link
	var err error
	if m := g.o.find(msgSymbolTable); m != nil {
		ls, err = g.f.symbolTable(m.data)
	} else {
		if m := g.o.find(msgLinkInfo); m != nil {
			if err := g.f.checkLinkInfo(m.data); err != nil {
				return nil, g.errorf("%v", err)
			}
		}
		for _, m := range g.o.msgs {
			if m.typ != msgLink {
				continue
			}
			l, e := g.f.parseLink(m.data)
			if e != nil {
				return nil, g.errorf("link message: %v", e)
			}
			ls = append(ls, l)
		}
	}
	if err != nil {
		return nil, g.errorf("%v", err)
	}
	if ls == nil {
		ls = []link{}
	}
	g.links = ls
	return ls, nil
}

// member resolves one path component.
func (g *Group) member(name string) (*object, error) {
	ls, err := g.readLinks()
	if err != nil {
		return nil, err
	}
	for _, l := range ls {
		if l.name != name {
			continue
		}
		if l.addr == undef {
			return nil, g.errorf("member %q is a soft link to %q, which is not supported", name, l.soft)
		}
		o, err := g.f.object(l.addr)
		if err != nil {
			return nil, g.errorf("member %q: %v", name, err)
		}
		return o, nil
	}
	return nil, g.errorf("no member %q", name)
}

// walk resolves a relative path; the returned path is the object's.
func (g *Group) walk(path string) (*object, string, error) {
	if strings.HasPrefix(path, "/") {
		r, err := g.f.Root()
		if err != nil {
			return nil, "", err
		}
		g = r
	}
	parts := strings.FieldsFunc(path, func(r rune) bool { return r == '/' })
	cur, curPath := g, g.path
	o := g.o
	for i, p := range parts {
		if p == "." {
			continue
		}
		var err error
		if o, err = cur.member(p); err != nil {
			return nil, "", err
		}
		curPath = join(curPath, p)
		if i < len(parts)-1 {
			if !o.isGroup() {
				return nil, "", fmt.Errorf("hdf5 %s: %s is not a group", g.f.name, curPath)
			}
			cur = &Group{f: g.f, path: curPath, o: o}
		}
	}
	return o, curPath, nil
}

// Group opens the group at path, relative to g unless it starts with "/".
func (g *Group) Group(path string) (*Group, error) {
	o, p, err := g.walk(path)
	if err != nil {
		return nil, err
	}
	if !o.isGroup() {
		return nil, fmt.Errorf("hdf5 %s: %s is not a group", g.f.name, p)
	}
	return &Group{f: g.f, path: p, o: o}, nil
}

// Dataset opens the dataset at path, relative to g unless it starts with
// "/".
func (g *Group) Dataset(path string) (*Dataset, error) {
	o, p, err := g.walk(path)
	if err != nil {
		return nil, err
	}
	return g.f.dataset(o, p)
}

// IsGroup reports whether the member at path is a group.
func (g *Group) IsGroup(path string) bool {
	o, _, err := g.walk(path)
	return err == nil && o.isGroup()
}

// checkLinkInfo refuses dense link storage (a fractal heap).
func (f *File) checkLinkInfo(b []byte) error {
	c := &cursor{b: b}
	c.u8()
	flags := c.u8()
	if flags&1 != 0 {
		c.skip(8)
	}
	heap := c.uN(f.offSize)
	if c.err != nil {
		return fmt.Errorf("link info message: %v", c.err)
	}
	if heap != undef {
		return errors.New("dense link storage (a fractal heap, as HDF5 writes for a new-style group of more than 8 members) is not supported")
	}
	return nil
}

func (f *File) parseLink(b []byte) (link, error) {
	c := &cursor{b: b}
	if v := c.u8(); v != 1 {
		return link{}, fmt.Errorf("version %d is not supported", v)
	}
	flags := c.u8()
	typ := uint8(0)
	if flags&0x08 != 0 {
		typ = c.u8()
	}
	if flags&0x04 != 0 {
		c.skip(8)
	}
	if flags&0x10 != 0 {
		c.u8()
	}
	n := c.uN(1 << (flags & 3))
	if n > uint64(len(b)) {
		return link{}, errShort
	}
	name := string(c.bytes(int(n)))
	l := link{name: name, addr: undef}
	switch typ {
	case 0:
		l.addr = c.uN(f.offSize)
	case 1:
		l.soft = string(c.bytes(int(c.u16())))
	default:
		return link{}, fmt.Errorf("link %q: link type %d (external or user-defined) is not supported", name, typ)
	}
	if c.err != nil {
		return link{}, c.err
	}
	if name == "" || strings.Contains(name, "/") {
		return link{}, fmt.Errorf("bad link name %q", name)
	}
	return l, nil
}

// symbolTable lists an old-style group: a B-tree v1 of symbol nodes whose
// names are in a local heap.
func (f *File) symbolTable(b []byte) ([]link, error) {
	c := &cursor{b: b}
	tree, heapAddr := c.uN(f.offSize), c.uN(f.offSize)
	if c.err != nil {
		return nil, fmt.Errorf("symbol table message: %v", c.err)
	}
	heap, err := f.localHeap(heapAddr)
	if err != nil {
		return nil, err
	}
	var ls []link
	seen := map[uint64]bool{}
	var visit func(addr uint64, depth int) error
	visit = func(addr uint64, depth int) error {
		if depth > maxDepth {
			return errors.New("group B-tree is too deep")
		}
		if seen[addr] {
			return fmt.Errorf("group B-tree node at %d is visited twice", addr)
		}
		seen[addr] = true
		node, err := f.btreeNode(addr, 0, f.lenSize)
		if err != nil {
			return err
		}
		for _, child := range node.children {
			if node.level > 0 {
				if err := visit(child.addr, depth+1); err != nil {
					return err
				}
				continue
			}
			entries, err := f.symbolNode(child.addr, heap)
			if err != nil {
				return err
			}
			if len(ls)+len(entries) > maxMessages {
				return errors.New("too many group members")
			}
			ls = append(ls, entries...)
		}
		return nil
	}
	if tree == undef {
		return nil, nil
	}
	if err := visit(tree, 0); err != nil {
		return nil, err
	}
	return ls, nil
}

func (f *File) localHeap(addr uint64) ([]byte, error) {
	b, err := f.at(addr, uint64(8+2*f.lenSize+f.offSize))
	if err != nil {
		return nil, fmt.Errorf("local heap: %v", err)
	}
	c := &cursor{b: b}
	if !bytes.Equal(c.bytes(4), []byte("HEAP")) {
		return nil, fmt.Errorf("local heap at %d has no HEAP signature", addr)
	}
	c.skip(4)
	size := c.uN(f.lenSize)
	c.uN(f.lenSize)
	dataAddr := c.uN(f.offSize)
	if c.err != nil {
		return nil, fmt.Errorf("local heap: %v", c.err)
	}
	data, err2 := f.at(dataAddr, size)
	if err2 != nil {
		return nil, fmt.Errorf("local heap data: %v", err2)
	}
	return data, nil
}

type btreeChild struct {
	key  []byte // the key before the child
	addr uint64
}

type btreeNode struct {
	level    int
	children []btreeChild
}

// btreeNode reads a version 1 B-tree node of the given type (0: group
// nodes, 1: raw data chunks) whose keys are keySize bytes.
func (f *File) btreeNode(addr uint64, typ uint8, keySize int) (*btreeNode, error) {
	hdr, err := f.at(addr, uint64(8+2*f.offSize))
	if err != nil {
		return nil, fmt.Errorf("B-tree node: %v", err)
	}
	c := &cursor{b: hdr}
	if !bytes.Equal(c.bytes(4), []byte("TREE")) {
		return nil, fmt.Errorf("B-tree node at %d has no TREE signature", addr)
	}
	if t := c.u8(); t != typ {
		return nil, fmt.Errorf("B-tree node at %d has type %d, want %d", addr, t, typ)
	}
	level := int(c.u8())
	n := int(c.u16())
	body := uint64(n)*uint64(keySize+f.offSize) + uint64(keySize)
	raw, err := f.at(addr+uint64(len(hdr)), body)
	if err != nil {
		return nil, fmt.Errorf("B-tree node at %d: %v", addr, err)
	}
	c = &cursor{b: raw}
	node := &btreeNode{level: level}
	for i := 0; i < n; i++ {
		key := c.bytes(keySize)
		node.children = append(node.children, btreeChild{key: key, addr: c.uN(f.offSize)})
	}
	return node, c.err
}

func (f *File) symbolNode(addr uint64, heap []byte) ([]link, error) {
	hdr, err := f.at(addr, 8)
	if err != nil {
		return nil, fmt.Errorf("symbol node: %v", err)
	}
	if !bytes.Equal(hdr[:4], []byte("SNOD")) {
		return nil, fmt.Errorf("symbol node at %d has no SNOD signature", addr)
	}
	n := int(hdr[6]) | int(hdr[7])<<8
	entry := 2*f.offSize + 4 + 4 + 16
	raw, err := f.at(addr+8, uint64(n*entry))
	if err != nil {
		return nil, fmt.Errorf("symbol node at %d: %v", addr, err)
	}
	c := &cursor{b: raw}
	var ls []link
	for i := 0; i < n; i++ {
		nameOff := c.uN(f.offSize)
		obj := c.uN(f.offSize)
		c.skip(8 + 16)
		if nameOff >= uint64(len(heap)) {
			return nil, fmt.Errorf("symbol node at %d: name offset %d is outside the local heap (%d bytes)", addr, nameOff, len(heap))
		}
		name := cstring(heap[nameOff:])
		if name == "" || strings.Contains(name, "/") {
			return nil, fmt.Errorf("symbol node at %d: bad name %q", addr, name)
		}
		ls = append(ls, link{name: name, addr: obj})
	}
	return ls, c.err
}
