#!/usr/bin/env bash
# The driver's side of the largest models: `shardinit plan` on the Llama 3.1 70B and 405B configs in jobs/,
# wall time and peak RSS of the whole process (JVM start included), the median of RUNS runs each.
# usage: bash bench/plan-models.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
./shardinit plan jobs/llama-3.1-70b/config.json > /dev/null # builds the jar and the class-data archive if needed
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '%-42s %10s %12s  %s\n' case "wall s" "peak MiB" plan
for c in "llama-3.1-70b" "llama-3.1-405b" "llama-3.1-405b --shard-size 8MiB" \
    "llama-3.1-405b --shard-size 8MiB --format parquet"; do
  set -- $c
  m=$1; shift
  walls=(); rss=()
  for ((r = 0; r < runs; r++)); do
    t=$({ /usr/bin/time -f '%e %M' ./shardinit plan "jobs/$m/config.json" "$@" > /tmp/shardinit-plan.$$; } 2>&1 | tail -1)
    walls+=("${t% *}"); rss+=("${t#* }")
  done
  printf '%-42s %10s %12s  %s\n' "$c" "$(printf '%s\n' "${walls[@]}" | median)" \
    "$(( $(printf '%s\n' "${rss[@]}" | median) / 1024 ))" "$(tail -1 /tmp/shardinit-plan.$$ | cut -d';' -f1)"
done
rm -f /tmp/shardinit-plan.$$
