"""Turns one sitting's JSON lines (Benchmarks/sitting.sh) into the Markdown tables of Benchmarks/README.md.

Usage: python3 Benchmarks/summarize.py Benchmarks/sitting.jsonl
"""
import json, sys

ours, nano, hf, uptimes = {}, {}, {}, []
for line in open(sys.argv[1]):
    line = line.strip()
    if not line.startswith("{"):
        continue
    # torch_peak.py prints torch_bench's object and then {"peak_rss_bytes": …} on one line
    parts = [json.loads("{" + p if not p.startswith("{") else p) for p in line.replace("} {", "}\n{").split("\n")]
    d = {}
    for p in parts:
        d.update(p)
    if "uptime" in d:
        uptimes.append(d["uptime"].strip())
    elif "bench" in d:
        ours[(d["bench"], d["config"], d["threads"])] = d
    elif d.get("impl") == "nano":
        nano[(d["config"], d["threads"])] = d
    elif d.get("impl") == "hf":
        hf[(d["config"], d["threads"])] = d

names = {"a": "tiny", "b": "small", "c": "gpt2-mini"}
letters = {v: k for k, v in names.items()}
print("Load: " + " → ".join(uptimes))
print()
print("| threads | config | bench | ours tokens/s | ours ms/step | ours MFU | ours peak RSS | PyTorch nanoGPT tokens/s | HF tokens/s | ratio vs nanoGPT | ratio vs HF |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for t in (1, 2):
    for c in ("tiny", "small", "gpt2-mini"):
        for b in ("train", "forward", "generate"):
            o = ours.get((b, c, t))
            if not o:
                continue
            n, h = nano.get((letters[c], t), {}), hf.get((letters[c], t), {})
            key = {"train": "train_tok_s", "forward": "fwd_tok_s", "generate": "gen_tok_s"}[b]
            nv, hv = n.get(key), h.get(key)
            mfu = f"{o['mfu']:.0%}" if "mfu" in o else "—"
            fmt = lambda v: f"{v:,.0f}" if v else "—"
            ratio = lambda v: f"{o['tokens_per_second'] / v:.2f}×" if v else "—"
            print(f"| {t} | {c} | {b} | {o['tokens_per_second']:,.0f} | {o['ms_per_step']:.1f} | {mfu} | "
                  f"{o['peak_rss_bytes'] / 2**20:,.0f} MiB | {fmt(nv)} | {fmt(hv)} | {ratio(nv)} | {ratio(hv)} |")
print()
print("PyTorch nanoGPT-style train step peak RSS (whole process, includes libtorch):")
for t in (1, 2):
    for c in ("a", "b", "c"):
        n = nano.get((c, t))
        o = ours.get(("train", names[c], t))
        if n and "peak_rss_bytes" in n and o:
            print(f"- {t} thread(s), {names[c]}: PyTorch {n['peak_rss_bytes'] / 2**20:,.0f} MiB, ours {o['peak_rss_bytes'] / 2**20:,.0f} MiB "
                  f"({o['peak_rss_bytes'] / n['peak_rss_bytes']:.2f}×)")
