#!/usr/bin/env python3
"""Writes the golden files that TokenizersTests compares the Swift tokenizers against.

    python3 Tests/TokenizersTests/Fixtures/make_golden.py        (from the repository root)

Needs `transformers`, `tokenizers` and `regex` (no network: everything is built from local files).

1. gpt2_golden.json: GPT-2 token ids of varied texts from Vocabularies/GPT2/{encoder.json,vocab.bpe},
   computed twice and required to agree: by `OpenAIEncoder` below (the algorithm of OpenAI's
   gpt-2/src/encoder.py, line for line, on the `regex` package) and by Hugging Face
   transformers' GPT2Tokenizer (which in transformers 5 runs on Rust `tokenizers`). For each text
   it also records the pre-tokenizer pieces (`regex.findall` with GPT-2's pattern). Decode cases
   record what GPT-2 decoding (`bytes.decode("utf-8", errors="replace")`) makes of byte tokens
   that are not valid UTF-8.
2. tiny-bpe/: a 300-token byte-level BPE trained by Rust `tokenizers` on the Zen of Python, saved
   as tokenizer.json (merges as [a, b] pairs) and as vocab.json + merges.txt, with
   tiny_bpe_golden.json holding its encodings of a few texts.
"""
import codecs
import contextlib
import io
import hashlib
import json
import os
import sys

import regex
import tokenizers
import transformers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import GPT2Tokenizer

with contextlib.redirect_stdout(io.StringIO()):
    import this  # the Zen of Python, rot13-encoded in this.s (importing it prints it)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
GPT2_DIR = os.path.join(ROOT, "Vocabularies", "GPT2")
PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""

ZEN = codecs.decode(this.s, "rot13")

CASES = [
    ("english", "The quick brown fox jumps over the lazy dog. It was the best of times, it was the worst of times."),
    ("punctuation", "Hello, world! (Really?) Yes... no; maybe: \"quoted\" 'single' [brackets] {braces} <angle> a--b a—b ¡olé! ¿qué?"),
    ("contractions", "I'm sure you'll see they've said we'd go; it's John's, don't, 're 's 'll 'd 'm 've 't"),
    ("contractions_case", "I'M YOU'LL THEY'VE ''s '''t 's's rock'n'roll o'clock"),
    ("numbers", "In 2024, 3.14159 and 1,000,000 people; 0x1F 12345678901234567890 -42 +7 1e-9 ½ ² Ⅻ ٣٤ ३"),
    ("whitespace_runs", "a  b   c    d\t\te \t f\n\ng\n\n\nh \n i"),
    ("trailing_spaces", "trailing spaces   "),
    ("trailing_newlines", "line one\nline two\n\n"),
    ("leading_whitespace", "   leading\tand\t\ttabs\t"),
    ("only_whitespace", " \n\t  \r\n "),
    ("crlf", "windows\r\nline\r\nendings\r\n"),
    ("unicode_spaces", "nbsp\u00a0here ideographic\u3000space line\u2028sep em\u2003space"),
    ("accented_latin", "Café naïve résumé Zürich Ångström façade jalapeño coöperate Łódź Dvořák"),
    ("combining", "e\u0301 a\u0308 n\u0303o"),
    ("cjk", "你好，世界。東京都は日本の首都です。한국어 텍스트 ひらがな カタカナ"),
    ("emoji", "👍 👍🏽 🇺🇸 👨‍👩‍👧 🙂🙃 ❤️ ✨ end"),
    ("arabic", "مرحبا بالعالم! هذا نص عربي ١٢٣."),
    ("hebrew_greek_cyrillic", "שלום עולם Γειά σου Κόσμε Привет, мир!"),
    ("devanagari_thai", "नमस्ते दुनिया สวัสดีชาวโลก"),
    ("code", "def f(x):\n    return x**2 + 1  # square\n\nif __name__ == \"__main__\":\n\tprint(f(3))\n"),
    ("url_email", "https://example.com/path/to?query=1&x=y#frag mail: someone@example.org"),
    ("symbols", "$100 €50 £20 ¥1000 ~/.bashrc a+b=c 50% #hashtag @user |pipe| \\backslash ^caret `tick`"),
    ("controls", "bell\u0007null\u0000esc\u001bdel\u007fend"),
    ("long_word", "a" * 300),
    ("long_number", "1234567890" * 30),
    ("long_mixed", "ab" * 100 + " " + "xyz" * 70),
    ("special_text", "text with <|endoftext|> inside, encoded as ordinary text"),
    ("empty", ""),
    ("zen_of_python", ZEN),
]

SPECIAL_CASES = [
    "<|endoftext|>",
    "Document one.<|endoftext|>Document two.",
    "a <|endoftext|> b<|endoftext|><|endoftext|>\n",
]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def bytes_to_unicode():
    """OpenAI encoder.py's map from bytes to printable characters."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(2**8):
        if b not in bs:
            bs.append(b)
            cs.append(2**8 + n)
            n += 1
    return dict(zip(bs, [chr(n) for n in cs]))


class OpenAIEncoder:
    """The Encoder class of OpenAI's gpt-2/src/encoder.py (same algorithm, same file parsing)."""

    def __init__(self, encoder_path, merges_path):
        with open(encoder_path, "r") as f:
            self.encoder = json.load(f)
        with open(merges_path, "r", encoding="utf-8") as f:
            bpe_data = f.read()
        bpe_merges = [tuple(merge_str.split()) for merge_str in bpe_data.split("\n")[1:-1]]
        self.decoder = {v: k for k, v in self.encoder.items()}
        self.byte_encoder = bytes_to_unicode()
        self.byte_decoder = {v: k for k, v in self.byte_encoder.items()}
        self.bpe_ranks = dict(zip(bpe_merges, range(len(bpe_merges))))
        self.bpe_merges = bpe_merges
        self.cache = {}
        self.pat = regex.compile(PATTERN)

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token)
        pairs = set(zip(word, word[1:]))
        if not pairs:
            return token
        while True:
            bigram = min(pairs, key=lambda pair: self.bpe_ranks.get(pair, float("inf")))
            if bigram not in self.bpe_ranks:
                break
            first, second = bigram
            new_word = []
            i = 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                    new_word.extend(word[i:j])
                    i = j
                except ValueError:
                    new_word.extend(word[i:])
                    break
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    new_word.append(first + second)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            word = tuple(new_word)
            if len(word) == 1:
                break
            pairs = set(zip(word, word[1:]))
        word = " ".join(word)
        self.cache[token] = word
        return word

    def encode(self, text):
        bpe_tokens = []
        for token in regex.findall(self.pat, text):
            token = "".join(self.byte_encoder[b] for b in token.encode("utf-8"))
            bpe_tokens.extend(self.encoder[bpe_token] for bpe_token in self.bpe(token).split(" "))
        return bpe_tokens

    def decode(self, tokens):
        text = "".join([self.decoder[token] for token in tokens])
        return bytearray([self.byte_decoder[c] for c in text]).decode("utf-8", errors="replace")


def make_gpt2_golden():
    encoder_path = os.path.join(GPT2_DIR, "encoder.json")
    merges_path = os.path.join(GPT2_DIR, "vocab.bpe")
    openai = OpenAIEncoder(encoder_path, merges_path)
    hf = GPT2Tokenizer(vocab=dict(openai.encoder), merges=list(openai.bpe_merges))
    pattern = regex.compile(PATTERN)

    cases = []
    all_text = "".join(text for _, text in CASES)
    for name, text in CASES + [("all_cases_concatenated", all_text)]:
        ids = openai.encode(text)  # no special-token splitting, as encoder.py
        hf_ids = hf.encode(text, add_special_tokens=False, split_special_tokens=True)
        assert ids == hf_ids, f"encoder.py and transformers disagree on {name!r}"
        pieces = pattern.findall(text)
        assert "".join(pieces) == text
        assert openai.decode(ids) == text, f"GPT-2 does not round-trip {name!r}"
        assert hf.decode(ids, clean_up_tokenization_spaces=False) == text
        cases.append({"name": name, "text": text, "pieces": pieces, "ids": ids})

    special_cases = []
    eot = openai.encoder["<|endoftext|>"]
    for text in SPECIAL_CASES:
        ids = []
        for k, part in enumerate(text.split("<|endoftext|>")):
            ids += ([eot] if k > 0 else []) + openai.encode(part)
        assert ids == hf.encode(text, add_special_tokens=False), f"special-token splitting differs on {text!r}"
        special_cases.append({"text": text, "ids": ids})

    # Byte tokens that do not form valid UTF-8 (Python's "replace" uses maximal subparts).
    byte_id = {b: openai.encoder[openai.byte_encoder[b]] for b in range(256)}
    byte_sequences = [
        [0xE2, 0x82], [0xE2, 0x82, 0xAC], [0xED, 0xA0, 0x80], [0xF0, 0x9F, 0x98], [0xFF],
        [0xC0, 0x80], [0x80, 0x41], [0x41, 0xF0, 0x9F, 0x98, 0x80, 0xF0, 0x9F, 0x41],
        [0xF4, 0x90, 0x80, 0x80], [0xE0, 0x80, 0x80], [0xC3], [0xC3, 0xA9, 0xA9],
    ]
    decode_cases = []
    for sequence in byte_sequences:
        ids = [byte_id[b] for b in sequence]
        text = openai.decode(ids)
        assert text == hf.decode(ids, clean_up_tokenization_spaces=False), f"decoders differ on {sequence}"
        decode_cases.append({"bytes": sequence, "ids": ids, "text": text})

    golden = {
        "description": "GPT-2 token ids from Hugging Face GPT2Tokenizer; see README.md and make_golden.py",
        "versions": {
            "python": sys.version.split()[0],
            "transformers": transformers.__version__,
            "tokenizers": tokenizers.__version__,
            "regex": regex.__version__,
        },
        "vocabulary_sha256": {"encoder.json": sha256(encoder_path), "vocab.bpe": sha256(merges_path)},
        "cases": cases,
        "special_cases": special_cases,
        "decode_cases": decode_cases,
    }
    with open(os.path.join(HERE, "gpt2_golden.json"), "w", encoding="utf-8") as f:
        json.dump(golden, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"gpt2_golden.json: {len(cases)} cases, {sum(len(c['ids']) for c in cases)} ids")


def make_tiny_bpe():
    out = os.path.join(HERE, "tiny-bpe")
    os.makedirs(out, exist_ok=True)
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300, min_frequency=2, special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tokenizer.train_from_iterator([ZEN], trainer=trainer)
    tokenizer.save(os.path.join(out, "tokenizer.json"))
    tokenizer.model.save(out)  # vocab.json + merges.txt

    texts = [
        ZEN,
        "Beautiful is better than ugly, and explicit beats implicit!",
        "Unseen words: zebra, quixotic, 12345, café 😀",
        "one<|endoftext|>two",
    ]
    golden = {
        "description": "a 300-token byte-level BPE trained by Rust tokenizers on the Zen of Python; see README.md",
        "versions": {"tokenizers": tokenizers.__version__},
        "cases": [{"text": t, "ids": tokenizer.encode(t).ids} for t in texts],
    }
    with open(os.path.join(HERE, "tiny_bpe_golden.json"), "w", encoding="utf-8") as f:
        json.dump(golden, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"tiny-bpe: vocabulary {tokenizer.get_vocab_size()}")


if __name__ == "__main__":
    make_gpt2_golden()
    make_tiny_bpe()
