#!/usr/bin/env bash
# Builds the JMH module (bench/jmh) and runs its benchmarks; every argument is passed to JMH.
#
#   bash bench/run-jmh.sh                      # all benchmarks, default forks/iterations (long: many minutes)
#   bash bench/run-jmh.sh FillBenchmark -p dtype=float32
#   bash bench/run-jmh.sh -l                   # list the benchmarks
#   bash bench/run-jmh.sh --quick [JMH opts]   # a few-second smoke run: FillBenchmark, normal, float32
#
# FillBenchmark and NormalAlgorithmsBenchmark scores are values per second on one thread (ops/s with
# @OperationsPerInvocation = values per invocation); OrthogonalBenchmark reports ms per tensor.
set -euo pipefail

cd "$(dirname "$0")/.."

mvn -q -B -f bench/jmh/pom.xml package

jar=bench/jmh/target/benchmarks.jar
if [[ "${1:-}" == "--quick" ]]; then
  shift
  exec java -jar "$jar" -f 1 -wi 1 -i 1 -w 200ms -r 200ms -p dtype=float32 -p sampler=normal "$@" FillBenchmark
fi
exec java -jar "$jar" "$@"
