#!/usr/bin/env bash
# Scale-out on a standalone cluster of this machine (bench/cluster.sh): the same job with 1 and with 2 workers
# of one core each, submitted as users submit it (SparkSubmit with the shaded jar), RUNS times each,
# interleaved; the job's own writing time (the "writing N s" of its last line) and the whole submission's wall
# time (the job starts once every executor has registered). Two cases: compute-bound (a 1 GiB float32 normal_ tensor written as bfloat16, 512 MiB, to a RAM-backed
# directory) and disk-bound (the same to target/, on disk). Then the driver's peak RSS for a plan of 100,000
# files (100,000 tensors of 16 values) on the 2-worker cluster.
#   bash bench/scale-out.sh [RUNS]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
runs=${1:-3}
ram="/dev/shm/shardinit-scale-out.$$"
disk="$here/target/scale-out.$$"
tmp="$(mktemp -d)"
trap 'bash bench/cluster.sh down >/dev/null 2>&1 || true; rm -rf "$ram" "$disk" "$tmp"' EXIT
job=bench/jobs/normal-16k.yaml
python3 - "$tmp/many.yaml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("seed: 1\ntensors:\n  - repeat: {i: 100000}\n    tensors:\n")
    f.write("      - {name: 'layer.{i}.bias', shape: [16], init: normal_, args: {std: 0.02}}\n")
PY
./shardinit --help >/dev/null # builds the jar
# the job starts once every executor has registered, so a second executor's JVM start is not counted as work
export SHARDINIT_SUBMIT_CONF="spark.scheduler.minRegisteredResourcesRatio=1.0 spark.scheduler.maxRegisteredResourcesWaitingTime=120s"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A write wall
one() { # workers case dir
  rm -rf "$3"
  local t0 t1 line
  t0=$(date +%s.%N)
  line=$(bash bench/cluster.sh submit generate "$job" --dtype bfloat16 --partitions 8 --out "$3" 2>/dev/null | tail -1)
  t1=$(date +%s.%N)
  write[$1-$2]+="$(echo "$line" | sed -E 's/.*writing ([0-9.]+) s.*/\1/') "
  wall[$1-$2]+="$(echo "$t1 - $t0" | bc) "
}
for ((r = 0; r < runs; r++)); do
  for w in 1 2; do
    bash bench/cluster.sh up "$w" >/dev/null
    one "$w" ram "$ram"
    one "$w" disk "$disk"
    bash bench/cluster.sh down >/dev/null
  done
done
printf '%-10s %-8s %14s %12s\n' case workers "writing s" "wall s"
for c in ram disk; do
  for w in 1 2; do
    printf '%-10s %-8s %14s %12s\n' "$c" "$w" "$(tr ' ' '\n' <<<"${write[$w-$c]}" | grep . | median)" \
      "$(tr ' ' '\n' <<<"${wall[$w-$c]}" | grep . | median)"
  done
done
bash bench/cluster.sh up 2 >/dev/null
rm -rf "$ram"
/usr/bin/time -f "%M" -o "$tmp/rss" bash bench/cluster.sh submit generate "$tmp/many.yaml" --out "$ram" >/dev/null 2>&1
echo "driver peak RSS (with its spark-submit JVM), 100,000 files on 2 workers: $(( $(tail -1 "$tmp/rss") / 1024 )) MiB"
