#!/usr/bin/env bash
# How a job scales with the size of its plan (not of its data): many small tensors, many partitions.
#   bash bench/scale.sh [SHARDINIT_DIR]    # SHARDINIT_DIR: a checkout to measure (default: this one)
# For each case it prints the wall time of the whole command and its peak RSS (the driver's: local mode runs
# the executors in the same JVM), measured by /usr/bin/time, and whether the job completed, with the JVM's heap
# capped at 1 GiB (SHARDINIT_JAVA_OPTS, default -Xmx1g). The job specs are written to a temporary directory:
# 10,000 and 100,000 tensors of 16 float32 values each (6.1 MiB for 100,000), with the default partitions (one
# per core) and with one partition per tensor (--partitions N and 64-byte shards: N Spark tasks).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
target="$(cd "${1:-$here}" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export SHARDINIT_JAVA_OPTS="${SHARDINIT_JAVA_OPTS:--Xmx1g}"
for n in 10000 100000; do
  python3 - "$tmp/many-$n.yaml" "$n" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("seed: 1\ntensors:\n  - repeat: {i: %s}\n    tensors:\n" % sys.argv[2])
    f.write("      - {name: 'layer.{i}.bias', shape: [16], init: normal_, args: {std: 0.02}}\n")
PY
done
run() {
  local name="$1"; shift
  rm -rf "$tmp/out"
  local start end
  start=$(date +%s.%N)
  if /usr/bin/time -f "%M" -o "$tmp/rss" "$target/shardinit" "$@" --out "$tmp/out" >"$tmp/stdout" 2>"$tmp/stderr"; then
    status=ok
  else
    status="failed: $(tail -1 "$tmp/stderr" | cut -c1-120)"
  fi
  end=$(date +%s.%N)
  printf '%-40s %8.1f s  %6d MiB  %s\n' "$name" "$(echo "$end - $start" | bc)" "$(( $(tail -1 "$tmp/rss") / 1024 ))" "$status"
}
"$target/shardinit" generate "$tmp/many-10000.yaml" --out "$tmp/warm" >/dev/null 2>&1 || true # builds, untimed
rm -rf "$tmp/warm"
for n in 10000 100000; do
  run "$n tensors, default partitions" generate "$tmp/many-$n.yaml"
  run "$n tensors, $n partitions" generate "$tmp/many-$n.yaml" --shard-size 64 --partitions "$n"
done
