#!/usr/bin/env python3
"""Two writers into one file against two writers into two files, on this disk (issue #13, docs/PERFORMANCE.md).

Each of two processes writes 3 GiB in 4 MiB pwrite calls: first each into a file of its own, then both into one
file (the first and second half), as the tasks of a single-file safetensors tensor do. Prints both times per round.
"""
import multiprocessing as mp
import os
import sys
import tempfile
import time

N = 3 << 30
B = 4 << 20


def write(path, base, buf):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    for off in range(0, N, B):
        os.pwrite(fd, buf, base + off)
    os.close(fd)


def timed(jobs, buf):
    ps = [mp.Process(target=write, args=(p, b, buf)) for p, b in jobs]
    t = time.time()
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    return time.time() - t


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    buf = os.urandom(B)
    d = tempfile.mkdtemp(prefix="one-file-writes-", dir=os.environ.get("TMPDIR"))
    a, b, one = (os.path.join(d, n) for n in ("a", "b", "one"))
    try:
        for _ in range(rounds):
            two = timed([(a, 0), (b, 0)], buf)
            os.unlink(a)
            os.unlink(b)
            single = timed([(one, 0), (one, N)], buf)
            os.unlink(one)
            print("two files %.2f s, one file %.2f s" % (two, single))
    finally:
        for p in (a, b, one):
            if os.path.exists(p):
                os.unlink(p)
        os.rmdir(d)


if __name__ == "__main__":
    main()
