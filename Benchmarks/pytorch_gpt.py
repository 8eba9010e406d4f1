#!/usr/bin/env python3
"""PyTorch counterpart of `rlft-bench --only train|forward|generate|sgemm`, for same-sitting ratios.

Set-up (once; the torch wheel is large):  python3 -m pip install torch transformers
Run with the thread count of the Swift run you compare against, e.g.

    OMP_NUM_THREADS=2 python3 Benchmarks/pytorch_gpt.py --threads 2 --config small --bench train --impl nano

Prints one JSON object per line with the keys rlft-bench uses (bench, config, threads, tokens_per_second,
ms_per_step, peak_rss_bytes) plus impl ("torch-nano": a minimal GPT-2 on scaled_dot_product_attention;
"torch-hf": transformers' GPT2LMHeadModel) and the BLAS torch was built with. Models are randomly initialised
from the configuration; nothing is downloaded. Shapes, batch sizes and timing rules are rlft-bench's
(Sources/rlft-bench/ModelBenchmarks.swift): median after warm-up; generation is 16 prompts of 16 tokens and
exactly 64 sampled tokens with the KV cache.
"""
import argparse
import os

import pytorch_common as common

CONFIGS = {  # layers, width, heads, vocabulary, context, batch: as ModelBenchmarks.configurations
    "tiny": (2, 128, 4, 256, 128, 16),
    "small": (4, 256, 8, 4096, 256, 8),
    "gpt2-mini": (6, 384, 6, 50257, 256, 4),
}

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--config", choices=sorted(CONFIGS), default="small")
parser.add_argument("--bench", choices=["train", "forward", "generate", "sgemm"], required=True)
parser.add_argument("--impl", choices=["nano", "hf"], default="nano")
parser.add_argument("--repeats", type=int, default=10)
args = parser.parse_args()
os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))

import torch  # noqa: E402  (after OMP_NUM_THREADS)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(args.threads)
torch.manual_seed(0)
LAYERS, WIDTH, HEADS, VOCAB, CONTEXT, BATCH = CONFIGS[args.config]


def median_seconds(body, repeats, warmup=2):
    return common.median_seconds(body, repeats, warmup)


def emit(**fields):
    fields.update(impl=f"torch-{args.impl}", threads=args.threads, torch=torch.__version__,
                  blas="MKL" if torch.backends.mkl.is_available() else "other")
    common.emit(**fields)


class Block(nn.Module):
    """Pre-norm GPT-2 block: attention and a GELU (tanh) MLP, both residual."""

    def __init__(self):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(WIDTH), nn.LayerNorm(WIDTH)
        self.qkv, self.out = nn.Linear(WIDTH, 3 * WIDTH), nn.Linear(WIDTH, WIDTH)
        self.up, self.down = nn.Linear(WIDTH, 4 * WIDTH), nn.Linear(4 * WIDTH, WIDTH)

    def forward(self, x):
        batch, length, _ = x.shape
        heads = self.qkv(self.norm1(x)).view(batch, length, 3, HEADS, WIDTH // HEADS).permute(2, 0, 3, 1, 4)
        attended = F.scaled_dot_product_attention(heads[0], heads[1], heads[2], is_causal=True)
        x = x + self.out(attended.transpose(1, 2).reshape(batch, length, WIDTH))
        return x + self.down(F.gelu(self.up(self.norm2(x)), approximate="tanh"))


class MinimalGPT(nn.Module):
    """Token and position embeddings, blocks, final norm, LM head tied to the token embedding."""

    def __init__(self):
        super().__init__()
        self.tokens, self.positions = nn.Embedding(VOCAB, WIDTH), nn.Embedding(CONTEXT, WIDTH)
        self.blocks = nn.ModuleList(Block() for _ in range(LAYERS))
        self.norm = nn.LayerNorm(WIDTH)

    def forward(self, ids):
        x = self.tokens(ids) + self.positions(torch.arange(ids.shape[1]))
        for block in self.blocks:
            x = block(x)
        return self.norm(x) @ self.tokens.weight.t()


def build():
    if args.impl == "nano":
        return MinimalGPT()
    from transformers import GPT2Config, GPT2LMHeadModel
    config = GPT2Config(vocab_size=VOCAB, n_positions=CONTEXT, n_embd=WIDTH, n_layer=LAYERS, n_head=HEADS,
                        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=0, eos_token_id=0,
                        pad_token_id=0)
    return GPT2LMHeadModel(config)


def logits_of(model, ids):
    out = model(ids)
    return out if isinstance(out, torch.Tensor) else out.logits


def sgemm():
    # The BLAS peak of this sitting: torch's own matmul (MKL on x86 wheels) at rlft-bench's square sizes.
    for size in (512, 1024, 2048):
        a, b = torch.randn(size, size), torch.randn(size, size)
        seconds = median_seconds(lambda: a @ b, repeats=max(3, args.repeats))
        emit(bench="sgemm", shape="square", m=size, n=size, k=size, gflops=2 * size ** 3 / seconds / 1e9)


if args.bench == "sgemm":
    sgemm()
elif args.bench in ("train", "forward"):
    model = build()
    ids = torch.randint(0, VOCAB, (BATCH, CONTEXT))
    if args.bench == "train":
        model.train()
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.0)

        def step():
            logits = logits_of(model, ids)
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, VOCAB), ids[:, 1:].reshape(-1))
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
    else:
        model.eval()

        def step():
            with torch.no_grad():
                logits_of(model, ids)
    seconds = median_seconds(step, args.repeats)
    emit(bench=args.bench, config=args.config, tokens_per_second=BATCH * CONTEXT / seconds, ms_per_step=seconds * 1e3)
else:
    if args.impl != "hf":
        parser.error("--bench generate measures transformers' generate(): use --impl hf")
    model = build().eval()
    prompts = torch.randint(1, VOCAB, (16, 16))

    def generate():
        with torch.no_grad():
            out = model.generate(input_ids=prompts, attention_mask=torch.ones_like(prompts), do_sample=True,
                                 max_new_tokens=64, min_new_tokens=64, use_cache=True, pad_token_id=0)
        assert out.shape == (16, 80), out.shape

    seconds = median_seconds(generate, max(3, args.repeats // 2), warmup=1)
    emit(bench="generate", config=args.config, tokens_per_second=16 * 64 / seconds, ms_per_step=seconds / 64 * 1e3)
