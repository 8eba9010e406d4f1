#!/usr/bin/env python3
"""Turns one sitting's JSON lines (Benchmarks/sitting.sh) into the Markdown table of Benchmarks/README.md:
ours against PyTorch per measurement (median over rounds, and the range of per-round ratios), each target
marked met or not, and one PPO iteration against the arithmetic floor of its passes at this sitting's sgemm peak.

Usage: python3 Benchmarks/summarize.py Benchmarks/sitting-DATE.jsonl
"""
import json
import statistics
import sys
from collections import defaultdict

# (bench, config, PyTorch implementation compared with, target ratio or None)
ROWS = [
    ("train", "tiny", "torch-nano", None),
    ("train", "small", "torch-nano", 1.3),
    ("forward", "tiny", "torch-nano", None),
    ("forward", "small", "torch-nano", 1.2),
    ("generate", "tiny", "torch-hf", 3.0),
    ("generate", "small", "torch-hf", 3.0),
]
# (layers, width, vocabulary) of rlft-bench's PPO configurations; 16 sequences of 16 prompt + 64 response tokens.
PPO_SHAPES = {"tiny": (2, 128, 256), "small": (4, 256, 4096)}


def ppo_floor_gflop(layers, width, vocabulary, sequences=16, prompt=16, response=64, epochs=4):
    """Matrix-product FLOPs of one iteration's passes (the reference's: ppo_bench-shaped), in GFLOP.

    Per token a trunk costs 2 FLOPs per weight of its linear layers (12·C² per layer); attention adds 4·T²·C per
    layer and sequence; the LM head (2·C·V per token) runs only at response positions. Scoring is four forward
    passes (reward model and value model without LM head; reference and old policy with it); the update is
    `epochs` forward+backward passes (3× a forward) of the policy and of the value model; generation is a
    prefill of the prompts and 64 decode steps.
    """
    length = prompt + response
    tokens = sequences * length
    trunk = 2 * 12 * layers * width ** 2 * tokens + 4 * length ** 2 * width * layers * sequences
    head = 2 * width * vocabulary * sequences * response
    policy, value = trunk + head, trunk
    update = epochs * 3 * (policy + value)
    scoring = 2 * value + 2 * policy
    decode = sequences * response * (2 * 12 * layers * width ** 2 + 2 * width * vocabulary)
    prefill = sequences * prompt * (2 * 12 * layers * width ** 2) + sequences * 2 * width * vocabulary
    return (update + scoring + decode + prefill) / 1e9


lines = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
runs = defaultdict(list)  # (bench, config, impl) -> [line]
for line in lines:
    if "bench" in line:
        runs[(line["bench"], line.get("config"), line.get("impl", "ours"))].append(line)

start = next((l for l in lines if l.get("sitting") == "start"), {})
end = next((l for l in lines if l.get("sitting") == "end"), {})
ours_any = next((l for l in lines if "blas_core" in l), {})
torch_any = next((l for l in lines if "torch" in l), {})
print(f"CPU: {start.get('cpu', '?')}; OpenBLAS kernel: {ours_any.get('blas_core', '?')} "
      f"(OpenBLAS threads {ours_any.get('blas_threads', '?')}); PyTorch {torch_any.get('torch', '?')} "
      f"with {torch_any.get('blas', '?')}")
print(f"Load: {start.get('uptime', '?').strip()} → {end.get('uptime', '?').strip()}")
print()

raw = [l["gflops_raw"] for l in runs[("sgemm", None, "ours")] if l["shape"] == "square" and l["m"] >= 512]
tensor = [l["gflops_tensor"] for l in runs[("sgemm", None, "ours")] if l["shape"] == "square" and l["m"] >= 512]
torch_gemm = [l["gflops"] for l in runs[("sgemm", None, "torch-nano")]]
if raw:
    print(f"sgemm, square 512–2048: OpenBLAS {min(raw):.0f}–{max(raw):.0f} GFLOP/s, through the tensor API "
          f"{min(tensor):.0f}–{max(tensor):.0f}, PyTorch `a @ b` {min(torch_gemm or [0]):.0f}–{max(torch_gemm or [0]):.0f}")
    print()

print("| measure | ours (median) | PyTorch (median) | ratio of medians | per-round ratios | target |")
print("|---|--:|--:|--:|--:|---|")
for bench, config, impl, target in ROWS:
    ours = [l["tokens_per_second"] for l in runs[(bench, config, "ours")]]
    theirs = [l["tokens_per_second"] for l in runs[(bench, config, impl)]]
    if not ours or not theirs:
        continue
    ratio = statistics.median(ours) / statistics.median(theirs)
    rounds = [o / t for o, t in zip(ours, theirs)]
    verdict = "—" if target is None else f"≥ {target}× {'✔' if ratio >= target else '✘'}"
    print(f"| {config} {bench} tokens/s ({impl}) | {statistics.median(ours):,.0f} | {statistics.median(theirs):,.0f} | "
          f"**{ratio:.2f}×** | {min(rounds):.2f}–{max(rounds):.2f}× | {verdict} |")

peak = max(raw) if raw else None
for config, shape in PPO_SHAPES.items():
    ours = [l for l in runs[("ppo", config, "ours")]]
    theirs = [l for l in runs[("ppo", config, "torch")]]
    if not ours:
        continue
    ms = statistics.median(l["total_ms"] for l in ours)
    parts = {k: statistics.median(l[f"{k}_ms"] for l in ours) for k in ("generate", "score", "update")}
    torch_ms = statistics.median(l["total_ms"] for l in theirs) if theirs else None
    floor_ms = ppo_floor_gflop(*shape) / peak * 1e3 if peak else None
    floor = f"floor {floor_ms:,.0f} ms at {peak:.0f} GFLOP/s → **{ms / floor_ms:.2f}× the floor**" if floor_ms else ""
    versus = f"PyTorch {torch_ms:,.0f} ms → **{torch_ms / ms:.2f}×**" if torch_ms else ""
    verdict = "≤ 1.2× floor " + ("✔" if floor_ms and ms / floor_ms <= 1.2 else "✘")
    print(f"| {config} PPO iteration ms (gen {parts['generate']:.0f}, score {parts['score']:.0f}, update "
          f"{parts['update']:.0f}) | {ms:,.0f} | {torch_ms or 0:,.0f} | {versus} | {floor} | {verdict} |")

# GPT-2 (124M) with LoRA (Benchmarks/gpt2-lora-sitting.sh): speed and peak RSS against PyTorch + PEFT.
GPT2 = [("gpt2-train-full", "tokens_per_second"), ("gpt2-train-lora", "tokens_per_second"),
        ("gpt2-generate", "tokens_per_second"), ("gpt2-ppo-lora", "total_ms")]
if any(runs[(b, "gpt2-124m", "ours")] for b, _ in GPT2):
    print()
    print("| GPT-2 124M | ours | PyTorch (+ PEFT) | speed ratio (target ≥ 1) | ours peak RSS | PyTorch peak RSS | memory ratio (target ≤ 1) |")
    print("|---|--:|--:|--:|--:|--:|--:|")
    for bench, key in GPT2:
        ours, theirs = runs[(bench, "gpt2-124m", "ours")], runs[(bench, "gpt2-124m", "torch")]
        if not ours or not theirs:
            continue
        o, t = statistics.median(l[key] for l in ours), statistics.median(l[key] for l in theirs)
        speed = t / o if key == "total_ms" else o / t
        unit = "ms" if key == "total_ms" else "tokens/s"
        om, tm = max(l["peak_rss_bytes"] for l in ours), max(l["peak_rss_bytes"] for l in theirs)
        print(f"| {bench} ({unit}) | {o:,.0f} | {t:,.0f} | **{speed:.2f}×** {'✔' if speed >= 1 else '✘'} | "
              f"{om / 2**20:,.0f} MiB | {tm / 2**20:,.0f} MiB | **{om / tm:.2f}** {'✔' if om <= tm else '✘'} |")
    shared, copied = runs[("gpt2-ppo-lora", "gpt2-124m", "ours")], runs[("gpt2-ppo-lora-copied-reference", "gpt2-124m", "ours")]
    if shared and copied:
        saved = max(l["peak_rss_bytes"] for l in copied) - max(l["peak_rss_bytes"] for l in shared)
        print(f"\nPPO with LoRA, reference = the loaded model (shared, frozen) against a frozen copy: peak RSS "
              f"{max(l['peak_rss_bytes'] for l in shared) / 2**20:,.0f} against {max(l['peak_rss_bytes'] for l in copied) / 2**20:,.0f} MiB "
              f"({saved / 2**20:,.0f} MiB saved; the weights are "
              f"{max((l.get('parameters', 0) for l in runs[('gpt2-train-full', 'gpt2-124m', 'ours')]), default=0) * 4 / 2**20:,.0f} MiB)")
