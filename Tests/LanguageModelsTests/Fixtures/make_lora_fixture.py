"""Makes the LoRA / PEFT fixtures for LanguageModelsTests/LoRATests.swift, on the gpt2_tiny base model.

1. lora_peft/: a LoRA adapter made and saved by Hugging Face PEFT (r 4, lora_alpha 8, target_modules c_attn,
   c_proj and c_fc, fan_in_fan_out as PEFT sets it for GPT-2's Conv1D), with A and B drawn at random (B is zero
   at PEFT's initialisation, which would hide a wrong B), and lora_peft_logits.json: the adapted model's logits
   on a [2, 10] batch, and the logits of PEFT's merge_and_unload() model.
2. lora_rlft/: an adapter saved by this project (LoRATests writes it when RLFT_WRITE_FIXTURES=1, with its own
   logits in lora_rlft/logits.json). This script loads it with PeftModel.from_pretrained and checks that PEFT
   computes this project's logits (max |difference| < 1e-4), so the project's files are PEFT's format.
3. lora_peft_tokens/: a PEFT adapter with trainable tokens beside LoRA (r 2 on c_attn, trainable_token_indices
   [3, 60]: those rows of the tied wte train in full, as for tokens added to a vocabulary), with random A, B and
   rows, and lora_peft_tokens_logits.json: its logits and merge_and_unload()'s.
4. lora_rlft_tokens/: the same kind of adapter saved by this project (LoRATests, RLFT_WRITE_FIXTURES=1), read by
   PEFT here and checked against this project's logits as in 2.

Run (from this folder; needs `python3 -m pip install torch transformers peft`):
    python3 make_lora_fixture.py
"""
import json
import os

import peft
import torch
import transformers
from peft import LoraConfig, PeftModel, get_peft_model

here = os.path.dirname(os.path.abspath(__file__))
base_dir = os.path.join(here, "gpt2_tiny")


def base_model():
    return transformers.GPT2LMHeadModel.from_pretrained(base_dir).eval()


g = torch.Generator().manual_seed(2)
input_ids = torch.randint(0, 64, (2, 10), generator=g)


def save_with_logits(model, folder, logits_file):
    """Saves `model`'s adapter into `folder` and its adapted and merged logits on `input_ids` into `logits_file`."""
    # A path relative to this folder, not the machine's, and no model card.
    model.peft_config["default"].base_model_name_or_path = "gpt2_tiny"
    model.save_pretrained(os.path.join(here, folder))
    os.remove(os.path.join(here, folder, "README.md"))
    with torch.no_grad():
        adapted = model(input_ids=input_ids).logits
        merged = model.merge_and_unload()(input_ids=input_ids).logits
    print(folder, "PEFT: adapted vs merged max |diff|", float((adapted - merged).abs().max()))
    with open(os.path.join(here, logits_file), "w") as f:
        json.dump(dict(versions=dict(torch=torch.__version__, transformers=transformers.__version__, peft=peft.__version__),
                       input_ids=input_ids.tolist(),
                       logits=[round(float(x), 7) for x in adapted.flatten()],
                       merged_logits=[round(float(x), 7) for x in merged.flatten()]), f)


# 1. PEFT's adapter and its logits.
torch.manual_seed(3)
config = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=["c_attn", "c_proj", "c_fc"],
                    fan_in_fan_out=True, task_type="CAUSAL_LM")
model = get_peft_model(base_model(), config).eval()
with torch.no_grad():
    for name, p in model.named_parameters():
        if "lora_A" in name or "lora_B" in name:
            p.copy_(0.2 * torch.randn(p.shape, generator=g))
save_with_logits(model, "lora_peft", "lora_peft_logits.json")

# 3. PEFT's adapter with trainable tokens.
torch.manual_seed(4)
config = LoraConfig(r=2, lora_alpha=4, lora_dropout=0.0, target_modules=["c_attn"], fan_in_fan_out=True,
                    trainable_token_indices=[3, 60], task_type="CAUSAL_LM")
model = get_peft_model(base_model(), config).eval()
with torch.no_grad():
    for name, p in model.named_parameters():
        if "lora_A" in name or "lora_B" in name or "trainable_tokens_delta" in name:
            p.copy_(0.2 * torch.randn(p.shape, generator=g))
save_with_logits(model, "lora_peft_tokens", "lora_peft_tokens_logits.json")


# 2 and 4. The project's adapters, read by PEFT.
def check_ours(folder):
    ours_dir = os.path.join(here, folder)
    if not os.path.exists(os.path.join(ours_dir, "adapter_config.json")):
        print(folder + "/ not found: run `RLFT_WRITE_FIXTURES=1 swift test --filter LoRATests` first, then this again")
        return
    ours = json.load(open(os.path.join(ours_dir, "logits.json")))
    model = PeftModel.from_pretrained(base_model(), ours_dir).eval()
    with torch.no_grad():
        logits = model(input_ids=torch.tensor(ours["input_ids"])).logits.flatten()
    difference = float((logits - torch.tensor(ours["logits"])).abs().max())
    print("PEFT reading " + folder + ": max |diff| against the project's logits", difference)
    assert difference < 1e-4, difference


check_ours("lora_rlft")
check_ours("lora_rlft_tokens")
