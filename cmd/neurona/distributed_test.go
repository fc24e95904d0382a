package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/neurona/neurona/distributed"
)

// TestDistributedFlag: --distributed without a launcher is a usage error,
// and in the default build (no MPI) it says how to get one.
func TestDistributedFlag(t *testing.T) {
	for _, k := range []string{"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "SLURM_PROCID", "SLURM_NTASKS", "RANK", "WORLD_SIZE"} {
		t.Setenv(k, "")
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"run", "regression", "--distributed", "--epochs", "1"}, &out, &errb)
	if code != exitUsage || !strings.Contains(errb.String(), "no launcher found") {
		t.Fatalf("no launcher: exit %d, stderr %q", code, errb.String())
	}
	if distributed.Available {
		return
	}
	t.Setenv("OMPI_COMM_WORLD_RANK", "0")
	t.Setenv("OMPI_COMM_WORLD_SIZE", "2")
	out.Reset()
	errb.Reset()
	code = run(context.Background(), []string{"run", "regression", "--distributed", "--epochs", "1"}, &out, &errb)
	if code != exitError || !strings.Contains(errb.String(), "-tags mpi") || !strings.Contains(errb.String(), "Open MPI") {
		t.Fatalf("default build: exit %d, stderr %q", code, errb.String())
	}
	out.Reset()
	errb.Reset()
	if code := run(context.Background(), []string{"run", "--help"}, &out, &errb); code != exitOK || !strings.Contains(errb.String(), "-distributed") {
		t.Fatalf("run --help: exit %d, no --distributed in %q", code, errb.String())
	}
}
