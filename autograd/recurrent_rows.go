package autograd

import "github.com/neurona/neurona/internal/cpu"

// rnnJob carries the per-sample gate work of one recurrent time step to
// cpu.ParallelFor: the samples of a batch are independent within a step,
// so their rows are split over the workers, and each row's result does not
// depend on the split (bit-identical for every GOMAXPROCS). The GEMMs
// between these phases stay on cpu.Gemm's own parallel path. Jobs are
// recycled with their method value, so that a step allocates nothing.
type rnnJob struct {
	kind                                         rnnRowKind
	pa, hs, cs, ca, rs, tmp, rm, recBias         []float32
	dz, dh, dc                                   []float32
	t, prev, next, ldP, ldZ, ldH, ldU, u, gu, bs int
	act, ract                                    RNNActivation
	fn                                           func(lo, hi int)
}

type rnnRowKind uint8

const (
	rowSimpleFwd rnnRowKind = iota
	rowLSTMFwd
	rowGRUResetFwd
	rowGRUAfterFwd
	rowGRUFinalFwd
	rowSimpleBwd
	rowLSTMBwd
	rowGRUBwd
	rowGRUResetBwd
	rowGRUAfterBwd
)

var rnnJobs freeList[rnnJob]

func getRNNJob() *rnnJob {
	j := rnnJobs.get()
	if j == nil {
		j = &rnnJob{}
		j.fn = j.rows
	}
	return j
}

func putRNNJob(j *rnnJob) {
	fn := j.fn
	*j = rnnJob{fn: fn}
	rnnJobs.put(j)
}

// run does phase kind for the samples [0, n).
func (j *rnnJob) run(kind rnnRowKind, n int) {
	j.kind = kind
	if serialWindowOps {
		j.fn(0, n)
		return
	}
	// A row costs about 10 operations per gate unit.
	cpu.ParallelFor(n, max(1, grainFloats/max(10*j.gu, 1)), j.fn)
}

// rows does the current phase for the samples [lo, hi).
func (j *rnnJob) rows(lo, hi int) {
	pa, hs, cs, ca, rs, tmp, rm, recBias := j.pa, j.hs, j.cs, j.ca, j.rs, j.tmp, j.rm, j.recBias
	dz, dh, dc := j.dz, j.dh, j.dc
	t, prev, next, ldP, ldZ, ldH, ldU, u, gu, bs := j.t, j.prev, j.next, j.ldP, j.ldZ, j.ldH, j.ldU, j.u, j.gu, j.bs
	act, ract := j.act, j.ract
	switch j.kind {
	case rowSimpleFwd:
		for bi := lo; bi < hi; bi++ {
			row := pa[bi*ldP : bi*ldP+u]
			rnnAct(row, act)
			copy(hs[bi*ldH+next*u:bi*ldH+next*u+u], row)
		}
	case rowLSTMFwd:
		for bi := lo; bi < hi; bi++ {
			row := pa[bi*ldP : bi*ldP+gu]
			rnnAct(row[:2*u], ract)
			rnnAct(row[2*u:3*u], act)
			rnnAct(row[3*u:], ract)
			ig, fg, cg, og := row[:u], row[u:2*u], row[2*u:3*u], row[3*u:]
			cp := cs[bi*ldH+prev*u : bi*ldH+prev*u+u]
			cn := cs[bi*ldH+next*u : bi*ldH+next*u+u]
			cpu.Mul(cn, fg, cp) // c = f·c₋ + i·g
			cpu.AddMul(cn, ig, cg)
			an := ca[bi*ldU+t*u : bi*ldU+t*u+u]
			if act == RNNTanh {
				cpu.TanhF32(an, cn)
			} else {
				copy(an, cn)
				rnnAct(an, act)
			}
			cpu.Mul(hs[bi*ldH+next*u:bi*ldH+next*u+u], og, an)
		}
	case rowGRUResetFwd:
		for bi := lo; bi < hi; bi++ {
			row := pa[bi*ldP : bi*ldP+gu]
			rnnAct(row[:2*u], ract)
			rg := row[u : 2*u]
			h0 := hs[bi*ldH+prev*u : bi*ldH+prev*u+u]
			rh := rs[bi*ldU+t*u : bi*ldU+t*u+u]
			cpu.Mul(rh, rg, h0)
			if rm != nil {
				cpu.Mul(rh, rh, rm[(2*bs+bi)*u:(2*bs+bi+1)*u])
			}
		}
	case rowGRUAfterFwd:
		for bi := lo; bi < hi; bi++ {
			row := pa[bi*ldP : bi*ldP+gu]
			rec := tmp[bi*gu : bi*gu+gu]
			if recBias != nil {
				cpu.Add(rec, rec, recBias)
			}
			cpu.Add(row[:2*u], row[:2*u], rec[:2*u])
			rnnAct(row[:2*u], ract)
			rg := row[u : 2*u]
			rh := rs[bi*ldU+t*u : bi*ldU+t*u+u]
			copy(rh, rec[2*u:])
			cpu.AddMul(row[2*u:], rg, rh)
		}
	case rowGRUFinalFwd:
		for bi := lo; bi < hi; bi++ {
			row := pa[bi*ldP : bi*ldP+gu]
			hh := row[2*u:]
			rnnAct(hh, act)
			zg := row[:u]
			h0 := hs[bi*ldH+prev*u : bi*ldH+prev*u+u]
			hn := hs[bi*ldH+next*u : bi*ldH+next*u+u]
			cpu.OneMinus(hn, zg) // h = z·h₋ + (1−z)·ĥ
			cpu.Mul(hn, hn, hh)
			cpu.AddMul(hn, zg, h0)
		}
	case rowSimpleBwd:
		for bi := lo; bi < hi; bi++ {
			g := dz[bi*ldZ : bi*ldZ+u]
			copy(g, dh[bi*u:bi*u+u])
			rnnActGrad(g, hs[bi*ldH+next*u:bi*ldH+next*u+u], act)
		}
	case rowLSTMBwd:
		for bi := lo; bi < hi; bi++ {
			row := pa[bi*ldP : bi*ldP+gu]
			ig, fg, cg, og := row[:u], row[u:2*u], row[2*u:3*u], row[3*u:]
			g := dz[bi*ldZ : bi*ldZ+gu]
			di, df, dcg, do := g[:u], g[u:2*u], g[2*u:3*u], g[3*u:]
			an := ca[bi*ldU+t*u : bi*ldU+t*u+u]
			cp := cs[bi*ldH+prev*u : bi*ldH+prev*u+u]
			dhr, dcr := dh[bi*u:bi*u+u], dc[bi*u:bi*u+u]
			// d(act(c)) = dh·o, through act into dc.
			cpu.Mul(dcg, dhr, og)
			cpu.Mul(do, dhr, an)
			rnnActGrad(dcg, an, act)
			cpu.Add(dcr, dcr, dcg) // dc now holds the step's whole dc
			cpu.Mul(di, dcr, cg)
			cpu.Mul(dcg, dcr, ig)
			cpu.Mul(df, dcr, cp)
			cpu.Mul(dcr, dcr, fg)
			rnnActGrad(g[:2*u], row[:2*u], ract)
			rnnActGrad(dcg, cg, act)
			rnnActGrad(do, og, ract)
		}
	case rowGRUBwd:
		for bi := lo; bi < hi; bi++ {
			row := pa[bi*ldP : bi*ldP+gu]
			zg, hh := row[:u], row[2*u:]
			g := dz[bi*ldZ : bi*ldZ+gu]
			dzg, dhh := g[:u], g[2*u:]
			h0 := hs[bi*ldH+prev*u : bi*ldH+prev*u+u]
			dhr := dh[bi*u : bi*u+u]
			cpu.Sub(dzg, h0, hh) // dz = dh·(h₋ − ĥ), dĥ = dh·(1 − z), dh₋ = dh·z
			cpu.Mul(dzg, dzg, dhr)
			cpu.OneMinus(dhh, zg)
			cpu.Mul(dhh, dhh, dhr)
			cpu.Mul(dhr, dhr, zg)
			rnnActGrad(dzg, zg, ract)
			rnnActGrad(dhh, hh, act)
		}
	case rowGRUResetBwd:
		for bi := lo; bi < hi; bi++ {
			rg := pa[bi*ldP+u : bi*ldP+2*u]
			dr := dz[bi*ldZ+u : bi*ldZ+2*u]
			h0 := hs[bi*ldH+prev*u : bi*ldH+prev*u+u]
			drh := tmp[bi*u : bi*u+u]
			dhr := dh[bi*u : bi*u+u]
			cpu.Mul(dr, drh, h0)
			if rm != nil {
				mh := rm[(2*bs+bi)*u : (2*bs+bi+1)*u]
				cpu.Mul(dr, dr, mh) // dr = d(r·h₋)·h₋·m, dh₋ += d(r·h₋)·r·m
				cpu.Mul(drh, drh, rg)
				cpu.AddMul(dhr, drh, mh)
			} else {
				cpu.AddMul(dhr, drh, rg)
			}
			rnnActGrad(dr, rg, ract)
		}
	case rowGRUAfterBwd:
		for bi := lo; bi < hi; bi++ {
			rg := pa[bi*ldP+u : bi*ldP+2*u]
			g := dz[bi*ldZ : bi*ldZ+gu]
			dr, dah := g[u:2*u], g[2*u:]
			cpu.Mul(dr, dah, rs[bi*ldU+t*u:bi*ldU+t*u+u])
			rnnActGrad(dr, rg, ract)
			rec := tmp[bi*gu : bi*gu+gu]
			copy(rec[:2*u], g[:2*u])
			cpu.Mul(rec[2*u:], dah, rg)
		}
	}
	_, _, _, _, _, _, _, _ = pa, hs, cs, ca, rs, tmp, rm, recBias
	_, _, _ = dz, dh, dc
	_, _, _, _, _, _, _, _, _, _ = t, prev, next, ldP, ldZ, ldH, ldU, u, gu, bs
	_, _ = act, ract
}

// rnnCopyJob splits the recurrent layers' copies over the workers by
// sample: the masked inputs of every gate (forward), and a backward chunk's
// gathered inputs and states and its input gradient's scatter. Each sample's
// rows are written by one worker, the same values whatever the split.
type rnnCopyJob struct {
	kind                        rnnCopyKind
	r                           rnnDims
	x, xm, mask, save, xc, hc   []float32
	rc, dx, xg                  []float32
	s0, slots, gi, gates        int
	back, withU, masked, hasGRU bool
	fn                          func(lo, hi int)
}

type rnnCopyKind uint8

const (
	copyXMask   rnnCopyKind = iota // xm[g,b,t] = x[b,t]·mask[g,b]
	copyGather                     // a chunk's inputs (per gate with dropout), states and r·h₋
	copyScatter                    // x.Grad[b,t] += dx[slot,b] (·mask[gi,b] with dropout)
)

var rnnCopyJobs freeList[rnnCopyJob]

func getRNNCopyJob() *rnnCopyJob {
	j := rnnCopyJobs.get()
	if j == nil {
		j = &rnnCopyJob{}
		j.fn = j.rows
	}
	return j
}

func putRNNCopyJob(j *rnnCopyJob) {
	fn := j.fn
	*j = rnnCopyJob{fn: fn}
	rnnCopyJobs.put(j)
}

// run does the job for the samples [0, r.b).
func (j *rnnCopyJob) run(kind rnnCopyKind) {
	j.kind = kind
	n := j.r.b
	if serialWindowOps {
		j.fn(0, n)
		return
	}
	per := j.r.t * j.r.d * j.r.g // floats a sample touches, at most
	if kind != copyXMask {
		per = j.slots * (j.r.d*j.gates + 2*j.r.u)
	}
	cpu.ParallelFor(n, max(1, grainFloats/max(per, 1)), j.fn)
}

func (j *rnnCopyJob) rows(lo, hi int) {
	r := &j.r
	bs, ts, d, u := r.b, r.t, r.d, r.u
	switch j.kind {
	case copyXMask:
		for gi := 0; gi < r.g; gi++ {
			for bi := lo; bi < hi; bi++ {
				m := j.mask[(gi*bs+bi)*d : (gi*bs+bi+1)*d]
				for t := 0; t < ts; t++ {
					off := ((gi*bs+bi)*ts + t) * d
					cpu.Mul(j.xm[off:off+d], j.x[(bi*ts+t)*d:(bi*ts+t+1)*d], m)
				}
			}
		}
	case copyGather:
		rows := j.slots * bs
		ldH, ldU, btd := (ts+1)*u, ts*u, bs*ts*d
		for s := 0; s < j.slots; s++ {
			t, prev, _ := r.step(j.s0+s, j.back)
			for bi := lo; bi < hi; bi++ {
				row := s*bs + bi
				if j.masked {
					for gi := 0; gi < r.g; gi++ {
						src := j.save[r.xmOff+gi*btd+(bi*ts+t)*d:]
						copy(j.xc[(gi*rows+row)*d:(gi*rows+row+1)*d], src[:d])
					}
				} else {
					copy(j.xc[row*d:(row+1)*d], j.x[(bi*ts+t)*d:(bi*ts+t+1)*d])
				}
				if j.withU {
					copy(j.hc[row*u:(row+1)*u], j.save[r.hOff+bi*ldH+prev*u:][:u])
					if j.hasGRU {
						copy(j.rc[row*u:(row+1)*u], j.save[r.rOff+bi*ldU+t*u:][:u])
					}
				}
			}
		}
	case copyScatter:
		for s := 0; s < j.slots; s++ {
			t, _, _ := r.step(j.s0+s, j.back)
			for bi := lo; bi < hi; bi++ {
				dst := j.xg[(bi*ts+t)*d : (bi*ts+t+1)*d]
				src := j.dx[(s*bs+bi)*d : (s*bs+bi+1)*d]
				if j.masked {
					cpu.AddMul(dst, src, j.mask[(j.gi*bs+bi)*d:(j.gi*bs+bi+1)*d])
				} else {
					cpu.Add(dst, dst, src)
				}
			}
		}
	}
}
