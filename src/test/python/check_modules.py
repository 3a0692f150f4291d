"""Compares shardinit's module presets with the modules torch builds.

Usage: check_modules.py EXPECTED

EXPECTED holds expected.json:
  {"seed": S, "alpha": A,
   "configs": [{"prefix", "module", "args", "dtype"}],           one torch module each, args as torch takes them
   "tensors": [{"config", "name", "dtype", "shape", "file", "fn", "args", "bound", "std"}]}
where each tensor is one that shardinit's expansion of the config's module entry gives, "file" the raw
little-endian bytes of its values as the core library computes them (relative to EXPECTED), "fn" and "args"
the resolved torch.nn.init call (defaults included) and "bound"/"std" what shardinit derived from it.

For every config the torch module is built (torch.manual_seed(S + index), the config's dtype) while every
tensor-level sampling call torch makes (Tensor.uniform_, normal_, fill_, zero_) and every torch.nn.init call is
recorded, so that the law torch finally gave each tensor is known exactly. Then, per config:
  - the state_dict names, in order, and their shapes and dtypes are the expansion's; the only key torch has
    that shardinit leaves out is BatchNorm's num_batches_tracked (an int64 counter);
  - per tensor, torch's last init function is the one shardinit resolved (ones_, zeros_ and constant_ count
    as one), and the law's parameters are exactly equal as float64: uniform's (from, to), normal's (mean, std),
    a fill's value;
  - constant tensors: shardinit's values equal torch's, element for element;
  - random tensors: a two-sample Kolmogorov-Smirnov test of shardinit's values against torch's, at a
    Bonferroni-corrected level (alpha over the number of tests; asymptotic p-value); and, for tensors of at
    least POWER_N elements, the same test must reject torch's values scaled by 1.1 (the test has the power
    to see a bound 10 % off);
  - nn.Embedding: the padding row is exactly zero in both, and other rows are not;
  - shardinit's tensors, as a plain dict, load into a fresh module with strict=True.
Prints one JSON line of counts; exits 1 naming the first problem.
"""
import functools
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.modules.activation as activation

POWER_N = 32768
INIT_FUNCTIONS = ("uniform_", "normal_", "constant_", "ones_", "zeros_", "xavier_uniform_", "xavier_normal_",
                  "kaiming_uniform_", "kaiming_normal_")
TORCH_DTYPES = {"float32": torch.float32, "float64": torch.float64, "bfloat16": torch.bfloat16,
                "float16": torch.float16}


def fail(msg):
    print("check_modules: " + msg, file=sys.stderr)
    sys.exit(1)


# ----------------------------------------------------------------------------------------------- recording

class Recorder:
    """The last sampling call and the last torch.nn.init function applied to each tensor, by storage and shape."""

    def __init__(self):
        self.law = {}
        self.fn = {}
        self.depth = 0
        self.undo = []

    @staticmethod
    def key(t):
        return t.data_ptr(), tuple(t.shape)

    def __enter__(self):
        for name in ("uniform_", "normal_", "fill_", "zero_"):
            self._patch(torch.Tensor, name, self._raw(name))
        for name in INIT_FUNCTIONS:
            self._patch(torch.nn.init, name, self._init(name))
            if hasattr(activation, name):
                self._patch(activation, name, self._init(name))
        return self

    def __exit__(self, *exc):
        for owner, name, orig in reversed(self.undo):
            setattr(owner, name, orig)

    def _patch(self, owner, name, make):
        orig = getattr(owner, name)
        self.undo.append((owner, name, orig))
        setattr(owner, name, make(orig))

    def _raw(self, name):
        def make(orig):
            def wrapper(t, *args, **kwargs):
                self.law[self.key(t)] = law_of_call(name, args, kwargs)
                return orig(t, *args, **kwargs)
            return wrapper
        return make

    def _init(self, name):
        def make(orig):
            @functools.wraps(orig)
            def wrapper(t, *args, **kwargs):
                if self.depth == 0:
                    self.fn[self.key(t)] = name
                self.depth += 1
                try:
                    return orig(t, *args, **kwargs)
                finally:
                    self.depth -= 1
            return wrapper
        return make


def law_of_call(name, args, kwargs):
    """The law a Tensor method call gives its tensor, as float64 parameters."""
    def arg(i, key, default):
        return float(args[i]) if len(args) > i else float(kwargs.get(key, default))
    if name == "uniform_":
        return ("uniform", arg(0, "from", 0.0), arg(1, "to", 1.0))
    if name == "normal_":
        return ("normal", arg(0, "mean", 0.0), arg(1, "std", 1.0))
    if name == "fill_":
        return ("fill", arg(0, "value", None))
    return ("fill", 0.0)  # zero_


def our_law(t):
    """The law shardinit's resolved init call gives a tensor."""
    fn, a = t["fn"], t["args"]
    if fn == "uniform_":
        return ("uniform", float(a["a"]), float(a["b"]))
    if fn in ("kaiming_uniform_", "xavier_uniform_"):
        return ("uniform", -t["bound"], t["bound"])
    if fn == "normal_":
        return ("normal", float(a["mean"]), float(a["std"]))
    if fn in ("xavier_normal_", "kaiming_normal_"):
        return ("normal", 0.0, t["std"])
    if fn == "ones_":
        return ("fill", 1.0)
    if fn == "zeros_":
        return ("fill", 0.0)
    if fn == "constant_":
        return ("fill", float(a["val"]))
    fail("no law for %s" % fn)


def family(fn):
    return "constant" if fn in ("ones_", "zeros_", "constant_") else fn


# --------------------------------------------------------------------------------------------- statistics

def ks_statistic(x, y):
    """sup |F_x - F_y| over every value either sample holds (ties handled: both ECDFs taken at each value)."""
    x = np.sort(x)
    y = np.sort(y)
    grid = np.union1d(x, y)
    fx = np.searchsorted(x, grid, side="right") / x.size
    fy = np.searchsorted(y, grid, side="right") / y.size
    return float(np.max(np.abs(fx - fy)))


def ks_pvalue(d, n, m):
    """Asymptotic two-sample p-value: Kolmogorov's Q(sqrt(n m / (n + m)) d) = 2 sum (-1)^(j-1) exp(-2 j^2 l^2)."""
    lam = math.sqrt(n * m / (n + m)) * d
    if lam < 0.2:
        return 1.0
    s = 0.0
    for j in range(1, 101):
        s += (-1) ** (j - 1) * math.exp(-2.0 * j * j * lam * lam)
    return min(1.0, max(0.0, 2.0 * s))


# ------------------------------------------------------------------------------------------------ values

def ours(expected_dir, t):
    raw = open(os.path.join(expected_dir, t["file"]), "rb").read()
    if t["dtype"] == "bfloat16":
        v = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
    else:
        v = np.frombuffer(raw, dtype={"float32": "<f4", "float64": "<f8", "float16": "<f2"}[t["dtype"]])
    return v.astype(np.float64).reshape(t["shape"])


def build(config, seed):
    cls = getattr(torch.nn, config["module"][len("nn."):])
    torch.manual_seed(seed)
    with Recorder() as rec:
        module = cls(**config["args"], dtype=TORCH_DTYPES[config["dtype"]])
    return module, rec


def load_strictly(config, mine, names, expected_dir):
    """shardinit's tensors, as a plain dict (no version metadata, as from safetensors), load into a fresh module
    with strict=True; BatchNorm puts in num_batches_tracked = 0 itself."""
    state = {n: torch.from_numpy(ours(expected_dir, t)).to(TORCH_DTYPES[t["dtype"]]) for t, n in zip(mine, names)}
    module = getattr(torch.nn, config["module"][len("nn."):])(**config["args"], dtype=TORCH_DTYPES[config["dtype"]])
    module.load_state_dict(state, strict=True)
    for n, v in module.state_dict().items():
        if n == "num_batches_tracked":
            if v.item() != 0:
                fail("%s: num_batches_tracked %s after loading" % (config["module"], v))
        elif not torch.equal(v, state[n]):
            fail("%s: %s is not what was loaded" % (config["module"], n))


def main(expected_dir):
    spec = json.load(open(os.path.join(expected_dir, "expected.json")))
    configs, tensors, alpha = spec["configs"], spec["tensors"], spec["alpha"]
    random = [t for t in tensors if family(t["fn"]) != "constant"]
    level = alpha / len(random)  # Bonferroni over every KS test of the run
    counts = {"configs": 0, "tensors": 0, "constant": 0, "ks": 0, "power": 0, "padding": 0, "left_out": 0,
              "min_ks_n": min(int(np.prod(t["shape"])) for t in random), "min_p": 1.0}
    for index, config in enumerate(configs):
        where = "%s(%s)" % (config["module"], config["args"])
        module, rec = build(config, spec["seed"] + index)
        state = module.state_dict()
        params = dict(module.named_parameters())
        params.update(dict(module.named_buffers()))
        mine = [t for t in tensors if t["config"] == index]
        prefix = config["prefix"] + "."
        names = [t["name"][len(prefix):] for t in mine]
        left_out = [k for k in state if k not in names]
        want_left_out = ["num_batches_tracked"] if "num_batches_tracked" in state else []
        if left_out != want_left_out:
            fail("%s: torch has %s that shardinit does not" % (where, left_out))
        if config["module"].startswith("nn.BatchNorm") and config["args"].get("track_running_stats", True) \
                and not want_left_out:
            fail("%s: torch 2.x keeps num_batches_tracked; the check expected to see it left out" % where)
        counts["left_out"] += len(left_out)
        if [k for k in state if k in names] != names:
            fail("%s: torch's state_dict order %s, shardinit's %s" % (where, list(state), names))
        for t, name in zip(mine, names):
            theirs_t = state[name]
            what = "%s: %s" % (where, name)
            if list(theirs_t.shape) != t["shape"]:
                fail("%s: torch's shape %s, shardinit's %s" % (what, list(theirs_t.shape), t["shape"]))
            if theirs_t.dtype != TORCH_DTYPES[t["dtype"]]:
                fail("%s: torch's dtype %s, shardinit's %s" % (what, theirs_t.dtype, t["dtype"]))
            key = Recorder.key(params[name])
            law = rec.law.get(key)
            if law != our_law(t):
                fail("%s: torch's law %s, shardinit's %s" % (what, law, our_law(t)))
            torch_fn = rec.fn.get(key)
            if torch_fn is not None and family(torch_fn) != family(t["fn"]):
                fail("%s: torch's init %s, shardinit's %s" % (what, torch_fn, t["fn"]))
            if torch_fn is None and family(t["fn"]) != "constant":
                fail("%s: torch drew it without a torch.nn.init function, shardinit with %s" % (what, t["fn"]))
            a = ours(expected_dir, t)
            b = theirs_t.detach().to(torch.float64).numpy()
            if family(t["fn"]) == "constant":
                if not np.array_equal(a, b):
                    fail("%s: constant values differ from torch's" % what)
                counts["constant"] += 1
            else:
                pad = getattr(module, "padding_idx", None) if name == "weight" else None
                if pad is not None:
                    if not (np.all(a[pad] == 0) and np.all(b[pad] == 0)):
                        fail("%s: padding row %d is not zero in both" % (what, pad))
                    if np.sum(np.all(a == 0, axis=1)) != 1:
                        fail("%s: shardinit zeroes rows other than the padding row %d" % (what, pad))
                    a = np.delete(a, pad, axis=0)
                    b = np.delete(b, pad, axis=0)
                    counts["padding"] += 1
                a, b = a.ravel(), b.ravel()
                p = ks_pvalue(ks_statistic(a, b), a.size, b.size)
                if p < level:
                    fail("%s: KS test rejects shardinit's values against torch's, p = %.3g < %.3g" % (what, p, level))
                counts["ks"] += 1
                counts["min_p"] = min(counts["min_p"], p)
                if a.size >= POWER_N:
                    q = ks_pvalue(ks_statistic(a, 1.1 * b), a.size, b.size)
                    if q >= level:
                        fail("%s: KS test cannot tell torch's values scaled by 1.1 (p = %.3g)" % (what, q))
                    counts["power"] += 1
            counts["tensors"] += 1
        load_strictly(config, mine, names, expected_dir)
        counts["configs"] += 1
    if counts["tensors"] != len(tensors):
        fail("checked %d tensors of %d" % (counts["tensors"], len(tensors)))
    print(json.dumps(counts))


if __name__ == "__main__":
    main(sys.argv[1])
