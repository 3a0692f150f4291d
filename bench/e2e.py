#!/usr/bin/env python3
"""End-to-end benchmark: shardinit beside the baselines, in one run on this machine.

Measures the median of --runs runs (in rounds: every case once per round) of:
  - shardinit generate of a 16384 x 16384 float32 normal_ tensor (bench/jobs/normal-16k.yaml) to Parquet and to
    Arrow, and the same in bfloat16;
  - shardinit generate of jobs/tinyllama-1.1b.yaml in float32 and bfloat16 (Parquet);
  - Spark's one-liner, spark.range(n).select(randn(42).cast("float")) to uncompressed Parquet, same Spark, same
    local[N] (bench/baseline/OneLiner.java), for the same number of values;
  - dd of the same number of bytes with conv=fdatasync (the disk's floor);
and prints values/s, MB/s, peak RSS and the ratios shardinit/one-liner and shardinit/dd.

Times: "job" is the write alone, without JVM and Spark start-up, for shardinit (its "writing X s": from Spark
being up, including whatever of its warm-up is still running then, to the committed manifest) and for the
one-liner (its write action) alike; "wall" is the whole command (JVM start, Spark start, write). dd's is its own
elapsed time.
--quick is the regression guard to run before stopping (under a minute): the 16384 x 16384 tensor once in float32
to Parquet and to Arrow and in bfloat16 to Parquet, and dd of the same bytes; compare its job times with the table in
docs/PERFORMANCE.md, measured on the same kind of machine (single runs move by 10-15 % there).
--memory adds a single 16 GiB float32 tensor generated with a 2 GiB heap (local mode: the driver's memory).
--safetensors measures safetensors output beside Parquet's, in one run: TinyLlama-1.1B in bfloat16 to each (and dd
of the same bytes), interleaved for --runs rounds, then the 16 GiB float32 tensor once to each with a 2 GiB heap
(one safetensors file, filled by both tasks at once), and TinyLlama to safetensors on a file system without
positional writes (part files, then assembly; the test suite's faulty: scheme serving the same disk).
--against DIR compares this checkout with another one (a git worktree of an earlier commit) on the big jobs
only: TinyLlama-1.1B in float32 and bfloat16 and the 16 GiB tensor, each case of both checkouts once per round,
and prints the medians and the ratio this/other.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JAVA_OPENS = ["--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
              "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
              "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED"]


def timed(cmd, env=None):
    """Runs cmd under /usr/bin/time; returns (wall seconds, peak RSS KiB, stdout, stderr)."""
    tf = tempfile.NamedTemporaryFile(delete=False)
    tf.close()
    t0 = time.time()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", tf.name] + cmd, cwd=ROOT, env=env,
                       capture_output=True, text=True)
    wall = time.time() - t0
    rss = int(open(tf.name).read().strip().splitlines()[-1])
    os.unlink(tf.name)
    if p.returncode != 0:
        sys.exit("failed: %s\n%s\n%s" % (" ".join(cmd), p.stdout, p.stderr))
    return wall, rss, p.stdout, p.stderr


def shardinit(job, out, extra=(), heap=None, root=ROOT, env_extra=None):
    env = dict(os.environ)
    if heap:
        env["SHARDINIT_JAVA_OPTS"] = "-Xmx" + heap
    env.update(env_extra or {})
    wall, rss, so, _ = timed([os.path.join(root, "shardinit"), "generate", job, "--out", out] + list(extra), env)
    shutil.rmtree(out.replace("faulty://", ""))  # untimed: no run's wall time includes deleting the previous output
    m = re.search(r"writing ([0-9.]+) s", so)
    return float(m.group(1)), wall, rss


def oneliner(n, out, master):
    cp = open(os.path.join(ROOT, "target", "classpath.txt")).read().strip()
    wall, rss, so, _ = timed(["java"] + JAVA_OPENS + ["-cp", cp, "bench/baseline/OneLiner.java", str(n), out, master])
    shutil.rmtree(out, ignore_errors=True)
    return float(re.search(r"oneliner_seconds ([0-9.]+)", so).group(1)), wall, rss


def dd(nbytes, out):
    bs = 8 << 20
    count = max(1, nbytes // bs)
    wall, rss, _, se = timed(["dd", "if=/dev/zero", "of=" + out, "bs=%d" % bs, "count=%d" % count, "conv=fdatasync"])
    secs = float(re.search(r"copied, ([0-9.e+-]+) s", se).group(1))
    os.unlink(out)
    return secs, wall, rss


def round_robin(runs, cases):
    """Runs every case once per round, `runs` rounds; returns (label, values, bytes, medians of job and wall time,
    largest peak RSS, every run's job time in round order) per case, in order. Interleaving the cases spreads each over the whole run, so a machine that
    speeds up or slows down meanwhile (a shared one does) moves every case alike, not only the last ones."""
    results = {label: [] for label, _, _, _ in cases}
    for _ in range(runs):
        for label, _, _, f in cases:
            results[label].append(f())
    return [(label, values, nbytes, statistics.median(r[0] for r in results[label]),
             statistics.median(r[1] for r in results[label]), max(r[2] for r in results[label]),
             [r[0] for r in results[label]])
            for label, values, nbytes, _ in cases]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--memory", action="store_true")
    ap.add_argument("--master", default="local[2]", help="Spark master of the one-liner (shardinit uses local[*])")
    ap.add_argument("--against", metavar="DIR", help="another checkout to compare with, on the big jobs")
    ap.add_argument("--safetensors", action="store_true", help="safetensors beside Parquet (TinyLlama, 16 GiB)")
    a = ap.parse_args()
    if a.against:
        return against(os.path.abspath(a.against), a.runs)
    work = tempfile.mkdtemp(prefix="shardinit-e2e-", dir=os.environ.get("TMPDIR"))
    # Untimed: builds the jar if the sources changed, and records the launcher's class-data archive.
    subprocess.run(["./shardinit", "generate", "jobs/smoke.yaml", "--out", os.path.join(work, "warm")], cwd=ROOT,
                   check=True, capture_output=True)
    cases = []
    if a.safetensors:
        tl = 1100048384
        n16 = 65536 * 65536
        cases = [("dd conv=fdatasync (TinyLlama bfloat16 bytes)", tl, 2 * tl,
                  lambda: dd(2 * tl, os.path.join(work, "dd")))]
        for fmt in ("parquet", "safetensors"):
            cases.append(("shardinit TinyLlama-1.1B bfloat16 %s" % fmt, tl, 2 * tl,
                          lambda fmt=fmt: shardinit("jobs/tinyllama-1.1b.yaml", os.path.join(work, "s"),
                                                    ["--dtype", "bfloat16", "--format", fmt])))
        # The same without positional writes: the test suite's faulty: file system (no faults set) serves the
        # local disk under another scheme, so regions become part files assembled after the job.
        subprocess.run(["mvn", "-q", "-o", "-B", "test-compile"], cwd=ROOT, check=True)
        streams = {"SHARDINIT_EXTRA_CLASSPATH": os.path.join(ROOT, "target", "test-classes"),
                   "SHARDINIT_JAVA_OPTS": "-Dspark.hadoop.fs.faulty.impl=dev.shardinit.testing.FaultyFs"}
        cases.append(("shardinit TinyLlama-1.1B bfloat16 safetensors, parts + assembly", tl, 2 * tl,
                      lambda: shardinit("jobs/tinyllama-1.1b.yaml", "faulty://" + os.path.join(work, "s"),
                                        ["--dtype", "bfloat16", "--format", "safetensors"], env_extra=streams)))
        try:
            rows = round_robin(a.runs, cases)
            cases = [("shardinit 16 GiB float32 %s, -Xmx2g" % fmt, n16, 4 * n16,
                      lambda fmt=fmt: shardinit("bench/jobs/normal-16g.yaml", os.path.join(work, "s"),
                                                ["--format", fmt], "2g"))
                     for fmt in ("parquet", "safetensors")]
            rows += round_robin(1, cases)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        print("| case | job s | wall s | MB/s | peak RSS MiB | vs dd (time, same bytes) |")
        print("|---|---:|---:|---:|---:|---:|")
        ddr = rows[0]
        for label, values, nbytes, job_s, wall_s, rss, _ in rows:
            vs = "" if label.startswith("dd") else "%.2f×" % (job_s / (ddr[3] * nbytes / ddr[2]))
            print("| %s | %.2f | %.1f | %.0f | %d | %s |" % (label, job_s, wall_s, nbytes / job_s / 1e6, rss // 1024, vs))
        print()
        print("job s of every run, in round order:")
        for r in rows:
            print("  %s: %s" % (r[0], " ".join("%.2f" % x for x in r[6])))
        print("medians of %d rounds (the 16 GiB jobs once each)" % a.runs)
        return

    def case(label, values, nbytes, f):
        cases.append((label, values, nbytes, f))

    def ours(job, values, nbytes, label, opts=(), heap=None):
        case(label, values, nbytes, lambda: shardinit(job, os.path.join(work, "s"), list(opts), heap))

    try:
        runs = 1 if a.quick else a.runs
        n = 16384 * 16384
        big = "bench/jobs/normal-16k.yaml"
        if not a.quick:
            case("one-liner randn -> parquet float32", n, 4 * n, lambda: oneliner(n, os.path.join(work, "ol"), a.master))
        case("dd conv=fdatasync", n, 4 * n, lambda: dd(4 * n, os.path.join(work, "dd")))
        formats = (("parquet", "float32"), ("arrow", "float32"), ("parquet", "bfloat16"))
        for fmt, dt in formats + (() if a.quick else (("arrow", "bfloat16"),)):
            ours(big, n, n * (4 if dt == "float32" else 2), "shardinit %s %s 16384^2" % (fmt, dt),
                 ["--format", fmt, "--dtype", dt])
        if not a.quick:
            tl = 1100048384
            for dt in ("float32", "bfloat16"):
                ours("jobs/tinyllama-1.1b.yaml", tl, tl * (4 if dt == "float32" else 2),
                     "shardinit TinyLlama-1.1B %s parquet" % dt, ["--dtype", dt])
        rows = round_robin(runs, cases)
        if a.memory:
            n16 = 65536 * 65536
            cases = []
            ours("bench/jobs/normal-16g.yaml", n16, 4 * n16, "shardinit 16 GiB float32, -Xmx2g", heap="2g")
            rows += round_robin(1, cases)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    base = {r[0]: r for r in rows}
    ol = next((r for r in rows if r[0].startswith("one-liner")), None)
    ddr = next((r for r in rows if r[0].startswith("dd")), None)
    print("| case | values | job s | wall s | M values/s | MB/s | peak RSS MiB | vs one-liner (values/s) "
          "| vs one-liner (wall) | vs dd (time) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, values, nbytes, job_s, wall_s, rss, _ in rows:
        vps = values / job_s
        ours = ol and not label.startswith(("one-liner", "dd"))
        vs_ol = ("%.1f×" % (vps / (ol[1] / ol[3]))) if ours else ""
        vs_ol_wall = ("%.1f×" % ((values / wall_s) / (ol[1] / ol[4]))) if ours else ""
        vs_dd = ""
        if ddr and not label.startswith(("one-liner", "dd")):
            dd_time_same_bytes = ddr[3] * nbytes / ddr[2]
            vs_dd = "%.2f×" % (job_s / dd_time_same_bytes)
        print("| %s | %d | %.2f | %.1f | %.1f | %.0f | %d | %s | %s | %s |" % (
            label, values, job_s, wall_s, vps / 1e6, nbytes / job_s / 1e6, rss // 1024, vs_ol, vs_ol_wall, vs_dd))
    print()
    rate = {r[0]: r[1] / r[3] for r in rows}
    pairs = [(k.replace("float32", "bfloat16"), k) for k in rate if "float32" in k and "-Xmx" not in k
             and not k.startswith("one-liner")]
    ratios = ["%s %.2f×" % (f32.replace("shardinit ", "").replace(" float32", ""), rate[bf] / rate[f32])
              for bf, f32 in pairs if bf in rate]
    if ratios:
        print("bfloat16 / float32 in values/s: " + ", ".join(ratios))
        print()
    if not a.quick:
        print("job s of every run, in round order:")
        for r in rows:
            print("  %s: %s" % (r[0], " ".join("%.2f" % x for x in r[6])))
        print()
    print("job s = the write alone (no JVM or Spark start-up; dd: its own time); wall s = the whole command; "
          "medians of %d run(s); peak RSS is the largest of the runs; vs one-liner (wall) compares whole "
          "commands, JVM and Spark start-up included." % (1 if a.quick else a.runs))


def against(other, runs):
    """This checkout beside another, interleaved, on the jobs where only the steady state counts."""
    work = tempfile.mkdtemp(prefix="shardinit-e2e-", dir=os.environ.get("TMPDIR"))
    for root in (ROOT, other):  # untimed: builds each jar and records each class-data archive
        subprocess.run([os.path.join(root, "shardinit"), "generate", "jobs/smoke.yaml", "--out",
                        os.path.join(work, "warm")], cwd=ROOT, check=True, capture_output=True)
        shutil.rmtree(os.path.join(work, "warm"))
    tl = 1100048384
    n16 = 65536 * 65536
    jobs = [("TinyLlama-1.1B float32", "jobs/tinyllama-1.1b.yaml", tl, ["--dtype", "float32"], None),
            ("TinyLlama-1.1B bfloat16", "jobs/tinyllama-1.1b.yaml", tl, ["--dtype", "bfloat16"], None),
            ("16 GiB float32, -Xmx2g", "bench/jobs/normal-16g.yaml", n16, [], "2g")]
    cases = []
    for label, job, values, opts, heap in jobs:
        for name, root in (("this", ROOT), ("other", other)):
            cases.append(("%s: %s" % (name, label), values, 0,
                          (lambda job=job, opts=opts, heap=heap, root=root:
                           shardinit(job, os.path.join(work, "s"), opts, heap, root))))
    try:
        rows = round_robin(runs, cases)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    med = {r[0]: r for r in rows}
    print("| job | this: job s | other: job s | this/other (job) | this: wall s | other: wall s | "
          "this: peak RSS MiB | other: peak RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, *_ in jobs:
        t, o = med["this: " + label], med["other: " + label]
        print("| %s | %.2f | %.2f | %.3f | %.1f | %.1f | %d | %d |" % (label, t[3], o[3], t[3] / o[3], t[4], o[4],
                                                                     t[5] // 1024, o[5] // 1024))
    print()
    print("job s of every run, in round order:")
    for r in rows:
        print("  %s: %s" % (r[0], " ".join("%.2f" % x for x in r[6])))
    print()
    print("medians of %d rounds; this = %s, other = %s" % (runs, ROOT, other))


if __name__ == "__main__":
    main()
