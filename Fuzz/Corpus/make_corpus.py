#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (Scripts/fuzz.sh) into Fuzz/Corpus/<target>/.

Standard library only. Seeds are small valid inputs of each format plus a few near-misses, so that libFuzzer starts
from the interesting structure instead of discovering JSON and headers from scratch:

  safetensors/          every readable dtype, metadata, an empty and a scalar tensor, truncated and malformed headers
  tokenizer-json/       the tiny byte-level BPE of Tests/TokenizersTests/Fixtures/tiny-bpe, and variations of it
  vocab-merges/         the same vocabulary as vocab.json, a NUL byte, then merges.txt
  jsonl/                one file per record shape, with escapes, U+2028 and non-BMP text, and broken lines
  gpt2-encode/          English, Unicode, invalid UTF-8, and runs of digits and whitespace
  chat-template/        messages as role, NUL, content, NUL, …
  arguments/            a --config file's JSON, NUL, then the arguments separated by NULs
  peft-adapter/         adapter_config.json, a NUL byte, then adapter_model.safetensors: the two PEFT adapters of
                        Tests/LanguageModelsTests/Fixtures (lora_peft made by PEFT, lora_rlft by this project, and
                        their *_tokens pairs with trainable token rows), a
                        rank-1 adapter, and near-misses (DoRA, rsLoRA, trained biases, per-module ranks, a missing B,
                        a wrong shape, a block the model lacks, rank 0, no tensors file)

Run from the repository root: python3 Fuzz/Corpus/make_corpus.py
"""
import json
import os
import struct

ROOT = os.path.dirname(os.path.abspath(__file__))
TINY = os.path.join(ROOT, "..", "..", "Tests", "TokenizersTests", "Fixtures", "tiny-bpe")
LORA = os.path.join(ROOT, "..", "..", "Tests", "LanguageModelsTests", "Fixtures")


def write(target, name, data):
    directory = os.path.join(ROOT, target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))


def safetensors(entries, metadata=None, pad=True):
    """entries: [(name, dtype, shape, raw bytes)] laid out in order."""
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in entries:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header).encode("utf-8")
    if pad:
        text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def make_safetensors():
    f32 = struct.pack("<4f", 1.0, -2.5, float("inf"), 0.0)
    f16 = struct.pack("<3e", 1.0, -0.5, 65504.0)
    bf16 = struct.pack("<2H", 0x3F80, 0xC000)
    i64 = struct.pack("<2q", -3, 2**40)
    write("safetensors", "all-dtypes", safetensors(
        [("w", "F32", [2, 2], f32), ("h", "F16", [3], f16), ("b", "BF16", [1, 2], bf16), ("i", "I64", [2], i64)],
        metadata={"step": "3", "format": "pt"}))
    write("safetensors", "empty-and-scalar", safetensors([("empty", "F32", [0, 3], b""), ("scalar", "F32", [], struct.pack("<f", 7.0))]))
    write("safetensors", "no-tensors", safetensors([]))
    write("safetensors", "escaped-name", safetensors([("a\"b\\c\u2028😀", "F32", [1], struct.pack("<f", 1.0))]))
    full = safetensors([("w", "F32", [2, 2], f32)])
    write("safetensors", "truncated-data", full[:-3])
    write("safetensors", "truncated-header", full[:12])
    write("safetensors", "overlapping", struct.pack("<Q", 96) + json.dumps(
        {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
         "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}).encode().ljust(96) + b"\0" * 12)
    write("safetensors", "bad-dtype", safetensors([("w", "U8", [4], b"\1\2\3\4")]))


def make_tokenizers():
    with open(os.path.join(TINY, "tokenizer.json"), "rb") as f:
        tokenizer = f.read()
    with open(os.path.join(TINY, "vocab.json"), "rb") as f:
        vocab = f.read()
    with open(os.path.join(TINY, "merges.txt"), "rb") as f:
        merges = f.read()
    write("tokenizer-json", "tiny-bpe", tokenizer)
    parsed = json.loads(tokenizer)
    no_added = dict(parsed, added_tokens=[])
    write("tokenizer-json", "no-added-tokens", json.dumps(no_added))
    merges_as_pairs = json.loads(tokenizer)
    model = merges_as_pairs.get("model", {})
    if isinstance(model.get("merges"), list) and model["merges"] and isinstance(model["merges"][0], str):
        model["merges"] = [m.split(" ", 1) for m in model["merges"]]
        write("tokenizer-json", "merges-as-pairs", json.dumps(merges_as_pairs))
    write("tokenizer-json", "truncated", tokenizer[: len(tokenizer) // 2])
    write("vocab-merges", "tiny-bpe", vocab + b"\0" + merges)
    write("vocab-merges", "no-merges", vocab + b"\0#version: 0.2\n")
    write("vocab-merges", "unknown-merge", vocab + b"\0#version: 0.2\nzz qq\n")


def make_jsonl():
    write("jsonl", "prompt-completion", '{"prompt": "Q: say \\"hi\\"\\nA:", "completion": " hi\\u2028\\ud83d\\ude00\\n"}\n'
          '{"completion":" 63\\n","prompt":"Q: Compute 49 + 14.\\nA:"}\r\n\n')
    write("jsonl", "preference", '{"prompt": "p", "chosen": "c\\t", "rejected": "r\\u0000"}\n')
    write("jsonl", "ranked", '{"prompt": "p", "completions": ["a", "b", "c"]}\n')
    write("jsonl", "unpaired", '{"prompt": "p", "completion": "c", "label": true}\n{"prompt": "p", "completion": "d", "label": false}\n')
    write("jsonl", "conversation", '{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}, '
          '{"role": "assistant", "content": "héllo 日本"}]}\n')
    write("jsonl", "text", '{"text": "the cat sat.\\nnew line"}\n\ufeff{"text": "x"}\n')
    write("jsonl", "broken", '{"prompt": "p", "completion": \n{"prompt": 1}\n[1, 2]\n{"prompt": "\\ud800"}\n')
    write("jsonl", "numbers-and-nesting", '{"prompt": "p", "completion": "c", "extra": [1e308, -0.0, 1.5e-7, {"a": [null, true]}]}\n')


def make_gpt2_encode():
    write("gpt2-encode", "english", "Hello world, it's 12345 o'clock.\n\n   indented\ttab")
    write("gpt2-encode", "unicode", "héllo 日本語 😀 \u2028 <|endoftext|>")
    write("gpt2-encode", "invalid-utf8", b"abc\xff\xfe\xc3(\xe2\x82 end")
    write("gpt2-encode", "digits-and-spaces", "1" * 40 + " " * 40 + "\n" * 5)


def make_chat_template():
    write("chat-template", "three-turns", b"system\0Be brief.\0user\0hi\0assistant\0h\xc3\xa9llo")
    write("chat-template", "odd-parts", b"user\0\0\0")
    write("chat-template", "markers-in-content", b"user\0<|end|>\n<|assistant|>\0assistant\0ok")


def make_arguments():
    write("arguments", "config-and-options", b'{"steps": 3, "gradientClipNorm": 2}\0--learning-rate\0' + b"0.5\0--use-cache\0false")
    write("arguments", "equals-and-flags", b"\0--steps=7\0--quiet\0--sizes\0[3, 4]\0--name\0x")
    write("arguments", "bad-values", b'{"steps": "many"}\0--steps\0' + b"3.5\0--stpes\0" + b"1\0--learningRate\0nan")


def make_peft_adapter():
    """The fuzz target's model is gpt2_tiny's shape: 2 blocks of width 32."""
    for name in ("lora_peft", "lora_rlft", "lora_peft_tokens", "lora_rlft_tokens"):
        with open(os.path.join(LORA, name, "adapter_config.json"), "rb") as f:
            config = f.read()
        with open(os.path.join(LORA, name, "adapter_model.safetensors"), "rb") as f:
            tensors = f.read()
        write("peft-adapter", name.replace("_", "-"), config + b"\0" + tensors)

    def adapter(config, entries):
        base = {"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": 1, "lora_alpha": 2, "lora_dropout": 0.0,
                "target_modules": ["attn.c_proj"], "fan_in_fan_out": True, "bias": "none"}
        return json.dumps(dict(base, **config)).encode("utf-8") + b"\0" + safetensors(entries, metadata={"format": "pt"})

    def key(layer, target, matrix):
        return "base_model.model.transformer.h.%d.%s.%s.weight" % (layer, target, matrix)

    a = ("F32", [1, 32], struct.pack("<32f", *[0.01 * i for i in range(32)]))
    b = ("F32", [32, 1], struct.pack("<32f", *[-0.02 * i for i in range(32)]))
    rank1 = [(key(1, "attn.c_proj", "lora_A"),) + a, (key(1, "attn.c_proj", "lora_B"),) + b]
    write("peft-adapter", "rank-1", adapter({}, rank1))
    write("peft-adapter", "dora", adapter({"use_dora": True}, rank1))
    write("peft-adapter", "rslora", adapter({"use_rslora": True}, rank1))
    write("peft-adapter", "trained-bias", adapter({"bias": "lora_only", "modules_to_save": ["lm_head"]}, rank1))
    write("peft-adapter", "rank-pattern", adapter({"rank_pattern": {"c_proj": 2}, "alpha_pattern": {"c_proj": 4}}, rank1))
    write("peft-adapter", "missing-b", adapter({}, rank1[:1]))
    write("peft-adapter", "wrong-shape", adapter({"r": 2}, rank1))
    write("peft-adapter", "block-5", adapter({}, [(key(5, "attn.c_proj", "lora_A"),) + a, (key(5, "attn.c_proj", "lora_B"),) + b]))
    write("peft-adapter", "rank-0", adapter({"r": 0}, [(key(0, "mlp.c_fc", "lora_A"), "F32", [0, 32], b""),
                                                       (key(0, "mlp.c_fc", "lora_B"), "F32", [128, 0], b"")]))
    write("peft-adapter", "no-tensors-file", json.dumps({"peft_type": "LORA", "r": 4, "lora_alpha": 8}))


if __name__ == "__main__":
    make_safetensors()
    make_tokenizers()
    make_jsonl()
    make_gpt2_encode()
    make_chat_template()
    make_arguments()
    make_peft_adapter()
