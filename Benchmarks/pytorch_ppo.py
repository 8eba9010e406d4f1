#!/usr/bin/env python3
"""PyTorch counterpart of `rlft-bench --only ppo`: one PPO-RLHF iteration, timed by phase.

Set-up (once):  python3 -m pip install torch transformers
Run:            OMP_NUM_THREADS=2 python3 Benchmarks/pytorch_ppo.py --threads 2 --config small

The iteration is the one of Ziegler et al. 2019 (arXiv 1909.08593) and InstructGPT (arXiv 2203.02155, §3.5),
shaped as Sources/rlft-bench/PPOBenchmark.swift runs it: a policy, its frozen reference, a reward model and a
separate value model, all GPT-2 of one size (transformers' classes, random initialisation); 16 prompts of 16
random tokens; exactly 64 sampled tokens with the KV cache; scoring without gradients (reward, reference and
old log-probabilities, values); per-token KL penalty (β = 0.05) with the reward on the last token; GAE
(γ = 1, λ = 0.95, arXiv 1506.02438); then 4 epochs of one minibatch: clipped policy surrogate and clipped value
loss (ε = 0.2, arXiv 1707.06347 eq. 7), AdamW (lr 1e-5, weight decay 0.01) on each model.
Prints one JSON line: bench "ppo", impl "torch", and the median milliseconds of each phase.
"""
import argparse
import json
import os
import statistics
import time

CONFIGS = {"tiny": (2, 128, 4, 256, 128), "small": (4, 256, 8, 4096, 256)}  # layers, width, heads, vocab, context
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--config", choices=sorted(CONFIGS), default="small")
parser.add_argument("--steps", type=int, default=5, help="timed iterations after one warm-up iteration")
args = parser.parse_args()
os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from transformers import GPT2Config, GPT2ForSequenceClassification, GPT2LMHeadModel, GPT2Model  # noqa: E402
from transformers.utils import logging  # noqa: E402

logging.set_verbosity_error()
torch.set_num_threads(args.threads)
torch.manual_seed(0)
LAYERS, WIDTH, HEADS, VOCAB, CONTEXT = CONFIGS[args.config]
PROMPTS, PROMPT_LENGTH, NEW_TOKENS, EPOCHS = 16, 16, 64, 4
BETA, CLIP, GAMMA, LAMBDA = 0.05, 0.2, 1.0, 0.95


def config(**extra):
    return GPT2Config(vocab_size=VOCAB, n_positions=CONTEXT, n_embd=WIDTH, n_layer=LAYERS, n_head=HEADS,
                      resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=0, eos_token_id=0,
                      pad_token_id=0, **extra)


class ValueModel(torch.nn.Module):
    """A GPT-2 trunk with a scalar head on every position."""

    def __init__(self):
        super().__init__()
        self.trunk = GPT2Model(config())
        self.head = torch.nn.Linear(WIDTH, 1)

    def forward(self, ids):
        return self.head(self.trunk(input_ids=ids).last_hidden_state).squeeze(-1)


policy = GPT2LMHeadModel(config())
reference = GPT2LMHeadModel(config()).eval()
reference.load_state_dict(policy.state_dict())
reward_model = GPT2ForSequenceClassification(config(num_labels=1)).eval()
critic = ValueModel()
policy_optimizer = torch.optim.AdamW(policy.parameters(), lr=1e-5, weight_decay=0.01)
critic_optimizer = torch.optim.AdamW(critic.parameters(), lr=1e-5, weight_decay=0.01)


def response_log_probabilities(model, sequences):
    """log π(token | prefix) for each of the 64 response tokens."""
    logits = model(input_ids=sequences).logits[:, PROMPT_LENGTH - 1:-1]
    return torch.gather(F.log_softmax(logits, dim=-1), 2, sequences[:, PROMPT_LENGTH:, None]).squeeze(-1)


def response_values(sequences):
    """V(state before each response token)."""
    return critic(sequences)[:, PROMPT_LENGTH - 1:-1]


def iteration():
    phases = {}
    start = time.perf_counter()
    prompts = torch.randint(1, VOCAB, (PROMPTS, PROMPT_LENGTH))
    policy.eval()
    with torch.no_grad():
        sequences = policy.generate(input_ids=prompts, attention_mask=torch.ones_like(prompts), do_sample=True,
                                    max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS, use_cache=True,
                                    pad_token_id=0)
    phases["generate"] = time.perf_counter() - start

    mark = time.perf_counter()
    with torch.no_grad():
        scores = reward_model(input_ids=sequences).logits.squeeze(-1)
        reference_lp = response_log_probabilities(reference, sequences)
        old_lp = response_log_probabilities(policy, sequences)
        old_values = response_values(sequences)
    phases["score"] = time.perf_counter() - mark

    mark = time.perf_counter()
    rewards = -BETA * (old_lp - reference_lp)
    rewards[:, -1] += scores
    advantages = torch.zeros_like(rewards)
    running = torch.zeros(PROMPTS)
    for t in reversed(range(NEW_TOKENS)):
        next_value = old_values[:, t + 1] if t + 1 < NEW_TOKENS else torch.zeros(PROMPTS)
        running = rewards[:, t] + GAMMA * next_value - old_values[:, t] + GAMMA * LAMBDA * running
        advantages[:, t] = running
    returns = advantages + old_values
    advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
    phases["gae"] = time.perf_counter() - mark

    mark = time.perf_counter()
    policy.train()
    critic.train()
    for _ in range(EPOCHS):
        ratio = torch.exp(response_log_probabilities(policy, sequences) - old_lp)
        policy_loss = torch.max(-advantages * ratio, -advantages * ratio.clamp(1 - CLIP, 1 + CLIP)).mean()
        values = response_values(sequences)
        clipped = old_values + (values - old_values).clamp(-CLIP, CLIP)
        value_loss = 0.5 * torch.max((values - returns) ** 2, (clipped - returns) ** 2).mean()
        (policy_loss + value_loss).backward()
        policy_optimizer.step()
        critic_optimizer.step()
        policy_optimizer.zero_grad(set_to_none=True)
        critic_optimizer.zero_grad(set_to_none=True)
    phases["update"] = time.perf_counter() - mark
    phases["total"] = time.perf_counter() - start
    return phases


runs = [iteration() for _ in range(args.steps + 1)][1:]
result = {f"{phase}_ms": round(statistics.median(run[phase] for run in runs) * 1e3, 1) for phase in runs[0]}
result.update(bench="ppo", impl="torch", config=args.config, threads=args.threads, steps=args.steps,
              torch=torch.__version__, total_ms_all=[round(run["total"] * 1e3) for run in runs])
print(json.dumps(dict(sorted(result.items()))), flush=True)
