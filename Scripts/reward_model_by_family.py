# Held-out pairwise accuracy of a reward model, by instruction family: where the reward model still fails.
# Usage: python3 Scripts/reward_model_by_family.py RUN/models/reward RUN/data/eval_comparisons.jsonl
# Reads the model directory as `rlft` writes it (Hugging Face GPT-2 layout, byte-level tokenizer, `score` head) and
# scores prompt‖completion with a NumPy forward pass (numpy only; about a minute for 500 pairs at 4 layers).
# It agrees with the pipeline's own overall figure (0.816 for the README run).
import json, struct, sys, re
import numpy as np
def load(path):
    b = open(path + '/model.safetensors', 'rb').read()
    n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8+n]); base = 8 + n
    w = {k: np.frombuffer(b[base+v['data_offsets'][0]:base+v['data_offsets'][1]], dtype=np.float32).reshape(v['shape'])
         for k, v in h.items() if k != '__metadata__'}
    meta = h.get('__metadata__', {})
    return w, float(meta.get('reward_gain', 1)), float(meta.get('reward_bias', 0))
def ln(x, g, b): m = x.mean(-1, keepdims=True); v = ((x-m)**2).mean(-1, keepdims=True); return (x-m)/np.sqrt(v+1e-5)*g+b
def gelu(x): return 0.5*x*(1+np.tanh(0.7978845608*(x+0.044715*x**3)))
def score(w, ids, L, H):
    T = len(ids); x = w['transformer.wte.weight'][ids] + w['transformer.wpe.weight'][:T]
    C = x.shape[1]; D = C // H; mask = np.triu(np.full((T, T), -1e9), 1)
    for l in range(L):
        p = f'transformer.h.{l}.'
        h = ln(x, w[p+'ln_1.weight'], w[p+'ln_1.bias']); qkv = h @ w[p+'attn.c_attn.weight'] + w[p+'attn.c_attn.bias']
        q, k, v = np.split(qkv, 3, -1); out = np.zeros_like(q)
        for hd in range(H):
            s = slice(hd*D, (hd+1)*D); a = q[:, s] @ k[:, s].T / np.sqrt(D) + mask
            a = np.exp(a - a.max(-1, keepdims=True)); a /= a.sum(-1, keepdims=True); out[:, s] = a @ v[:, s]
        x = x + out @ w[p+'attn.c_proj.weight'] + w[p+'attn.c_proj.bias']
        h = ln(x, w[p+'ln_2.weight'], w[p+'ln_2.bias'])
        x = x + gelu(h @ w[p+'mlp.c_fc.weight'] + w[p+'mlp.c_fc.bias']) @ w[p+'mlp.c_proj.weight'] + w[p+'mlp.c_proj.bias']
    x = ln(x[-1], w['transformer.ln_f.weight'], w['transformer.ln_f.bias'])
    return float(x @ w['score.weight'][0] + w['score.bias'][0])
def family(p):
    for name, pat in [('reverse', 'backwards|[Rr]everse'), ('capitalize', '[Cc]apital|uppercase|caps'),
                      ('firstLetter', 'first letter|start with'), ('repeat', "'"), ('larger', 'larger|bigger|maximum'),
                      ('count', 'letters|long'), ('add', 'plus|[Aa]dd|sum|\\+'), ('sort', '[Ss]ort|order'),
                      ('antonym', 'opposite|antonym'), ('other', '.')]:
        if re.search(pat, p): return name
model, data = sys.argv[1], sys.argv[2]
cfg = json.load(open(model + '/config.json')); w, g, b = load(model)
stats = {}
for line in open(data):
    r = json.loads(line); f = family(r['prompt'])
    sc = score(w, list((r['prompt'] + r['chosen']).encode()), cfg['n_layer'], cfg['n_head'])
    sr = score(w, list((r['prompt'] + r['rejected']).encode()), cfg['n_layer'], cfg['n_head'])
    s = stats.setdefault(f, [0, 0]); s[0] += (sc > sr) + 0.5 * (sc == sr); s[1] += 1
tot = sum(s[0] for s in stats.values()) / sum(s[1] for s in stats.values())
print(f'all {tot:.3f}  ' + '  '.join(f'{f} {s[0]/s[1]:.3f} (n={s[1]})' for f, s in sorted(stats.items())))
