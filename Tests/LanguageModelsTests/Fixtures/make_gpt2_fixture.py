"""Makes the GPT-2 reference fixture for LanguageModelsTests/HuggingFaceTests.swift.

A small randomly initialised transformers.GPT2LMHeadModel (2 layers, 4 heads, width 32, vocabulary 64,
32 positions, seed 0, dropout 0) is saved in Hugging Face layout (gpt2_tiny/model.safetensors with the
`transformer.` prefix, the attention-mask buffers and the tied lm_head.weight as older transformers versions
wrote them, plus config.json), together with
gpt2_tiny_logits.json: two input batches and their logits.

- "dense": a [2, 10] batch without padding.
- "left_padded": a [3, 12] batch with left padding, attention_mask, and position_ids computed as the Swift
  library does (exclusive cumulative sum of the mask; padded positions get 0). Logits at padded positions
  are written as 0 (they are never compared).

Needs:  pip install torch transformers safetensors
Run:    python3 make_gpt2_fixture.py   (it writes next to itself, so any working directory will do)
"""
import json, os
import torch, transformers
from safetensors.torch import save_file

here = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)
config = transformers.GPT2Config(n_layer=2, n_head=4, n_embd=32, n_positions=32, vocab_size=64,
                                 resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                                 bos_token_id=63, eos_token_id=63)
model = transformers.GPT2LMHeadModel(config).eval()
# Make biases and layer-norm parameters non-trivial so that the import mapping is really tested.
with torch.no_grad():
    for name, p in model.named_parameters():
        if name.endswith("bias") or ".ln_" in name:
            p.add_(0.1 * torch.randn_like(p))

out_dir = os.path.join(here, "gpt2_tiny")
os.makedirs(out_dir, exist_ok=True)
state = {k: v.contiguous() for k, v in model.state_dict().items() if k != "lm_head.weight"}
state = {("transformer." + k if not k.startswith("transformer.") else k): v for k, v in state.items()}
state = {k.replace("transformer.transformer.", "transformer."): v for k, v in state.items()}
# Older transformers versions also saved the causal-mask buffers and the tied lm_head; include them so the
# importer's handling of both is exercised.
state["transformer.h.0.attn.bias"] = torch.tril(torch.ones(32, 32)).view(1, 1, 32, 32)
state["transformer.h.0.attn.masked_bias"] = torch.tensor(-1e4)
state["lm_head.weight"] = model.lm_head.weight.detach().clone()
save_file(state, os.path.join(out_dir, "model.safetensors"), metadata={"format": "pt"})
config.save_pretrained(out_dir)

def run(ids, mask):
    ids = torch.tensor(ids)
    mask = torch.tensor(mask)
    positions = (mask.cumsum(-1) - mask) * mask
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=mask, position_ids=positions).logits
    logits = logits * mask[..., None]
    return dict(input_ids=ids.tolist(), attention_mask=mask.tolist(), position_ids=positions.tolist(),
                logits=[round(float(x), 7) for x in logits.flatten()])

g = torch.Generator().manual_seed(1)
dense = torch.randint(0, 64, (2, 10), generator=g).tolist()
rows = [torch.randint(0, 64, (n,), generator=g).tolist() for n in (12, 7, 3)]
left_ids = [[0] * (12 - len(r)) + r for r in rows]
left_mask = [[0] * (12 - len(r)) + [1] * len(r) for r in rows]
fixture = dict(
    versions=dict(torch=torch.__version__, transformers=transformers.__version__),
    dense=run(dense, [[1] * 10] * 2),
    left_padded=run(left_ids, left_mask),
)
with open(os.path.join(here, "gpt2_tiny_logits.json"), "w") as f:
    json.dump(fixture, f)
print("wrote", out_dir, "and gpt2_tiny_logits.json")
