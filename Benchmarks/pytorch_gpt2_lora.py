#!/usr/bin/env python3
"""PyTorch (+ PEFT) counterpart of `rlft-bench --only gpt2-train-full|gpt2-train-lora|gpt2-generate|gpt2-ppo-lora`.

Set-up (once):  python3 -m pip install torch transformers peft
Run (one measurement per process, so the peak RSS is that measurement's):
    OMP_NUM_THREADS=2 python3 Benchmarks/pytorch_gpt2_lora.py --threads 2 --bench train-lora

GPT-2 (124M)-shaped, random weights: 12 layers, width 768, 12 heads, vocabulary 50257, 256 positions, dropout 0.
- train-full / train-lora: forward, backward of the next-token loss, AdamW step over 4 × 256 tokens; LoRA is
  PEFT's (r 8, lora_alpha 16, target_modules c_attn and c_proj, dropout 0), base weights frozen.
- generate: transformers' generate, batch 8, 16-token prompts, exactly 64 sampled tokens, KV cache.
- ppo-lora: one PPO iteration as Sources/rlft-bench/GPT2Benchmarks.swift runs it: LoRA policy with a value head on
  its trunk, the reference is the same model with the adapters disabled, a separate reward model; 8 prompts of 16
  tokens, 32 sampled tokens, 4 epochs of one minibatch (clipped surrogate and value loss, ε 0.2, β 0.05).
Prints one JSON line with the keys rlft-bench uses.
"""
import argparse
import os
import statistics
import time

import pytorch_common as common

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--bench", choices=["train-full", "train-lora", "generate", "ppo-lora"], required=True)
parser.add_argument("--repeats", type=int, default=3)
args = parser.parse_args()
os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from transformers import GPT2Config, GPT2ForSequenceClassification, GPT2LMHeadModel  # noqa: E402
from transformers.utils import logging  # noqa: E402

logging.set_verbosity_error()
torch.set_num_threads(args.threads)
torch.manual_seed(0)
CONFIG = GPT2Config(vocab_size=50257, n_positions=256, n_embd=768, n_layer=12, n_head=12, resid_pdrop=0.0,
                    embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=0, eos_token_id=0, pad_token_id=0)


def lora(model):
    from peft import LoraConfig, get_peft_model
    return get_peft_model(model, LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, target_modules=["c_attn", "c_proj"],
                                            fan_in_fan_out=True, task_type="CAUSAL_LM"))


def median_seconds(body, repeats, warmup=1):
    return common.median_seconds(body, repeats, warmup)


def emit(**fields):
    fields.update(bench=f"gpt2-{args.bench}", impl="torch", config="gpt2-124m", threads=args.threads,
                  torch=torch.__version__)
    common.emit(**fields)


if args.bench.startswith("train"):
    model = GPT2LMHeadModel(CONFIG)
    if args.bench == "train-lora":
        model = lora(model)
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-4, weight_decay=0.0)
    ids = torch.randint(0, 50257, (4, 256))

    def step():
        logits = model(input_ids=ids).logits
        F.cross_entropy(logits[:, :-1].reshape(-1, 50257), ids[:, 1:].reshape(-1)).backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    seconds = median_seconds(step, args.repeats)
    emit(tokens_per_second=4 * 256 / seconds, ms_per_step=seconds * 1e3,
         trained_parameters=sum(p.numel() for p in trainable))
elif args.bench == "generate":
    model = GPT2LMHeadModel(CONFIG).eval()
    prompts = torch.randint(1, 50257, (8, 16))

    def generate():
        with torch.no_grad():
            model.generate(input_ids=prompts, attention_mask=torch.ones_like(prompts), do_sample=True, max_new_tokens=64,
                           min_new_tokens=64, use_cache=True, pad_token_id=0)

    seconds = median_seconds(generate, args.repeats)
    emit(tokens_per_second=8 * 64 / seconds, ms_per_step=seconds / 64 * 1e3, batch=8)
else:
    policy = lora(GPT2LMHeadModel(CONFIG))
    value_head = torch.nn.Linear(768, 1)
    reward_model = GPT2ForSequenceClassification(GPT2Config(**{**CONFIG.to_dict(), "num_labels": 1})).eval()
    optimizer = torch.optim.AdamW([p for p in policy.parameters() if p.requires_grad] + list(value_head.parameters()), lr=1e-5)
    P, NEW = 16, 32

    def scores(model, sequences, values=False):
        out = model(input_ids=sequences, output_hidden_states=values)
        logits = out.logits[:, P - 1:-1]
        lp = torch.gather(F.log_softmax(logits, -1), 2, sequences[:, P:, None]).squeeze(-1)
        return (lp, value_head(out.hidden_states[-1][:, P - 1:-1]).squeeze(-1)) if values else lp

    def iteration():
        phases = {}
        start = time.perf_counter()
        prompts = torch.randint(1, 50257, (8, P))
        policy.eval()
        with torch.no_grad():
            sequences = policy.generate(input_ids=prompts, attention_mask=torch.ones_like(prompts), do_sample=True,
                                        max_new_tokens=NEW, min_new_tokens=NEW, use_cache=True, pad_token_id=0)
        phases["generate"] = time.perf_counter() - start
        mark = time.perf_counter()
        with torch.no_grad():
            score = reward_model(input_ids=sequences).logits.squeeze(-1)
            with policy.disable_adapter():
                reference_lp = scores(policy, sequences)
            old_lp, old_values = scores(policy, sequences, values=True)
        phases["score"] = time.perf_counter() - mark
        rewards = -0.05 * (old_lp - reference_lp)
        rewards[:, -1] += score
        advantages, running = torch.zeros_like(rewards), torch.zeros(8)
        for t in reversed(range(NEW)):
            following = old_values[:, t + 1] if t + 1 < NEW else torch.zeros(8)
            running = rewards[:, t] + following - old_values[:, t] + 0.95 * running
            advantages[:, t] = running
        returns = advantages + old_values
        advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
        mark = time.perf_counter()
        policy.train()
        for _ in range(4):
            lp, values = scores(policy, sequences, values=True)
            ratio = torch.exp(lp - old_lp)
            loss = torch.max(-advantages * ratio, -advantages * ratio.clamp(0.8, 1.2)).mean()
            clipped = old_values + (values - old_values).clamp(-0.2, 0.2)
            loss = loss + 0.1 * 0.5 * torch.max((values - returns) ** 2, (clipped - returns) ** 2).mean()
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
        phases["update"] = time.perf_counter() - mark
        phases["total"] = time.perf_counter() - start
        return phases

    runs = [iteration() for _ in range(args.repeats)][1:]
    emit(**{f"{k}_ms": statistics.median(r[k] for r in runs) * 1e3 for k in runs[0]})
