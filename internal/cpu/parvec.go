package cpu

// Long elementwise kernels (a weight matrix's optimizer update) split over
// the worker pool. Each element is computed by the same
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
	vecJobSumRows // columns [lo, hi) of SumRows
)

// vecJob carries one parallel elementwise call to the workers. Jobs are
// reused with their method value, so a call allocates nothing once the free
// list is warm.
type vecJob struct {
	kind       int
	p, g, m, v []float32
	f          [6]float32
	rows       int
	fn         func(lo, hi int)
}

var vecJobs freeList[*vecJob]

func getVecJob(kind int) *vecJob {
	j, ok := vecJobs.get()
	if !ok {
		j = vecJobs.fresh(newVecJob)
	}
	j.kind = kind
	return j
}

func newVecJob() *vecJob {
	j := new(vecJob)
	j.fn = j.run
	return j
}

func putVecJob(j *vecJob) {
	j.p, j.g, j.m, j.v = nil, nil, nil, nil
	vecJobs.put(j)
}

func (j *vecJob) run(lo, hi int) {
	switch j.kind {
	case vecJobAxpy:
		axpy(j.p[lo:hi], j.g[lo:hi], j.f[0])
	case vecJobAdam:
		f := &j.f
		adam(j.p[lo:hi], j.g[lo:hi], j.m[lo:hi], j.v[lo:hi], f[0], f[1], f[2], f[3], f[4], f[5])
	case vecJobSumRows:
		sumRows(j.p[lo:hi], j.g[lo:], j.rows, len(j.p))
	}
}
