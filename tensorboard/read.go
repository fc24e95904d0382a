package tensorboard

import (
	"encoding/binary"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// EachScalar calls f for each scalar (simple_value) of the Event records
// in the bytes of an event file, as the Writer writes them: records of a
// uint64 length, a uint32 CRC, the Event and a uint32 CRC (the CRCs are
// not checked); an Event has step (field 2) and summary (5), a Summary
// values (1), a value tag (1) and simple_value (2). Other fields are
// skipped. A truncated or malformed record is an error.
func EachScalar(b []byte, f func(step int64, tag string, v float64)) error {
	for len(b) > 0 {
		if len(b) < 12 {
			return fmt.Errorf("truncated record")
		}
		n := binary.LittleEndian.Uint64(b)
		if n > uint64(len(b)-16) {
			return fmt.Errorf("truncated record")
		}
		ev := b[12 : 12+n]
		b = b[16+n:]
		var step int64
		var summary []byte
		for len(ev) > 0 {
			num, typ, l := protowire.ConsumeTag(ev)
			if l < 0 {
				return fmt.Errorf("bad event")
			}
			ev = ev[l:]
			switch {
			case num == 2 && typ == protowire.VarintType:
				v, l := protowire.ConsumeVarint(ev)
				if l < 0 {
					return fmt.Errorf("bad event")
				}
				step, ev = int64(v), ev[l:]
				continue
			case num == 5 && typ == protowire.BytesType:
				v, l := protowire.ConsumeBytes(ev)
				if l < 0 {
					return fmt.Errorf("bad event")
				}
				summary, ev = v, ev[l:]
				continue
			}
			l = protowire.ConsumeFieldValue(num, typ, ev)
			if l < 0 {
				return fmt.Errorf("bad event")
			}
			ev = ev[l:]
		}
		for len(summary) > 0 {
			num, typ, l := protowire.ConsumeTag(summary)
			if l < 0 {
				return fmt.Errorf("bad summary")
			}
			summary = summary[l:]
			if num != 1 || typ != protowire.BytesType {
				l = protowire.ConsumeFieldValue(num, typ, summary)
				if l < 0 {
					return fmt.Errorf("bad summary")
				}
				summary = summary[l:]
				continue
			}
			val, l := protowire.ConsumeBytes(summary)
			if l < 0 {
				return fmt.Errorf("bad summary")
			}
			summary = summary[l:]
			var tag string
			value, has := 0.0, false
			for len(val) > 0 {
				num, typ, l := protowire.ConsumeTag(val)
				if l < 0 {
					return fmt.Errorf("bad value")
				}
				val = val[l:]
				switch {
				case num == 1 && typ == protowire.BytesType:
					s, l := protowire.ConsumeBytes(val)
					if l < 0 {
						return fmt.Errorf("bad value")
					}
					tag, val = string(s), val[l:]
					continue
				case num == 2 && typ == protowire.Fixed32Type:
					v, l := protowire.ConsumeFixed32(val)
					if l < 0 {
						return fmt.Errorf("bad value")
					}
					value, has, val = float64(math.Float32frombits(v)), true, val[l:]
					continue
				}
				l = protowire.ConsumeFieldValue(num, typ, val)
				if l < 0 {
					return fmt.Errorf("bad value")
				}
				val = val[l:]
			}
			if has && tag != "" {
				f(step, tag, value)
			}
		}
	}
	return nil
}
