"""Checks checkpoints shardinit made from Hugging Face configs against transformers and torch themselves.

usage: check_models.py CASES.json
       check_models.py --meta CONFIG_DIR...    (each model's saved names and shapes, on the meta device, as JSON)
       check_models.py --pow N                 (x ** -0.5 for x in 1..N, as Python computes it, one per line)

CASES.json is a list of {"dir": checkpoint directory, "class": transformers class name, "seed": torch seed}.
For each checkpoint (its config.json is the one shardinit copied there):

1. names, shapes, dtypes: the model transformers builds from the config on the meta device has exactly our
   tensors plus its tied ones (all_tied_weights_keys), and save_pretrained of a real instance writes exactly our
   names, shapes and dtypes;
2. loading: from_pretrained(dir, output_loading_info=True) reports no missing, unexpected or mismatched key and no
   error, and every tensor it holds equals our file's bit for bit (a tied one equals its source), so nothing was
   re-initialised;
3. the laws: each of our tensors against the same tensor of the model transformers initialises itself (torch seed
   fixed): constants equal exactly, zero rows (padding) at the same rows, and the other values pass a two-sample
   Kolmogorov-Smirnov test at ALPHA;
4. stds: the manifest's std of every normal_ tensor is the one transformers' _init_weights computes, bit for bit
   (T5's x ** -0.5 correctly rounded: Python's comes from the platform's pow, which may be an ulp off).

Prints a JSON line of counts per checkpoint, then one of the totals; exits 1 with the failures listed.
"""
import json
import math
import os
import re
import sys
import tempfile

from decimal import Context, Decimal

import numpy as np
import torch
import transformers
from safetensors import safe_open

ALPHA = 1e-6
failures = []


def fail(msg):
    failures.append(msg)


def ks_pvalue(a, b):
    """Two-sample KS statistic and its asymptotic p-value (Kolmogorov's series), numpy only."""
    a = np.sort(a)
    b = np.sort(b)
    allv = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, allv, side="right") / len(a)
    cdf_b = np.searchsorted(b, allv, side="right") / len(b)
    d = float(np.max(np.abs(cdf_a - cdf_b)))
    n = len(a) * len(b) / (len(a) + len(b))
    lam = (math.sqrt(n) + 0.12 + 0.11 / math.sqrt(n)) * d
    if lam < 1e-3:
        return d, 1.0
    p = 2 * sum((-1) ** (k - 1) * math.exp(-2 * k * k * lam * lam) for k in range(1, 101))
    return d, min(1.0, max(0.0, p))


def ours(d):
    index = os.path.join(d, "model.safetensors.index.json")
    files = sorted(set(json.load(open(index))["weight_map"].values())) if os.path.exists(index) else ["model.safetensors"]
    out = {}
    for f in files:
        with safe_open(os.path.join(d, f), framework="pt") as s:
            for k in s.keys():
                out[k] = s.get_tensor(k)
    return out


def bits(t):
    return t.contiguous().view(torch.uint8) if t.dtype != torch.uint8 else t


def rsqrt(x):
    """x ** -0.5 correctly rounded (Decimal at 60 digits, then the float nearest), not the platform pow's."""
    c = Context(prec=60)
    return float(c.divide(Decimal(1), Decimal(x).sqrt(c)))


def expected_std(cfg, name):
    """The std transformers' _init_weights draws a normal_ tensor from, computed as it computes it."""
    mt = cfg.model_type
    if mt == "t5":
        f = cfg.initializer_factor
        if name == "shared.weight":
            return f * 1.0
        if name.endswith("relative_attention_bias.weight") or re.search(r"\.(k|v)\.weight$", name) \
                or re.search(r"\.wi(_0|_1)?\.weight$", name):
            return f * rsqrt(cfg.d_model)
        if name.endswith(".q.weight"):
            return f * rsqrt(cfg.d_model * cfg.d_kv)
        if name.endswith(".o.weight"):
            return f * rsqrt(cfg.num_heads * cfg.d_kv)
        if name.endswith(".wo.weight"):
            return f * rsqrt(cfg.d_ff)
        raise ValueError(name)
    if mt == "gpt2":
        if re.search(r"\.(attn|mlp|crossattention)\.c_proj\.weight$", name):
            return cfg.initializer_range / math.sqrt(2 * cfg.n_layer)
        if name.endswith("c_attn.weight") or name.endswith("c_fc.weight") or name.endswith("q_attn.weight"):
            return cfg.initializer_range
    return cfg.initializer_range or 0.02


def check(case):
    d = case["dir"]
    cls = getattr(transformers, case["class"])
    cfg = transformers.AutoConfig.from_pretrained(d)
    mine = ours(d)
    label = os.path.basename(d.rstrip("/"))
    counts = {"tensors": len(mine), "ks": 0, "exact": 0, "zero_rows": 0, "stds": 0}

    # 1. names, shapes, dtypes
    with torch.device("meta"):
        meta = cls._from_config(cfg)
    tied = dict(getattr(meta, "all_tied_weights_keys", {}) or {})
    meta_sd = meta.state_dict()
    if set(meta_sd) - set(tied) != set(mine) or set(tied) & set(mine):
        fail(f"{label}: names differ from the meta model's (less its tied {sorted(tied)}): "
             f"ours only {sorted(set(mine) - set(meta_sd))}, "
             f"theirs only {sorted(set(meta_sd) - set(tied) - set(mine))}")
    for k, t in mine.items():
        if k in meta_sd and (tuple(meta_sd[k].shape) != tuple(t.shape) or meta_sd[k].dtype != t.dtype):
            fail(f"{label}: {k}: ours {tuple(t.shape)} {t.dtype}, meta model {tuple(meta_sd[k].shape)} {meta_sd[k].dtype}")
    torch.manual_seed(case["seed"])
    ref = cls._from_config(cfg)
    ref_sd = ref.state_dict()
    with tempfile.TemporaryDirectory() as tmp:
        ref.save_pretrained(tmp)
        saved = ours(tmp)
    if {k: (tuple(v.shape), v.dtype) for k, v in saved.items()} != {k: (tuple(v.shape), v.dtype) for k, v in mine.items()}:
        fail(f"{label}: save_pretrained writes {sorted(set(saved) ^ set(mine))} differently")

    # 2. loading
    loaded, info = cls.from_pretrained(d, output_loading_info=True)
    for key in ("missing_keys", "unexpected_keys", "mismatched_keys", "error_msgs"):
        if info.get(key):
            fail(f"{label}: from_pretrained {key}: {sorted(map(str, info[key]))}")
    lsd = loaded.state_dict()
    keep32 = getattr(cls, "_keep_in_fp32_modules", None) or []
    for k, t in mine.items():
        got = lsd.get(k)
        if got is not None and got.dtype != t.dtype and t.dtype == torch.float16 and got.dtype == torch.float32 \
                and any(m in k.split(".") for m in keep32):
            got = got.to(t.dtype)  # transformers loads these modules in float32 under float16; exact either way
            counts["upcast"] = counts.get("upcast", 0) + 1
        if got is None or got.dtype != t.dtype or not torch.equal(bits(got), bits(t)):
            fail(f"{label}: {k}: the loaded model's tensor is not our file's, bit for bit")
    for target, source in tied.items():
        if target in lsd and source in mine and not torch.equal(bits(lsd[target]), bits(mine[source])):
            fail(f"{label}: tied {target} is not {source} after loading")

    # 3. the laws
    for k, t in mine.items():
        r = ref_sd.get(k)
        if r is None:
            continue
        a = t.to(torch.float64).numpy()
        b = r.detach().to(torch.float64).numpy()
        if b.min() == b.max():
            counts["exact"] += 1
            if not torch.equal(bits(t), bits(r.detach().contiguous())):
                fail(f"{label}: {k}: transformers makes it the constant {b.flat[0]}, ours is not")
            continue
        if a.ndim == 2:
            zr = set(np.where(~b.any(axis=1))[0].tolist())
            zo = set(np.where(~a.any(axis=1))[0].tolist())
            if zr != zo:
                fail(f"{label}: {k}: zero rows {sorted(zo)}, transformers' {sorted(zr)}")
            counts["zero_rows"] += len(zr)
            keep = [i for i in range(a.shape[0]) if i not in zr]
            a, b = a[keep], b[keep]
        dstat, p = ks_pvalue(a.ravel(), b.ravel())
        counts["ks"] += 1
        counts.setdefault("min_p", 1.0)
        counts["min_p"] = min(counts["min_p"], p)
        if p < ALPHA:
            fail(f"{label}: {k}: KS D={dstat:.4f}, p={p:.3g} against transformers' own draw (std ours "
                 f"{a.std():.5g}, theirs {b.std():.5g})")

    # 4. the stds the manifest records
    manifest = json.load(open(os.path.join(d, "manifest.json")))
    for e in manifest["tensors"]:
        if e["init"]["fn"] == "normal_":
            want = expected_std(cfg, e["name"])
            counts["stds"] += 1
            if e["init"]["args"]["std"] != want:
                fail(f"{label}: {e['name']}: std {e['init']['args']['std']!r}, transformers computes {want!r}")
    return counts


def meta_names(dirs):
    """What save_pretrained would write for each config: names and shapes of the meta model less its tied keys."""
    out = {}
    for d in dirs:
        cfg = transformers.AutoConfig.from_pretrained(d)
        cls = getattr(transformers, cfg.architectures[0])
        with torch.device("meta"):
            m = cls._from_config(cfg)
        tied = set((getattr(m, "all_tied_weights_keys", {}) or {}).keys())
        out[d] = {k: [list(v.shape), str(v.dtype).replace("torch.", "")] for k, v in m.state_dict().items()
                  if k not in tied}
    print(json.dumps(out))


def main():
    if sys.argv[1] == "--meta":
        return meta_names(sys.argv[2:])
    if sys.argv[1] == "--pow":
        for x in range(1, int(sys.argv[2]) + 1):
            print(repr(rsqrt(x)), int(x ** -0.5 == rsqrt(x)))
        return
    cases = json.load(open(sys.argv[1]))
    total = {"models": 0, "tensors": 0, "ks": 0, "exact": 0, "zero_rows": 0, "stds": 0, "upcast": 0, "min_p": 1.0}
    for case in cases:
        c = check(case)
        print(json.dumps({"model": os.path.basename(case["dir"].rstrip("/")), **c}))
        total["models"] += 1
        for k in ("tensors", "ks", "exact", "zero_rows", "stds", "upcast"):
            total[k] += c.get(k, 0)
        total["min_p"] = min(total["min_p"], c.get("min_p", 1.0))
    for f in failures:
        print("FAIL " + f)
    print(json.dumps(total))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
