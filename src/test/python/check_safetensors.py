"""Reads a shardinit safetensors checkpoint with the real readers and compares it with expected raw values.

Usage: check_safetensors.py CHECKPOINT EXPECTED

EXPECTED holds expected.json ({"tensors": [{"name", "dtype", "shape", "file"}]}, file: raw little-endian bytes
of the tensor's values as shardinit's core library computes them, relative to EXPECTED).

Checks, with the safetensors crate's own parser (safetensors.deserialize), its numpy API (with ml_dtypes for
bfloat16) and its PyTorch API (safetensors.torch.load_file): every tensor is there once, with its dtype, shape and
exact bytes; the index (model.safetensors.index.json) names every tensor's file and totals its sizes; every
file's header is padded to a multiple of 8, its __metadata__ is string to string with format "pt", and every
tensor starts at a multiple of its element size. Prints one JSON line of counts; exits 1 on the first problem.
"""
import json
import os
import struct
import sys

import ml_dtypes  # noqa: F401  (registers bfloat16 with numpy, for the numpy API)
import numpy as np
import safetensors
import safetensors.numpy
import safetensors.torch
import torch

WIDTH = {"F64": 8, "F32": 4, "BF16": 2, "F16": 2}
TORCH = {"F64": torch.float64, "F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16}
SHARDINIT = {"float64": "F64", "float32": "F32", "bfloat16": "BF16", "float16": "F16"}


def fail(msg):
    print("check_safetensors: " + msg, file=sys.stderr)
    sys.exit(1)


def main(out, expected_dir):
    spec = json.load(open(os.path.join(expected_dir, "expected.json")))
    want = {t["name"]: t for t in spec["tensors"]}
    index_path = os.path.join(out, "model.safetensors.index.json")
    if os.path.exists(index_path):
        index = json.load(open(index_path))
        weight_map = index["weight_map"]
        files = sorted(set(weight_map.values()))
        if set(weight_map) != set(want):
            fail("the index's weight_map names %s, expected %s" % (sorted(weight_map), sorted(want)))
        total = sum(int(np.prod(t["shape"], dtype=np.int64)) * WIDTH[SHARDINIT[t["dtype"]]] for t in want.values())
        if index["metadata"]["total_size"] != total:
            fail("total_size %s, expected %s" % (index["metadata"]["total_size"], total))
        params = sum(int(np.prod(t["shape"], dtype=np.int64)) for t in want.values())
        if index["metadata"]["total_parameters"] != params:
            fail("total_parameters %s, expected %s" % (index["metadata"]["total_parameters"], params))
        n = len(files)
        if files != ["model-%05d-of-%05d.safetensors" % (i, n) for i in range(1, n + 1)]:
            fail("file names %s" % files)
    else:
        weight_map = None
        files = ["model.safetensors"]
    seen = {}
    numpy_loaded = torch_loaded = 0
    for name in files:
        path = os.path.join(out, name)
        raw = open(path, "rb").read()
        (n,) = struct.unpack("<Q", raw[:8])
        if (8 + n) % 8:
            fail("%s: header of %d bytes: data does not start at a multiple of 8" % (name, n))
        header = json.loads(raw[8:8 + n])
        meta = header.pop("__metadata__", None)
        if meta is None or meta.get("format") != "pt" or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
            fail("%s: __metadata__ %r" % (name, meta))
        for tname, e in header.items():
            if e["data_offsets"][0] % WIDTH[e["dtype"]]:
                fail("%s: %s starts at data offset %d" % (name, tname, e["data_offsets"][0]))
        # the crate's own parser and validation, raw bytes for every dtype
        for tname, view in safetensors.deserialize(raw):
            if tname in seen:
                fail("%s is in %s and %s" % (tname, seen[tname], name))
            if weight_map is not None and weight_map.get(tname) != name:
                fail("%s is in %s, the index says %s" % (tname, name, weight_map.get(tname)))
            seen[tname] = name
            w = want.get(tname)
            if w is None:
                fail("%s: unexpected tensor %s" % (name, tname))
            if view["dtype"] != SHARDINIT[w["dtype"]] or list(view["shape"]) != w["shape"]:
                fail("%s: %s is %s %s, expected %s %s" % (name, tname, view["dtype"], view["shape"],
                                                      w["dtype"], w["shape"]))
            if bytes(view["data"]) != expected_bytes(expected_dir, w):
                fail("%s: %s: bytes differ from the core library's" % (name, tname))
        for tname, arr in safetensors.numpy.load_file(path).items():
            if arr.tobytes() != expected_bytes(expected_dir, want[tname]) or list(arr.shape) != want[tname]["shape"]:
                fail("numpy API: %s differs" % tname)
            numpy_loaded += 1
        for tname, t in safetensors.torch.load_file(path).items():
            w = want[tname]
            if t.dtype != TORCH[SHARDINIT[w["dtype"]]] or list(t.shape) != w["shape"]:
                fail("torch: %s is %s %s" % (tname, t.dtype, list(t.shape)))
            got = t.reshape(-1).contiguous().view(torch.uint8).numpy().tobytes() if t.numel() else b""
            if got != expected_bytes(expected_dir, w):
                fail("torch: %s: values differ from the core library's" % tname)
            torch_loaded += 1
    if set(seen) != set(want):
        fail("missing tensors: %s" % sorted(set(want) - set(seen)))
    print(json.dumps({"files": len(files), "tensors": len(seen), "numpy": numpy_loaded, "torch": torch_loaded,
                      "dtypes": sorted({SHARDINIT[w["dtype"]] for w in want.values()})}))


def expected_bytes(expected_dir, w):
    return open(os.path.join(expected_dir, w["file"]), "rb").read()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
