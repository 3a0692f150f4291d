#!/usr/bin/env python3
"""Independent reference implementation of docs/RNG.md (shardinit random stream, version 1).

Written from the text of docs/RNG.md sections 1-7 alone, using only the Python standard library and
numpy. Plain Python floats are IEEE-754 binary64 with one rounding per operation, which is the
arithmetic the document asks for; every order-sensitive computation below is a scalar Python loop.

    fill(fn, kwargs, name, shape, dtype, seed, start=0, end=None)   -> list of stored bit patterns (ints)
    values(fn, kwargs, name, shape, dtype, seed, start=0, end=None) -> list of Python floats

`fn` is a torch.nn.init name such as "normal_" or "kaiming_uniform_" (section 7); `kwargs` are its
keyword arguments; `dtype` is one of "float32", "float64", "bfloat16", "float16".

Run `python3 shardinit_rng.py` to check the known answers of sections 1 and 2 and every test vector of
section 8.
"""

import hashlib
import math
import struct
import sys

import numpy as np

M32 = 0xFFFFFFFF


def f64(bits):
    """The double with the given 64-bit pattern."""
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


def bits64(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


# ---------------------------------------------------------------------------------------------------
# §1 Philox4x32-10

def philox(counter, key):
    c0, c1, c2, c3 = counter
    k0, k1 = key
    for _ in range(10):
        p0 = 0xD2511F53 * c0
        p1 = 0xCD9E8D57 * c2
        c0, c1, c2, c3 = ((p1 >> 32) ^ c1 ^ k0, p1 & M32, (p0 >> 32) ^ c3 ^ k1, p0 & M32)
        k0 = (k0 + 0x9E3779B9) & M32
        k1 = (k1 + 0xBB67AE85) & M32
    return (c0, c1, c2, c3)


# ---------------------------------------------------------------------------------------------------
# §2 Streams

class Stream:
    def __init__(self, domain, seed, name):
        d = hashlib.sha256(b"shardinit/rng/v1\0" + domain.encode() + b"\0"
                           + int(seed).to_bytes(8, "little", signed=True)
                           + name.encode("utf-8")).digest()
        self.k0, self.k1, self.s0, self.s1 = struct.unpack("<4I", d[:16])
        self._block = None
        self._words = None

    def word(self, w):
        b = w >> 2
        if b != self._block:
            self._words = philox((b & M32, (b >> 32) & M32, self.s0, self.s1), (self.k0, self.k1))
            self._block = b
        return self._words[w & 3]


# ---------------------------------------------------------------------------------------------------
# §3 Uniforms

def narrow(w):
    return (2 * w + 1) * 2.0 ** -33


def wide(lo, hi):
    m = ((hi << 32) | lo) >> 12
    return float(2 * m + 1) * 2.0 ** -53        # 2m+1 < 2^53: exact


def element_uniform(stream, i, dtype):
    if dtype == "float64":
        return wide(stream.word(2 * i), stream.word(2 * i + 1))
    return narrow(stream.word(i))


# ---------------------------------------------------------------------------------------------------
# §4 Elementary functions

SQRT2 = f64(0x3FF6A09E667F3BCD)
LN2_HI = f64(0x3FE62E42FEE00000)
LN2_LO = f64(0x3DEA39EF35793C76)
INV_LN2 = f64(0x3FF71547652B82FE)
INV_SQRT_2PI = f64(0x3FD9884533D43651)
LOG_C = [1.0 / (2 * j + 1) for j in range(12)]


def _exp_coeffs():
    g = []
    fact = 1.0
    for j in range(15):
        if j > 0:
            fact = fact * j
        g.append(1.0 / fact)
    return g


EXP_G = _exp_coeffs()


def rlog(x):
    if x == 0:
        return -math.inf
    e0 = 0
    if x < 2.0 ** -1022:
        x = x * 2.0 ** 54
        e0 = -54
    b = bits64(x)
    e = ((b >> 52) & 0x7FF) - 1023 + e0
    m = f64((b & ((1 << 52) - 1)) | (1023 << 52))
    if m > SQRT2:
        m = m * 0.5
        e = e + 1
    f = m - 1.0
    s = f / (2.0 + f)
    s2 = s * s
    p = LOG_C[11]
    for j in range(10, -1, -1):
        p = p * s2 + LOG_C[j]
    r = (2.0 * s) * p
    ed = float(e)
    return ed * LN2_HI + (ed * LN2_LO + r)


def rexp(x):
    if x != x:
        return x
    if x < -746.0:
        return 0.0
    if x > 710.0:
        return math.inf
    k = float(np.rint(x * INV_LN2))
    r = (x - k * LN2_HI) - k * LN2_LO
    p = EXP_G[14]
    for j in range(13, -1, -1):
        p = p * r + EXP_G[j]
    ki = int(k)
    h = -((-ki) // 2) if ki < 0 else ki // 2          # trunc(k / 2)
    return (p * 2.0 ** h) * 2.0 ** (ki - h)


A = [3.387132872796366608, 133.14166789178437745, 1971.5909503065514427, 13731.693765509461125,
     45921.953931549871457, 67265.770927008700853, 33430.575583588128105, 2509.0809287301226727]
B = [1.0, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077,
     21213.794301586595867, 39307.89580009271061, 28729.085735721942674, 5226.495278852545925]
C = [1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055, 3.64784832476320460504,
     1.27045825245236838258, 0.24178072517745061177, 0.0227238449892691845833,
     7.7454501427834140764e-4]
D = [1.0, 2.05319162663775882187, 1.6763848301838038494, 0.68976733498510000455,
     0.14810397642748007459, 0.0151986665636164571966, 5.475938084995344946e-4,
     1.05075007164441684324e-9]
E = [6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358, 0.29656057182850489123,
     0.026532189526576123093, 0.0012426609473880784386, 2.71155556874348757815e-5,
     2.01033439929228813265e-7]
F = [1.0, 0.59983220655588793769, 0.13692988092273580531, 0.0148753612908506148525,
     7.868691311456132591e-4, 1.8463183175100546818e-5, 1.4215117583164458887e-7,
     2.04426310338993978564e-15]


def _horner(coef, r):
    v = coef[7]
    for j in range(6, -1, -1):
        v = v * r + coef[j]
    return v


def quantile(p):
    q = p - 0.5
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        return (q * _horner(A, r)) / _horner(B, r)
    r = p if q < 0 else 1.0 - p
    if r <= 0:
        return -math.inf if q < 0 else math.inf
    r = math.sqrt(-rlog(r))
    if r <= 5:
        r = r - 1.6
        v = _horner(C, r) / _horner(D, r)
    else:
        r = r - 5.0
        v = _horner(E, r) / _horner(F, r)
    return -v if q < 0 else v


def density(x):
    return INV_SQRT_2PI * rexp(-0.5 * (x * x))


def cdf(x):
    if x != x:
        return x
    if x > 0:
        return 1.0 - cdf(-x)
    if x < -40:
        return 0.0
    if x >= -3:
        x2 = x * x
        term = x
        total = x
        for n in range(1, 61):
            term = (term * x2) / (2 * n + 1)
            total = total + term
        return 0.5 + density(x) * total
    t = -x
    cf = t
    for n in range(200, 0, -1):
        cf = t + n / cf
    return density(t) / cf


# ---------------------------------------------------------------------------------------------------
# §6 Rounding to the dtype

SMALL = {  # p, emin, max
    "bfloat16": (8, -126, float.fromhex("0x1.FEp127")),
    "float16": (11, -14, 65504.0),
}


def round_to(x, dtype):
    """x rounded once to the dtype, returned as a Python float holding the dtype value."""
    if dtype == "float64":
        return x
    if dtype == "float32":
        return float(np.float32(x))
    p, emin, mx = SMALL[dtype]
    if x != x or x == 0 or math.isinf(x):
        return x
    e = max(math.frexp(x)[1] - 1, emin)
    ulp = 2.0 ** (e - p + 1)
    r = float(np.rint(abs(x) / ulp)) * ulp
    if r > mx:
        r = math.inf
    return math.copysign(r, x)


def to_bits(r, dtype):
    """Stored bit pattern of a value r that is already a dtype value."""
    if dtype == "float64":
        return bits64(r)
    if dtype == "float32":
        return struct.unpack("<I", struct.pack("<f", r))[0]
    if dtype == "bfloat16":
        return struct.unpack("<I", struct.pack("<f", r))[0] >> 16
    # float16, per the prose of §6
    sign = 0x8000 if math.copysign(1.0, r) < 0 else 0
    a = abs(r)
    if a != a:
        return sign | 0x7E00
    if math.isinf(a):
        return sign | 0x7C00           # not written in §6; IEEE binary16 infinity
    if a < 2.0 ** -14:
        return sign | int(a * 2.0 ** 24)
    e = math.frexp(a)[1] - 1           # the exponent of r (not of x; see report)
    return sign | ((e + 15) << 10) | (int(a * 2.0 ** (10 - e)) - 1024)


def _next_up(v, dtype):
    if dtype == "float64":
        return float(np.nextafter(v, math.inf))
    if dtype == "float32":
        return float(np.nextafter(np.float32(v), np.float32(math.inf)))
    return _from_small_bits(_small_step(to_bits(v, dtype), +1), dtype)


def _next_down(v, dtype):
    if dtype == "float64":
        return float(np.nextafter(v, -math.inf))
    if dtype == "float32":
        return float(np.nextafter(np.float32(v), np.float32(-math.inf)))
    return _from_small_bits(_small_step(to_bits(v, dtype), -1), dtype)


def _small_step(b, direction):
    """Neighbouring 16-bit float pattern (sign-magnitude ordering)."""
    neg = b & 0x8000
    mag = b & 0x7FFF
    if mag == 0:
        return 0x0001 if direction > 0 else 0x8001
    if (direction > 0) == (not neg):
        return neg | (mag + 1)
    return neg | (mag - 1)


def _from_small_bits(b, dtype):
    if dtype == "bfloat16":
        return struct.unpack("<f", struct.pack("<I", b << 16))[0]
    return float(np.frombuffer(struct.pack("<H", b), dtype=np.float16)[0])


def keep_lo(a, dtype):
    r = round_to(a, dtype)
    return _next_up(r, dtype) if r < a else r


def keep_hi(b, dtype):
    r = round_to(b, dtype)
    return _next_down(r, dtype) if r > b else r


# ---------------------------------------------------------------------------------------------------
# §5 Samplers

def feistel_perm(stream, c, n, x):
    lg = 0 if n <= 1 else (n - 1).bit_length()      # ceil(log2 n), exact
    h = max(1, -(-lg // 2))
    mask = (1 << h) - 1
    c &= (1 << 64) - 1
    t2 = stream.s0 ^ (c & M32)
    t3 = stream.s1 ^ (c >> 32)
    key = (stream.k0, stream.k1)

    def enc(v):
        L = v >> h
        R = v & mask
        for j in range(6):
            Fv = philox((R, j, t2, t3), key)[0] & mask
            L, R = R, L ^ Fv
        return (L << h) | R

    y = enc(x)
    while y >= n:
        y = enc(y)
    return y


def orthogonal_matrix(seed, name, shape):
    rows = shape[0]
    numel = math.prod(shape)
    cols = numel // rows
    st = Stream("orthogonal", seed, name)
    G = [[quantile(wide(st.word(2 * (r * cols + c)), st.word(2 * (r * cols + c) + 1)))
          for c in range(cols)] for r in range(rows)]
    if rows >= cols:
        m, n = rows, cols
        Acols = [[G[i][k] for i in range(m)] for k in range(n)]       # column-major
    else:
        m, n = cols, rows
        Acols = [[G[k][i] for i in range(m)] for k in range(n)]       # columns of G^T
    taus = [0.0] * n
    signs = [1] * n

    def apply(k, v, y):
        w = y[k]
        for i in range(k + 1, m):
            w = w + v[i] * y[i]
        tw = taus[k] * w
        y[k] = y[k] - tw
        for i in range(k + 1, m):
            y[i] = y[i] - tw * v[i]

    for k in range(n):
        a = Acols[k]
        norm2 = 0.0
        for i in range(k, m):
            norm2 = norm2 + a[i] * a[i]
        norm = math.sqrt(norm2)
        if norm == 0:
            taus[k] = 0.0
            signs[k] = 1
            continue
        alpha = a[k]
        beta = -norm if alpha >= 0 else norm
        taus[k] = (beta - alpha) / beta
        scale = 1.0 / (alpha - beta)
        for i in range(k + 1, m):
            a[i] = a[i] * scale
        a[k] = beta
        signs[k] = 1 if beta > 0 else -1
        for j in range(k + 1, n):
            apply(k, a, Acols[j])
    Q = [[1.0 if i == j else 0.0 for i in range(m)] for j in range(n)]   # Q columns
    for k in range(n - 1, -1, -1):
        if taus[k] == 0:
            continue
        for j in range(k, n):
            apply(k, Acols[k], Q[j])
    for j in range(n):
        if signs[j] == -1:
            Q[j] = [-v for v in Q[j]]
    return rows, cols, rows >= cols, Q


# ---------------------------------------------------------------------------------------------------
# §7 From torch.nn.init to samplers

def fans(shape):
    if len(shape) < 2:
        raise ValueError("fans need at least 2 dimensions")
    R = math.prod(shape[2:])
    return shape[1] * R, shape[0] * R


def calculate_gain(nonlinearity, a=None):
    if nonlinearity in ("linear", "sigmoid") or nonlinearity.startswith("conv"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if a is None:
            a = 0.01
        return math.sqrt(2.0 / (1 + a * a))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(nonlinearity)


SQRT3 = math.sqrt(3.0)


def resolve(fn, kw, shape):
    """(sampler, params) for a torch.nn.init call."""
    if fn == "uniform_":
        return "uniform", (kw.get("a", 0.0), kw.get("b", 1.0))
    if fn == "normal_":
        return "normal", (kw.get("mean", 0.0), kw.get("std", 1.0))
    if fn == "trunc_normal_":
        return "truncnormal", (kw.get("mean", 0.0), kw.get("std", 1.0), kw.get("a", -2.0), kw.get("b", 2.0))
    if fn == "constant_":
        return "constant", (kw["val"],)
    if fn == "ones_":
        return "constant", (1.0,)
    if fn == "zeros_":
        return "constant", (0.0,)
    if fn == "eye_":
        return "eye", ()
    if fn == "dirac_":
        return "dirac", (kw.get("groups", 1),)
    if fn in ("xavier_uniform_", "xavier_normal_"):
        fi, fo = fans(shape)
        std = kw.get("gain", 1.0) * math.sqrt(2.0 / float(fi + fo))
        if fn == "xavier_normal_":
            return "normal", (0.0, std)
        bound = SQRT3 * std
        return "uniform", (-bound, bound)
    if fn in ("kaiming_uniform_", "kaiming_normal_"):
        fi, fo = fans(shape)
        fan = float(fi if kw.get("mode", "fan_in") == "fan_in" else fo)
        gain = calculate_gain(kw.get("nonlinearity", "leaky_relu"), kw.get("a", 0))
        std = gain / math.sqrt(fan)
        if fn == "kaiming_normal_":
            return "normal", (0.0, std)
        bound = SQRT3 * std
        return "uniform", (-bound, bound)
    if fn == "orthogonal_":
        return "orthogonal", (kw.get("gain", 1.0),)
    if fn == "sparse_":
        rows = shape[0]
        return "sparse", (int(math.ceil(kw["sparsity"] * rows)), kw.get("std", 0.01))
    raise ValueError(fn)


def values(fn, kwargs, name, shape, dtype, seed, start=0, end=None):
    """Values (Python floats, already rounded to dtype) of elements start..end-1."""
    shape = tuple(shape)
    numel = math.prod(shape)
    if end is None:
        end = numel
    sampler, prm = resolve(fn, kwargs, shape)
    st = Stream("values", seed, name)
    out = []
    if sampler == "uniform":
        lo, hi = prm
        width = hi - lo
        xs = (lo + width * element_uniform(st, i, dtype) for i in range(start, end))
    elif sampler == "normal":
        mean, std = prm
        xs = (mean + std * quantile(element_uniform(st, i, dtype)) for i in range(start, end))
    elif sampler == "truncnormal":
        mean, std, a, b = prm
        klo, khi = keep_lo(a, dtype), keep_hi(b, dtype)
        alpha = (a - mean) / std
        beta = (b - mean) / std
        flip = alpha + beta > 0
        lo, hi = (-beta, -alpha) if flip else (alpha, beta)
        plo = cdf(lo)
        dp = cdf(hi) - plo

        def tn(i):
            p = plo + element_uniform(st, i, dtype) * dp
            z = quantile(p)
            z = min(max(z, lo), hi)
            if flip:
                z = -z
            x = mean + std * z
            return min(max(x, klo), khi)
        xs = (tn(i) for i in range(start, end))
    elif sampler == "constant":
        xs = (float(prm[0]) for _ in range(start, end))
    elif sampler == "eye":
        if len(shape) != 2:
            raise ValueError("eye_ needs 2 dimensions")
        cols = shape[1]
        xs = (1.0 if i // cols == i % cols else 0.0 for i in range(start, end))
    elif sampler == "dirac":
        groups = prm[0]
        if not 3 <= len(shape) <= 5:
            raise ValueError("dirac_ needs 3 to 5 dimensions")
        O, I, ks = shape[0], shape[1], shape[2:]
        K = math.prod(ks)
        centre = 0
        for kd in ks:
            centre = centre * kd + kd // 2
        opg = O // groups

        def dr(i):
            s = i % K
            c = (i // K) % I
            o = i // (K * I)
            return 1.0 if s == centre and o % opg == c else 0.0
        xs = (dr(i) for i in range(start, end))
    elif sampler == "sparse":
        zeros, std = prm
        if len(shape) != 2:
            raise ValueError("sparse_ needs 2 dimensions")
        rows, cols = shape
        sp = Stream("sparse", seed, name)

        def spx(i):
            r, c = divmod(i, cols)
            x = 0.0 + std * quantile(element_uniform(st, i, dtype))
            return 0.0 if feistel_perm(sp, c, rows, r) < zeros else x
        xs = (spx(i) for i in range(start, end))
    elif sampler == "orthogonal":
        gain = prm[0]
        rows, cols, tall, Q = orthogonal_matrix(seed, name, shape)

        def orx(i):
            r, c = divmod(i, cols)
            return gain * (Q[c][r] if tall else Q[r][c])   # Q stored by columns: Q[col][row]
        xs = (orx(i) for i in range(start, end))
    else:
        raise ValueError(sampler)
    for x in xs:
        out.append(round_to(x, dtype))
    return out


def fill(fn, kwargs, name, shape, dtype, seed, start=0, end=None):
    """Stored bit patterns (ints) of elements start..end-1."""
    return [to_bits(v, dtype) for v in values(fn, kwargs, name, shape, dtype, seed, start, end)]


# ---------------------------------------------------------------------------------------------------
# Self-check against §1, §2 and §8

PHILOX_KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8)),
    ((M32, M32, M32, M32), (M32, M32), (0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd)),
    ((0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344), (0xa4093822, 0x299f31d0),
     (0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1)),
]

VECTORS = [
    ("uniform_(a=0, b=1), float32, seed 0, w, [8]",
     "uniform_", {"a": 0.0, "b": 1.0}, "w", [8], "float32", 0,
     "3e9b3505 3ef726a7 3f484c4a 3f63e097 3f6042b0 3f0443bc"),
    ("normal_(), float32, seed 42, layer.0.weight, [4, 4]",
     "normal_", {}, "layer.0.weight", [4, 4], "float32", 42,
     "bfcd6185 3fd995e5 bf423002 bf8d232c 3f95544a 3f705df2"),
    ("normal_(std=0.02), bfloat16, seed 42, model.embed_tokens.weight, [32000, 2048]",
     "normal_", {"std": 0.02}, "model.embed_tokens.weight", [32000, 2048], "bfloat16", 42,
     "3a65 ba24 bac2 3b07 bbda bc52"),
    ("normal_(), float64, seed -1, x, [6]",
     "normal_", {}, "x", [6], "float64", -1,
     "3fce20a6e33e8fe9 bfc8f51890486b3d bfca4b4f17a4cfb4 bfdf87050d03f2ad bff1eb4109c9043a "
     "bfe770af3b44334b"),
    ("trunc_normal_(std=0.02, a=-0.04, b=0.04), float16, seed 7, vit.pos, [6]",
     "trunc_normal_", {"std": 0.02, "a": -0.04, "b": 0.04}, "vit.pos", [6], "float16", 7,
     "2065 28f5 a12b a915 1b31 a885"),
    ("kaiming_uniform_(a=sqrt(5)), float32, seed 1, fc.weight, [6, 3]",
     "kaiming_uniform_", {"a": math.sqrt(5)}, "fc.weight", [6, 3], "float32", 1,
     "bee30897 3ec76ab4 bf13a251 3ee7ad15 be680409 3ebd64c4"),
    ("sparse_(sparsity=0.5, std=0.01), float32, seed 3, s, [2, 3]",
     "sparse_", {"sparsity": 0.5, "std": 0.01}, "s", [2, 3], "float32", 3,
     "00000000 3c369857 00000000 bc2a8861 00000000 3c65b3da"),
    ("orthogonal_(gain=1), float64, seed 5, lstm.weight_hh, [3, 2]",
     "orthogonal_", {"gain": 1.0}, "lstm.weight_hh", [3, 2], "float64", 5,
     "bfe15fd625ae8c10 3fe2c5174fbb73f7 3fe9caa9fe6b5ae2 3fc4df595d52d56c 3fce2dbda69c6dc4 "
     "3fe962e27d7113c6"),
]


def main():
    failures = 0

    def report(ok, label, detail=""):
        nonlocal failures
        if not ok:
            failures += 1
        print(("PASS " if ok else "FAIL ") + label + (("  " + detail) if detail else ""))

    for i, (ctr, key, want) in enumerate(PHILOX_KAT):
        got = philox(ctr, key)
        report(got == want, "§1 Philox KAT %d" % i, "" if got == want else
               "got " + " ".join("%08x" % v for v in got))

    s = Stream("values", 42, "w")
    got = (s.k0, s.k1, s.s0, s.s1)
    want = (0x2c65f450, 0x043edbdc, 0x4995102e, 0x1f1f391c)
    report(got == want, "§2 key derivation (values, 42, w)", "" if got == want else
           "got " + " ".join("%08x" % v for v in got))

    for label, fn, kw, name, shape, dtype, seed, hexes in VECTORS:
        want = [int(h, 16) for h in hexes.split()]
        got = fill(fn, kw, name, shape, dtype, seed, 0, len(want))
        ok = got == want
        width = {"float64": 16, "float32": 8}.get(dtype, 4)
        report(ok, "§8 " + label, "" if ok else
               "got " + " ".join("%0*x" % (width, v) for v in got))
    print("%d failure(s)" % failures if failures else "all checks passed")
    return 1 if failures else 0


def batch():
    """Reads JSON lines {fn, kwargs, name, shape, dtype, seed, start, end} from stdin and prints, for each,
    the stored bit patterns of elements start..end-1 as hex, space separated (used by the Scala suite
    ReferenceImplementationSuite to compare this module with the Java library)."""
    import json
    for line in sys.stdin:
        if not line.strip():
            continue
        c = json.loads(line)
        bits = fill(c["fn"], c["kwargs"], c["name"], c["shape"], c["dtype"], c["seed"], c["start"], c["end"])
        print(" ".join("%x" % b for b in bits), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(batch() if sys.argv[1:] == ["batch"] else main())
