package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/neurona/neurona/distributed"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/spec"
)

// distFlags are the flags of data-parallel training (docs/distributed.md).
type distFlags struct {
	on      bool
	timeout time.Duration
	stats   bool
	syncBN  bool
}

func (d *distFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&d.on, "distributed", false, "train data-parallel over MPI with the ranks the launcher started (mpirun, srun, Kubeflow MPIJob; needs a build with -tags mpi); --batch-size is per rank")
	fs.DurationVar(&d.timeout, "dist-timeout", 20*time.Second, "with --distributed: exit with an error when a collective blocks this long (a rank died or stalled)")
	fs.BoolVar(&d.stats, "dist-stats", false, "with --distributed: print the communication statistics of the run on stderr (rank 0)")
	fs.BoolVar(&d.syncBN, "sync-batchnorm", false, "with --distributed: synchronize every BatchNormalization, taking its batch statistics over the global batch (Keras's synchronized=True) rather than per rank")
}

// setup opens the collective for a --distributed run and makes every rank
// but 0 silent and write no file: rank 0 prints, logs and saves. It
// returns what to run when training is over.
func (d *distFlags) setup(fit *models.FitConfig, out *spec.Outputs, stdout, human, stderr *io.Writer) (func(m *models.Model, err error), error) {
	env, ok, err := distributed.Detect(nil)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, usagef("--distributed: no launcher found (OMPI_COMM_WORLD_RANK, SLURM_PROCID or RANK/WORLD_SIZE): start the ranks with mpirun, srun --mpi=pmix or a Kubeflow MPIJob (docs/distributed.md)")
	}
	c, err := distributed.Open(distributed.Options{})
	if err != nil {
		return nil, err
	}
	if err := distributed.CheckWorld(env, c); err != nil {
		return nil, err
	}
	errOut := os.Stderr
	w := distributed.NewWatchdog(c, d.timeout, func(err error) {
		fmt.Fprintf(errOut, "neurona: %v\n", err)
		os.Exit(exitError)
	})
	fit.Collective = w
	fit.SyncBatchNorm = d.syncBN
	if c.Rank() != 0 {
		*stdout, *human, *stderr = io.Discard, io.Discard, io.Discard
		*out = spec.Outputs{}
		fit.Verbose = 0
	}
	return func(m *models.Model, err error) {
		if d.stats && c.Rank() == 0 && m != nil {
			s := m.CommStats()
			if s.Steps > 0 {
				fmt.Fprintf(errOut, "neurona: distributed: %d ranks (%s), %d steps, %d gradient buckets; step %.3f ms, all-reduce %.3f ms (%.1f%% of the step), not overlapped %.3f ms (%.1f%%)\n",
					c.Size(), env.Launcher, s.Steps, s.Buckets,
					ms(s.Step)/float64(s.Steps), ms(s.Reduce)/float64(s.Steps), 100*float64(s.Reduce)/float64(s.Step),
					ms(s.Exposed)/float64(s.Steps), 100*float64(s.Exposed)/float64(s.Step))
				if s.BatchNorm > 0 {
					fmt.Fprintf(errOut, "neurona: distributed: synchronized BatchNormalization: all-reduces %.3f ms per step (%.1f%% of the step)\n",
						ms(s.BatchNorm)/float64(s.Steps), 100*float64(s.BatchNorm)/float64(s.Step))
				}
			}
		}
		w.Close()
		if err == nil { // a rank that fails exits without it, and mpirun stops the others
			if ferr := distributed.Finalize(); ferr != nil {
				fmt.Fprintf(errOut, "neurona: %v\n", ferr)
			}
		}
	}, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// globalBatch is the samples per gradient step: the batch size, times
// the ranks of a --distributed run. Checkpoints record it, so that a run
// resumes on any number of ranks with the same global batch.
func globalBatch(fit models.FitConfig) int {
	if fit.Collective != nil {
		return fit.BatchSize * fit.Collective.Size()
	}
	return fit.BatchSize
}
