#!/bin/sh
# The sitting recorded in Benchmarks/README.md ("quiet sitting"): core kernels, the three PERF.md targets with
# ours and PyTorch's runs interleaved, and one PPO iteration against ppo_bench.py, all at 2 threads.
# Usage (repository root, nothing else running): sh Benchmarks/quiet-sitting.sh > Benchmarks/sitting-quiet.jsonl
BENCH=.build/release/rlft-bench
PY=${PY:-/work/.venv-torch/bin/python}
SHARED=${SHARED:-/work/shared/bench}
echo "{\"uptime\": \"$(uptime)\"}"
$BENCH --threads 2 --only sgemm
$BENCH --threads 2 --only rowkernels
sh Benchmarks/targets.sh 2 | grep -v uptime
$BENCH --threads 2 --only forward --config small
OMP_NUM_THREADS=2 $PY $SHARED/torch_bench.py --threads 2 --config a --impl nano --no-gen
$BENCH --threads 2 --only train --config tiny
$BENCH --threads 2 --only ppo
OMP_NUM_THREADS=2 $PY $SHARED/ppo_bench.py --threads 2 --config a
OMP_NUM_THREADS=2 $PY $SHARED/ppo_bench.py --threads 2 --config b
echo "{\"uptime\": \"$(uptime)\"}"
