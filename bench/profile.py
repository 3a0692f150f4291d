#!/usr/bin/env python3
"""Where a generate run's time goes: one run under JDK Flight Recorder, summarised.

    python3 bench/profile.py [JOB] [generate options ...]     # default: bench/jobs/normal-16k.yaml

Runs ./shardinit generate JOB --out <temp> --overwrite OPTIONS with a recording (Java stacks sampled every
2 ms, each thread's CPU load every 100 ms, compilations of 10 ms or more, process starts) and prints:
  - the CPU time of each thread group (tasks, writers, JIT compilers, driver, Spark, warm-up) while the job's
    tasks ran, kernel time included (GC threads are not Java threads and are not counted);
  - the Java samples of each group and the hottest frames of the task and writer threads: the fill,
    statistics and encoding costs;
  - the compiler's time over the whole run and its longest compilations;
  - how many processes the JVM started, by command.
Samples count Java code only: time in the kernel (page-cache copies), in class loading or in the compiler
shows up in none of them. The recording is left in the temporary directory it names.
"""
import collections
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<configuration version="2.0">
  <event name="jdk.ExecutionSample"><setting name="enabled">true</setting><setting name="period">2 ms</setting></event>
  <event name="jdk.Compilation"><setting name="enabled">true</setting><setting name="threshold">10 ms</setting></event>
  <event name="jdk.ProcessStart"><setting name="enabled">true</setting><setting name="stackTrace">false</setting></event>
  <event name="jdk.ThreadCPULoad"><setting name="enabled">true</setting><setting name="period">100 ms</setting></event>
</configuration>
"""


def events(jfr, name):
    out = subprocess.run(["jfr", "print", "--events", name, jfr], capture_output=True, text=True, check=True).stdout
    return out.split(name + " {")[1:]


def group(thread):
    if re.match(r"C[12] CompilerThread", thread):
        return "JIT compilers"
    if thread.startswith("Executor task launch") or thread.startswith("shardinit-fill-helper"):
        return "tasks (fill, statistics)"  # a task's own thread, or an idle core lent to it (FillHelpers)
    if thread.startswith("shardinit-writer"):
        return "writers (encode, write)"
    if thread == "main":
        return "driver main"
    if thread.startswith("shardinit-warmup"):
        return "warm-up"
    if re.match(r"(dag-scheduler|dispatcher|spark-|task-result|Executor|heartbeat|block-manager)", thread):
        return "Spark"
    return "other"


def main():
    job = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else "bench/jobs/normal-16k.yaml"
    opts = [a for a in sys.argv[1:] if a != job]
    work = tempfile.mkdtemp(prefix="shardinit-profile-")
    jfc = os.path.join(work, "profile.jfc")
    with open(jfc, "w") as f:
        f.write(SETTINGS)
    jfr = os.path.join(work, "run.jfr")
    env = dict(os.environ)
    env["SHARDINIT_JAVA_OPTS"] = (env.get("SHARDINIT_JAVA_OPTS", "") +
                                  " -XX:StartFlightRecording=filename=%s,settings=%s" % (jfr, jfc)).strip()
    run = subprocess.run(["./shardinit", "generate", job, "--out", os.path.join(work, "out"), "--overwrite"] + opts,
                         cwd=ROOT, env=env, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(run.stdout + run.stderr)
    print("\n".join(l for l in run.stdout.splitlines() if l.startswith("wrote")))
    subprocess.run(["rm", "-rf", os.path.join(work, "out")])

    ncpu = os.cpu_count()
    loads = []
    for e in events(jfr, "jdk.ThreadCPULoad"):
        t = re.search(r"startTime = (\d+):(\d+):([0-9.]+)", e)
        at = int(t.group(1)) * 3600 + int(t.group(2)) * 60 + float(t.group(3))
        cpu = sum(float(x) for x in re.findall(r"(?:user|system) = ([0-9.]+)%", e)) / 100 * 0.1 * ncpu
        loads.append((at, re.search(r'eventThread = "([^"]*)"', e).group(1), cpu))
    busy = [at for at, th, _ in loads if group(th).startswith(("tasks", "writers"))]
    if busy:
        start, end = min(busy) - 0.1, max(busy)
        cpu = collections.Counter()
        for at, th, c in loads:
            if start <= at <= end:
                cpu[group(th)] += c
        print("\nCPU while the tasks ran (%.1f s of wall time, %d CPUs): %.1f s" % (end - start, ncpu, sum(cpu.values())))
        for g, c in cpu.most_common():
            print("  %-26s %5.2f s" % (g, c))

    groups = collections.Counter()
    frames = collections.Counter()
    for e in events(jfr, "jdk.ExecutionSample"):
        m = re.search(r'sampledThread = "([^"]*)"', e)
        g = group(m.group(1) if m else "?")
        groups[g] += 1
        top = re.findall(r"^\s+([\w.$<>]+)\(", e, re.M)
        if top and g.startswith(("tasks", "writers")):
            frames[(g.split()[0], top[0])] += 1
    total = sum(groups.values()) or 1
    print("\nJava samples (2 ms) by thread group:")
    for g, n in groups.most_common():
        print("  %-26s %6d  %5.1f %%" % (g, n, 100.0 * n / total))
    print("\nhottest frames of the task and writer threads:")
    for (g, f), n in frames.most_common(15):
        print("  %-8s %6d  %s" % (g, n, f))

    comp = []
    for e in events(jfr, "jdk.Compilation"):
        d = re.search(r"duration = ([0-9.]+) (\w+)", e)
        ms = float(d.group(1)) * (1000 if d.group(2) == "s" else 1)
        comp.append((ms, re.search(r"compileLevel = (\d)", e).group(1), re.search(r"method = (.*)", e).group(1)))
    comp.sort(reverse=True)
    print("\ncompilations of 10 ms or more: %d, %.1f s in all; the longest:" % (len(comp), sum(c[0] for c in comp) / 1e3))
    for ms, level, method in comp[:8]:
        print("  %6.0f ms  tier %s  %s" % (ms, level, method[:100]))

    procs = collections.Counter()
    for e in events(jfr, "jdk.ProcessStart"):
        c = re.search(r'command = "([^"]*)"', e)
        procs[(c.group(1) if c else "?").split(" /")[0][:40]] += 1
    print("\nprocesses started: %d" % sum(procs.values()))
    for c, n in procs.most_common(5):
        print("  %5d  %s" % (n, c))
    print("\nrecording: %s" % jfr)


if __name__ == "__main__":
    main()
