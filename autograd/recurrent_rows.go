package autograd

import "github.com/neurona/neurona/internal/cpu"

// rnnJob carries the per-sample gate work of one recurrent time step to
// cpu.ParallelFor: the samples of a batch are independent within a step,
// so their rows are split over the workers, and each row's result does not
// depend on the split (bit-identical for every GOMAXPROCS). The GEMMs
// between these phases stay on cpu.Gemm's own parallel path. Jobs are
// recycled with their method value, so that a step allocates nothing.
type rnnJob struct {
	kind                                    rnnRowKind
	pa, hs, cs, ca, rs, tmp, rm, recBias    []float32
	dz, dh, dc                              []float32
	t, prev, next, ldP, ldH, ldU, u, gu, bs int
	act, ract                               RNNActivation
	fn                                      func(lo, hi int)
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
	t, prev, next, ldP, ldH, ldU, u, gu, bs := j.t, j.prev, j.next, j.ldP, j.ldH, j.ldU, j.u, j.gu, j.bs
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
			for j := range cn {
				cn[j] = fg[j]*cp[j] + ig[j]*cg[j]
			}
			an := ca[bi*ldU+t*u : bi*ldU+t*u+u]
			copy(an, cn)
			rnnAct(an, act)
			hn := hs[bi*ldH+next*u : bi*ldH+next*u+u]
			for j := range hn {
				hn[j] = og[j] * an[j]
			}
		}
	case rowGRUResetFwd:
		for bi := lo; bi < hi; bi++ {
			row := pa[bi*ldP : bi*ldP+gu]
			rnnAct(row[:2*u], ract)
			rg := row[u : 2*u]
			h0 := hs[bi*ldH+prev*u : bi*ldH+prev*u+u]
			rh := rs[bi*ldU+t*u : bi*ldU+t*u+u]
			for j := range rh {
				rh[j] = rg[j] * h0[j]
			}
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
			hh := row[2*u:]
			for j := range hh {
				hh[j] += rg[j] * rh[j]
			}
		}
	case rowGRUFinalFwd:
		for bi := lo; bi < hi; bi++ {
			row := pa[bi*ldP : bi*ldP+gu]
			hh := row[2*u:]
			rnnAct(hh, act)
			zg := row[:u]
			h0 := hs[bi*ldH+prev*u : bi*ldH+prev*u+u]
			hn := hs[bi*ldH+next*u : bi*ldH+next*u+u]
			for j := range hn {
				hn[j] = zg[j]*h0[j] + (1-zg[j])*hh[j]
			}
		}
	case rowSimpleBwd:
		for bi := lo; bi < hi; bi++ {
			g := dz[bi*ldP : bi*ldP+u]
			copy(g, dh[bi*u:bi*u+u])
			rnnActGrad(g, hs[bi*ldH+next*u:bi*ldH+next*u+u], act)
		}
	case rowLSTMBwd:
		for bi := lo; bi < hi; bi++ {
			row := pa[bi*ldP : bi*ldP+gu]
			ig, fg, cg, og := row[:u], row[u:2*u], row[2*u:3*u], row[3*u:]
			g := dz[bi*ldP : bi*ldP+gu]
			di, df, dcg, do := g[:u], g[u:2*u], g[2*u:3*u], g[3*u:]
			an := ca[bi*ldU+t*u : bi*ldU+t*u+u]
			cp := cs[bi*ldH+prev*u : bi*ldH+prev*u+u]
			dhr, dcr := dh[bi*u:bi*u+u], dc[bi*u:bi*u+u]
			// d(act(c)) = dh·o, through act into dc.
			for j := range dcg {
				dcg[j] = dhr[j] * og[j]
				do[j] = dhr[j] * an[j]
			}
			rnnActGrad(dcg, an, act)
			for j := range dcr {
				dct := dcr[j] + dcg[j]
				di[j] = dct * cg[j]
				dcg[j] = dct * ig[j]
				df[j] = dct * cp[j]
				dcr[j] = dct * fg[j]
			}
			rnnActGrad(g[:2*u], row[:2*u], ract)
			rnnActGrad(dcg, cg, act)
			rnnActGrad(do, og, ract)
		}
	case rowGRUBwd:
		for bi := lo; bi < hi; bi++ {
			row := pa[bi*ldP : bi*ldP+gu]
			zg, hh := row[:u], row[2*u:]
			g := dz[bi*ldP : bi*ldP+gu]
			dzg, dhh := g[:u], g[2*u:]
			h0 := hs[bi*ldH+prev*u : bi*ldH+prev*u+u]
			dhr := dh[bi*u : bi*u+u]
			for j := range dhr {
				dzg[j] = dhr[j] * (h0[j] - hh[j])
				dhh[j] = dhr[j] * (1 - zg[j])
				dhr[j] *= zg[j]
			}
			rnnActGrad(dzg, zg, ract)
			rnnActGrad(dhh, hh, act)
		}
	case rowGRUResetBwd:
		for bi := lo; bi < hi; bi++ {
			rg := pa[bi*ldP+u : bi*ldP+2*u]
			dr := dz[bi*ldP+u : bi*ldP+2*u]
			h0 := hs[bi*ldH+prev*u : bi*ldH+prev*u+u]
			drh := tmp[bi*u : bi*u+u]
			dhr := dh[bi*u : bi*u+u]
			if rm != nil {
				mh := rm[(2*bs+bi)*u : (2*bs+bi+1)*u]
				for j := range dr {
					dr[j] = drh[j] * h0[j] * mh[j]
					dhr[j] += drh[j] * rg[j] * mh[j]
				}
			} else {
				for j := range dr {
					dr[j] = drh[j] * h0[j]
					dhr[j] += drh[j] * rg[j]
				}
			}
			rnnActGrad(dr, rg, ract)
		}
	case rowGRUAfterBwd:
		for bi := lo; bi < hi; bi++ {
			rg := pa[bi*ldP+u : bi*ldP+2*u]
			g := dz[bi*ldP : bi*ldP+gu]
			dr, dah := g[u:2*u], g[2*u:]
			rh := rs[bi*ldU+t*u : bi*ldU+t*u+u]
			for j := range dr {
				dr[j] = dah[j] * rh[j]
			}
			rnnActGrad(dr, rg, ract)
			rec := tmp[bi*gu : bi*gu+gu]
			copy(rec[:2*u], g[:2*u])
			for j := range dah {
				rec[2*u+j] = dah[j] * rg[j]
			}
		}
	}
	_, _, _, _, _, _, _, _ = pa, hs, cs, ca, rs, tmp, rm, recBias
	_, _, _ = dz, dh, dc
	_, _, _, _, _, _, _, _, _ = t, prev, next, ldP, ldH, ldU, u, gu, bs
	_, _ = act, ract
}
