#!/bin/sh
# GPT-2 (124M)-shaped figures: a training step with every weight trained and with LoRA (r 8 on c_attn and c_proj),
# generation at batch 8, and one PPO iteration with LoRA; ours and PyTorch + PEFT alternately, one process per
# measurement (peak RSS). Summarise with Benchmarks/summarize.py.
#
# Usage (repository root, nothing else running):
#   swift build -c release --product rlft-bench
#   python3 -m pip install torch transformers peft       # once, or a venv passed as PYTHON
#   sh Benchmarks/gpt2-lora-sitting.sh > Benchmarks/sitting-$(date +%F)-gpt2.jsonl
set -e
BENCH=${BENCH:-.build/release/rlft-bench}
PYTHON=${PYTHON:-python3}
T=${THREADS:-2}
export OMP_NUM_THREADS=$T
echo "{\"sitting\": \"start\", \"uptime\": \"$(uptime)\", \"cpu\": \"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')\"}"
for b in train-full train-lora generate ppo-lora; do
    $BENCH --threads $T --only gpt2-$b --repeats 3
    $PYTHON Benchmarks/pytorch_gpt2_lora.py --threads $T --bench $b --repeats 3 2>/dev/null
done
$BENCH --threads $T --only gpt2-ppo-lora-copied-reference --repeats 3   # the memory the shared reference saves
echo "{\"sitting\": \"end\", \"uptime\": \"$(uptime)\"}"
