#!/usr/bin/env bash
# Train the deep MNIST net on 4 ranks with mpirun: two hosts, two ranks
# each, global batch 4 x 64 = 256. Build once with: go build -tags mpi -o neurona ./cmd/neurona
# (the binary must be at the same path on every host). Add
# --mca btl self,tcp --mca btl_tcp_if_include eth0 to pin the interface.
mpirun -np 4 --host node1:2,node2:2 -x GOMAXPROCS=1 \
  ./neurona run deep --distributed --batch-size 64 --checkpoint deep.nrn --save deep-final.nrn
