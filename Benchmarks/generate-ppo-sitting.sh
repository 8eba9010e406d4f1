#!/bin/sh
# Generation and one PPO iteration, ours and PyTorch's interleaved twice, 2 threads (the #3 and #5 targets).
# Usage (repository root, release build, nothing else running):
#   sh Benchmarks/generate-ppo-sitting.sh > Benchmarks/sitting-DATE-generate-ppo.txt
# Needs PyTorch and transformers in $PY (python3 -m venv /work/.venv-torch && /work/.venv-torch/bin/pip install
# torch transformers).
BENCH=.build/release/rlft-bench
PY=${PY:-/work/.venv-torch/bin/python}
SHARED=${SHARED:-/work/shared/bench}
echo "uptime: $(uptime)"
for round in 1 2; do
    $BENCH --threads 2 --only generate --config tiny
    OMP_NUM_THREADS=2 $PY $SHARED/torch_bench.py --threads 2 --config a --impl hf --steps 2 --warmup 1 2>/dev/null | grep -i gen
    $BENCH --threads 2 --only generate --config small
    OMP_NUM_THREADS=2 $PY $SHARED/torch_bench.py --threads 2 --config b --impl hf --steps 2 --warmup 1 2>/dev/null | grep -i gen
done
for round in 1 2; do
    $BENCH --threads 2 --only ppo
    OMP_NUM_THREADS=2 $PY $SHARED/ppo_bench.py --threads 2 --config a 2>/dev/null
    OMP_NUM_THREADS=2 $PY $SHARED/ppo_bench.py --threads 2 --config b 2>/dev/null
done
echo "uptime: $(uptime)"
