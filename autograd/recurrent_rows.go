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
