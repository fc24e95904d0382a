// Package pickle is a restricted unpickler for the numpy object arrays that
// Keras's imdb.npz (and reuters.npz) store: arrays of Python int lists,
// written by np.save(..., allow_pickle=True) with pickle protocols 2 to 4.
//
// It is a data reader, not an interpreter: it never calls anything. The only
// globals it accepts are numpy's array constructors as numpy pickles them
// (numpy.core.multiarray._reconstruct or numpy._core.multiarray._reconstruct,
// numpy.ndarray and numpy.dtype, plus _codecs.encode(str, 'latin1'), which
// Python 3 uses for bytes in protocol 2 and which is evaluated here as the
// latin-1 encoding of the string); any other GLOBAL or STACK_GLOBAL is refused
// with an error naming it, REDUCE only rebuilds an ndarray or a dtype from
// those, and BUILD only sets an ndarray's or a dtype's state. Opcodes outside
// the small set such files use (NEWOBJ, INST, OBJ, PERSID, EXT*, the
// protocol-0 text opcodes, ...) are refused. Sizes are bounded (Limits).
package pickle

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// ErrRefused is wrapped by every error about a pickle that asks for
// something this reader does not allow (a global, an opcode, a call).
var ErrRefused = errors.New("pickle: refused")

// ErrFormat is wrapped by errors about a malformed or truncated pickle, or
// one past the Limits.
var ErrFormat = errors.New("pickle: malformed")

// Limits bound what a pickle may make the reader hold.
type Limits struct {
	// MaxValues is the most values (ints, strings, lists, ...) the pickle
	// may create in all.
	MaxValues int
	// MaxStack is the deepest the stack (and the number of open MARKs) may
	// grow.
	MaxStack int
	// MaxString is the longest string or bytes value, in bytes.
	MaxString int
	// MaxMemo is the largest memo key.
	MaxMemo int
}

// DefaultLimits hold imdb.npz (about 11.8 million ints over 50,000 lists,
// per array under 7 million) with room to spare.
var DefaultLimits = Limits{MaxValues: 1 << 26, MaxStack: 1 << 20, MaxString: 1 << 20, MaxMemo: 1 << 24}

// Array is a numpy ndarray rebuilt from a pickle: its shape, its dtype
// string ("O8" for an object array) and, for an object array, its elements
// in C order. Elements are int64, bool, nil, string, []byte, []any (a
// Python list) or Tuple.
type Array struct {
	Shape   []int
	DType   string
	Objects []any
	// Raw is the data of a non-object array (bytes in C order).
	Raw []byte
}

// Tuple is a Python tuple.
type Tuple []any

// list is a Python list under construction (lists are mutable and may be
// shared through the memo).
type list struct{ items []any }

type global struct{ module, name string }

func (g global) String() string { return g.module + "." + g.name }

type dtype struct {
	name  string
	built bool
}

type mark struct{}

// allowed are the only globals a pickle may name.
var allowed = map[global]bool{
	{"numpy.core.multiarray", "_reconstruct"}:  true,
	{"numpy._core.multiarray", "_reconstruct"}: true,
	{"numpy", "ndarray"}:                       true,
	{"numpy", "dtype"}:                         true,
	// Python 3 writes bytes in protocol 2 as _codecs.encode(str, 'latin1');
	// REDUCE turns exactly that into the bytes without calling anything.
	{"_codecs", "encode"}: true,
}

const allowedList = "numpy.core.multiarray._reconstruct, numpy._core.multiarray._reconstruct, numpy.ndarray, numpy.dtype, _codecs.encode"

// Load reads one pickle from data (which must end at its STOP opcode) and
// returns its value: an *Array for what np.save writes, with Python lists
// turned into []any. It refuses everything outside the numpy-array subset
// (errors wrap ErrRefused) and malformed input (errors wrap ErrFormat).
func Load(data []byte, lim Limits) (any, error) {
	u := &unpickler{data: data, lim: lim, memo: map[int]any{}}
	v, err := u.run()
	if err != nil {
		return nil, err
	}
	f := finisher{left: lim.MaxValues}
	return f.finish(v, 0)
}

// finisher turns internal values into the exported ones. A list shared
// through the memo is copied wherever it appears, so the copies are counted
// against Limits.MaxValues: a pickle of nested shared lists cannot make
// the result blow up.
type finisher struct{ left int }

// IntLists reads a pickled 1-D numpy object array of Python int lists, as
// imdb.npz's x_train and x_test, and returns the lists.
func IntLists(data []byte, lim Limits) ([][]int, error) {
	v, err := Load(data, lim)
	if err != nil {
		return nil, err
	}
	a, ok := v.(*Array)
	if !ok {
		return nil, fmt.Errorf("%w: the pickle holds a %s, not a numpy array", ErrFormat, typeName(v))
	}
	if !strings.HasPrefix(a.DType, "O") || len(a.Shape) != 1 {
		return nil, fmt.Errorf("%w: a numpy array of dtype %q and shape %v, want a 1-D object array", ErrFormat, a.DType, a.Shape)
	}
	out := make([][]int, len(a.Objects))
	for i, o := range a.Objects {
		l, ok := o.([]any)
		if !ok {
			return nil, fmt.Errorf("%w: element %d is a %s, not a list", ErrFormat, i, typeName(o))
		}
		s := make([]int, len(l))
		for j, x := range l {
			n, ok := x.(int64)
			if !ok {
				return nil, fmt.Errorf("%w: element %d, item %d is a %s, not an int", ErrFormat, i, j, typeName(x))
			}
			s[j] = int(n)
		}
		out[i] = s
	}
	return out, nil
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "None"
	case int64:
		return "int"
	case bool:
		return "bool"
	case string:
		return "str"
	case []byte:
		return "bytes"
	case []any, *list:
		return "list"
	case Tuple:
		return "tuple"
	case *Array:
		return "numpy array"
	case *dtype:
		return "numpy dtype"
	case global:
		return "global"
	}
	return fmt.Sprintf("%T", v)
}

func (f *finisher) finish(v any, depth int) (any, error) {
	if depth > 64 {
		return nil, fmt.Errorf("%w: values nested more than 64 deep", ErrFormat)
	}
	if f.left--; f.left < 0 {
		return nil, fmt.Errorf("%w: the result has more than Limits.MaxValues values (shared lists are copied)", ErrFormat)
	}
	switch x := v.(type) {
	case *list:
		out := make([]any, len(x.items))
		for i, e := range x.items {
			c, err := f.finish(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case Tuple:
		out := make(Tuple, len(x))
		for i, e := range x {
			c, err := f.finish(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case *Array:
		for i, e := range x.Objects {
			c, err := f.finish(e, depth+1)
			if err != nil {
				return nil, err
			}
			x.Objects[i] = c
		}
		return x, nil
	case global, *dtype, mark:
		return nil, fmt.Errorf("%w: the pickle ends with a %s on the stack", ErrFormat, typeName(v))
	}
	return v, nil
}

type unpickler struct {
	data   []byte
	pos    int
	lim    Limits
	stack  []any
	marks  []int
	memo   map[int]any
	values int
}

func (u *unpickler) errf(format string, a ...any) error {
	return fmt.Errorf("%w: at byte %d: %s", ErrFormat, u.pos, fmt.Sprintf(format, a...))
}

func (u *unpickler) take(n int) ([]byte, error) {
	if n < 0 || n > len(u.data)-u.pos {
		return nil, u.errf("truncated: %d bytes wanted, %d left", n, len(u.data)-u.pos)
	}
	b := u.data[u.pos : u.pos+n]
	u.pos += n
	return b, nil
}

func (u *unpickler) uint(n int) (uint64, error) {
	b, err := u.take(n)
	if err != nil {
		return 0, err
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v, nil
}

func (u *unpickler) line() (string, error) {
	i := strings.IndexByte(string(u.data[u.pos:min(len(u.data), u.pos+256)]), '\n')
	if i < 0 {
		return "", u.errf("GLOBAL name not ended by a newline within 256 bytes")
	}
	s := string(u.data[u.pos : u.pos+i])
	u.pos += i + 1
	return s, nil
}

func (u *unpickler) push(v any) error {
	if len(u.stack) >= u.lim.MaxStack {
		return u.errf("stack deeper than %d", u.lim.MaxStack)
	}
	if _, isMark := v.(mark); !isMark {
		u.values++
		if u.values > u.lim.MaxValues {
			return u.errf("more than %d values", u.lim.MaxValues)
		}
	}
	u.stack = append(u.stack, v)
	return nil
}

func (u *unpickler) pop() (any, error) {
	if len(u.stack) == 0 || (len(u.marks) > 0 && len(u.stack) == u.marks[len(u.marks)-1]) {
		return nil, u.errf("stack underflow")
	}
	v := u.stack[len(u.stack)-1]
	u.stack = u.stack[:len(u.stack)-1]
	return v, nil
}

func (u *unpickler) popMark() ([]any, error) {
	if len(u.marks) == 0 {
		return nil, u.errf("no MARK to pop to")
	}
	m := u.marks[len(u.marks)-1]
	u.marks = u.marks[:len(u.marks)-1]
	items := append([]any(nil), u.stack[m:]...)
	u.stack = u.stack[:m]
	return items, nil
}

func (u *unpickler) str(n uint64, text bool) error {
	if n > uint64(u.lim.MaxString) {
		return u.errf("string of %d bytes, more than %d", n, u.lim.MaxString)
	}
	b, err := u.take(int(n))
	if err != nil {
		return err
	}
	if text {
		return u.push(string(b))
	}
	return u.push(append([]byte(nil), b...))
}

func (u *unpickler) setMemo(k uint64) error {
	if k > uint64(u.lim.MaxMemo) {
		return u.errf("memo key %d past %d", k, u.lim.MaxMemo)
	}
	if len(u.stack) == 0 {
		return u.errf("memo put on an empty stack")
	}
	u.memo[int(k)] = u.stack[len(u.stack)-1]
	return nil
}

func (u *unpickler) getMemo(k uint64) error {
	v, ok := u.memo[int(k)]
	if !ok || k > uint64(u.lim.MaxMemo) {
		return u.errf("memo key %d was never put", k)
	}
	return u.push(v)
}

func checkGlobal(module, name string) (global, error) {
	g := global{module, name}
	if !allowed[g] {
		return g, fmt.Errorf("%w: global %s (only %s may be named)", ErrRefused, g, allowedList)
	}
	return g, nil
}

func (u *unpickler) run() (any, error) {
	if len(u.data) < 2 || u.data[0] != 0x80 {
		return nil, fmt.Errorf("%w: no PROTO opcode: not a protocol 2-4 pickle", ErrFormat)
	}
	for {
		if u.pos >= len(u.data) {
			return nil, u.errf("truncated: no STOP opcode")
		}
		op := u.data[u.pos]
		u.pos++
		var err error
		switch op {
		case 0x80: // PROTO
			var p uint64
			if p, err = u.uint(1); err == nil && (p < 2 || p > 5) {
				err = fmt.Errorf("%w: pickle protocol %d, want 2 to 5", ErrRefused, p)
			}
		case 0x95: // FRAME
			_, err = u.uint(8)
		case '.': // STOP
			if len(u.marks) != 0 || len(u.stack) != 1 {
				return nil, u.errf("STOP with %d values and %d marks on the stack", len(u.stack), len(u.marks))
			}
			if u.pos != len(u.data) {
				return nil, u.errf("%d bytes after STOP", len(u.data)-u.pos)
			}
			return u.stack[0], nil
		case '(': // MARK
			if len(u.marks) >= u.lim.MaxStack {
				return nil, u.errf("more than %d open MARKs", u.lim.MaxStack)
			}
			u.marks = append(u.marks, len(u.stack))
		case 'c': // GLOBAL
			var module, name string
			if module, err = u.line(); err == nil {
				if name, err = u.line(); err == nil {
					var g global
					if g, err = checkGlobal(module, name); err == nil {
						err = u.push(g)
					}
				}
			}
		case 0x93: // STACK_GLOBAL
			var n, m any
			if n, err = u.pop(); err == nil {
				if m, err = u.pop(); err == nil {
					ms, ok1 := m.(string)
					ns, ok2 := n.(string)
					if !ok1 || !ok2 {
						err = fmt.Errorf("%w: STACK_GLOBAL of a %s and a %s", ErrRefused, typeName(m), typeName(n))
					} else {
						var g global
						if g, err = checkGlobal(ms, ns); err == nil {
							err = u.push(g)
						}
					}
				}
			}
		case 'q': // BINPUT
			var k uint64
			if k, err = u.uint(1); err == nil {
				err = u.setMemo(k)
			}
		case 'r': // LONG_BINPUT
			var k uint64
			if k, err = u.uint(4); err == nil {
				err = u.setMemo(k)
			}
		case 0x94: // MEMOIZE
			err = u.setMemo(uint64(len(u.memo)))
		case 'h': // BINGET
			var k uint64
			if k, err = u.uint(1); err == nil {
				err = u.getMemo(k)
			}
		case 'j': // LONG_BINGET
			var k uint64
			if k, err = u.uint(4); err == nil {
				err = u.getMemo(k)
			}
		case 'J': // BININT
			var v uint64
			if v, err = u.uint(4); err == nil {
				err = u.push(int64(int32(uint32(v))))
			}
		case 'K': // BININT1
			var v uint64
			if v, err = u.uint(1); err == nil {
				err = u.push(int64(v))
			}
		case 'M': // BININT2
			var v uint64
			if v, err = u.uint(2); err == nil {
				err = u.push(int64(v))
			}
		case 0x8a: // LONG1
			var n uint64
			if n, err = u.uint(1); err == nil {
				if n > 8 {
					err = u.errf("LONG1 of %d bytes: an int past int64", n)
				} else if n == 0 {
					err = u.push(int64(0))
				} else {
					var v uint64
					if v, err = u.uint(int(n)); err == nil {
						shift := 64 - 8*n
						err = u.push(int64(v<<shift) >> shift)
					}
				}
			}
		case 'N':
			err = u.push(nil)
		case 0x88:
			err = u.push(true)
		case 0x89:
			err = u.push(false)
		case ')':
			err = u.push(Tuple{})
		case 't': // TUPLE
			var items []any
			if items, err = u.popMark(); err == nil {
				err = u.push(Tuple(items))
			}
		case 0x85, 0x86, 0x87: // TUPLE1..3
			n := int(op - 0x84)
			t := make(Tuple, n)
			for i := n - 1; i >= 0 && err == nil; i-- {
				t[i], err = u.pop()
			}
			if err == nil {
				u.values -= n
				err = u.push(t)
			}
		case ']': // EMPTY_LIST
			err = u.push(&list{})
		case 'l': // LIST
			var items []any
			if items, err = u.popMark(); err == nil {
				err = u.push(&list{items: items})
			}
		case 'a': // APPEND
			var v any
			if v, err = u.pop(); err == nil {
				err = u.appendTo([]any{v})
			}
		case 'e': // APPENDS
			var items []any
			if items, err = u.popMark(); err == nil {
				err = u.appendTo(items)
			}
		case 'C': // SHORT_BINBYTES
			var n uint64
			if n, err = u.uint(1); err == nil {
				err = u.str(n, false)
			}
		case 'B': // BINBYTES
			var n uint64
			if n, err = u.uint(4); err == nil {
				err = u.str(n, false)
			}
		case 'U': // SHORT_BINSTRING (a Python 2 str)
			var n uint64
			if n, err = u.uint(1); err == nil {
				err = u.str(n, true)
			}
		case 'T': // BINSTRING
			var n uint64
			if n, err = u.uint(4); err == nil {
				err = u.str(n, true)
			}
		case 0x8c: // SHORT_BINUNICODE
			var n uint64
			if n, err = u.uint(1); err == nil {
				err = u.str(n, true)
			}
		case 'X': // BINUNICODE
			var n uint64
			if n, err = u.uint(4); err == nil {
				err = u.str(n, true)
			}
		case 'R': // REDUCE
			err = u.reduce()
		case 'b': // BUILD
			err = u.build()
		default:
			return nil, fmt.Errorf("%w: opcode %q (0x%02x) at byte %d: not one numpy writes for an array of int lists", ErrRefused, rune(op), op, u.pos-1)
		}
		if err != nil {
			return nil, err
		}
	}
}

func (u *unpickler) appendTo(items []any) error {
	if len(u.stack) == 0 {
		return u.errf("APPEND with no list")
	}
	l, ok := u.stack[len(u.stack)-1].(*list)
	if !ok {
		return fmt.Errorf("%w: APPEND to a %s (only lists are appended to)", ErrRefused, typeName(u.stack[len(u.stack)-1]))
	}
	l.items = append(l.items, items...)
	return nil
}

func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// reduce applies one of the two allowed constructors; nothing is called.
func (u *unpickler) reduce() error {
	args, err := u.pop()
	if err != nil {
		return err
	}
	f, err := u.pop()
	if err != nil {
		return err
	}
	g, ok := f.(global)
	if !ok {
		return fmt.Errorf("%w: REDUCE of a %s (only numpy's constructors)", ErrRefused, typeName(f))
	}
	t, ok := args.(Tuple)
	if !ok {
		return u.errf("REDUCE of %s with a %s for arguments", g, typeName(args))
	}
	switch {
	case g.name == "_reconstruct":
		// _reconstruct(numpy.ndarray, (0,), b'b')
		if len(t) != 3 || t[0] != (global{"numpy", "ndarray"}) {
			return fmt.Errorf("%w: %s called with other than (numpy.ndarray, shape, typecode)", ErrRefused, g)
		}
		return u.push(&Array{})
	case g == global{"_codecs", "encode"}:
		if len(t) == 0 {
			return fmt.Errorf("%w: _codecs.encode called with other than (str, 'latin1')", ErrRefused)
		}
		s, ok1 := t[0].(string)
		enc, ok2 := "", len(t) == 2
		if ok2 {
			enc, ok2 = t[1].(string)
		}
		if !ok1 || !ok2 || (enc != "latin1" && enc != "latin-1") {
			return fmt.Errorf("%w: _codecs.encode called with other than (str, 'latin1')", ErrRefused)
		}
		b := make([]byte, 0, len(s))
		for _, r := range s {
			if r > 0xff {
				return u.errf("_codecs.encode: %U is not latin-1", r)
			}
			b = append(b, byte(r))
		}
		return u.push(b)
	case g == global{"numpy", "dtype"}:
		// dtype('O8', False, True)
		if len(t) != 3 {
			return u.errf("numpy.dtype with %d arguments, want 3", len(t))
		}
		name, ok := t[0].(string)
		if !ok {
			return u.errf("numpy.dtype of a %s", typeName(t[0]))
		}
		return u.push(&dtype{name: name})
	}
	return fmt.Errorf("%w: REDUCE of %s", ErrRefused, g)
}

// build sets the state of an ndarray or a dtype.
func (u *unpickler) build() error {
	state, err := u.pop()
	if err != nil {
		return err
	}
	if len(u.stack) == 0 {
		return u.errf("BUILD with no object")
	}
	switch obj := u.stack[len(u.stack)-1].(type) {
	case *dtype:
		// (3, '|', None, None, None, -1, -1, 63): nothing to keep.
		if _, ok := state.(Tuple); !ok || obj.built {
			return u.errf("numpy.dtype state is a %s", typeName(state))
		}
		obj.built = true
		u.values--
		return nil
	case *Array:
		// (1, shape, dtype, is_fortran, data)
		t, ok := state.(Tuple)
		if !ok || len(t) != 5 {
			return u.errf("ndarray state is not a 5-tuple (version, shape, dtype, fortran, data)")
		}
		shp, ok := t[1].(Tuple)
		if !ok {
			return u.errf("ndarray shape is a %s", typeName(t[1]))
		}
		total := int64(1)
		obj.Shape = make([]int, len(shp))
		for i, d := range shp {
			n, ok := asInt(d)
			if !ok || n < 0 || n > math.MaxInt32 {
				return u.errf("ndarray shape %v", shp)
			}
			obj.Shape[i] = int(n)
			total *= n
			if total > int64(u.lim.MaxValues) {
				return u.errf("ndarray of more than %d elements", u.lim.MaxValues)
			}
		}
		dt, ok := t[2].(*dtype)
		if !ok {
			return u.errf("ndarray dtype is a %s", typeName(t[2]))
		}
		obj.DType = dt.name
		if f, _ := asInt(t[3]); f != 0 {
			return u.errf("Fortran-ordered ndarray")
		}
		switch d := t[4].(type) {
		case *list:
			if int64(len(d.items)) != total {
				return u.errf("ndarray of shape %v holds %d objects", obj.Shape, len(d.items))
			}
			obj.Objects = d.items
		case []byte:
			obj.Raw = d
		case string:
			obj.Raw = []byte(d)
		default:
			return u.errf("ndarray data is a %s", typeName(t[4]))
		}
		u.values--
		return nil
	}
	return fmt.Errorf("%w: BUILD of a %s (only numpy arrays and dtypes)", ErrRefused, typeName(u.stack[len(u.stack)-1]))
}
