package cpu

// Long elementwise kernels (a weight matrix's optimizer update, a batch
// gather) split over the worker pool. Each element is computed by the same
// code whichever worker takes it, so the results do not depend on the
// number of workers.

// vecParallelMin is the length from which Axpy and AdamUpdate split over
// the pool: below it, handing a chunk to a worker costs more than it saves.
// On the 2-vCPU Zen 4 VMs, 64K floats of Adam take about 25 µs.
const vecParallelMin = 1 << 15

// vecGrain is the smallest chunk, in elements, a worker is given.
const vecGrain = 1 << 14

const (
	vecJobAxpy = iota
	vecJobAdam
	vecJobCopyRows
)

// vecJob carries one parallel elementwise call to the workers. Jobs are
// reused with their method value, so a call allocates nothing once the free
// list is warm.
type vecJob struct {
	kind       int
	p, g, m, v []float32
	f          [6]float32
	idx        []int
	rowSize    int
	fn         func(lo, hi int)
}

var vecJobs freeList[*vecJob]

func getVecJob(kind int) *vecJob {
	j, ok := vecJobs.get()
	if !ok {
		j = new(vecJob)
		j.fn = j.run
	}
	j.kind = kind
	return j
}

func putVecJob(j *vecJob) {
	j.p, j.g, j.m, j.v, j.idx = nil, nil, nil, nil, nil
	vecJobs.put(j)
}

func (j *vecJob) run(lo, hi int) {
	switch j.kind {
	case vecJobAxpy:
		axpy(j.p[lo:hi], j.g[lo:hi], j.f[0])
	case vecJobAdam:
		f := &j.f
		adam(j.p[lo:hi], j.g[lo:hi], j.m[lo:hi], j.v[lo:hi], f[0], f[1], f[2], f[3], f[4], f[5])
	case vecJobCopyRows:
		n := j.rowSize
		for i, r := range j.idx[lo:hi] {
			copy(j.p[(lo+i)*n:(lo+i+1)*n], j.g[r*n:(r+1)*n])
		}
	}
}

// CopyRows copies rows idx of src into dst (row i of dst = row idx[i] of
// src), rows of rowSize floats, splitting long copies over the workers.
func CopyRows(dst, src []float32, rowSize int, idx []int) {
	if rowSize <= 0 || len(idx) == 0 {
		return
	}
	_ = dst[len(idx)*rowSize-1]
	if len(idx)*rowSize < vecParallelMin || len(idx) < 2 {
		for i, r := range idx {
			copy(dst[i*rowSize:(i+1)*rowSize], src[r*rowSize:(r+1)*rowSize])
		}
		return
	}
	j := getVecJob(vecJobCopyRows)
	j.p, j.g, j.idx, j.rowSize = dst, src, idx, rowSize
	ParallelFor(len(idx), max(1, vecGrain/rowSize), j.fn)
	putVecJob(j)
}
