#!/usr/bin/env bash
# A Spark standalone cluster on this machine from Maven's jars (no Spark download): a master and N workers as
# JVMs of their own, whose executors are JVMs of their own too, and jobs submitted the way users submit them
# (org.apache.spark.deploy.SparkSubmit with the shaded jar, which is what spark-submit runs).
#
#   bash bench/cluster.sh up [WORKERS]        # master on 127.0.0.1:7077, WORKERS (default 2) of 1 core, 1 GiB each
#   bash bench/cluster.sh submit ARGS...      # shardinit ARGS on it, e.g. generate jobs/smoke.yaml --out /tmp/x
#                                             # (SHARDINIT_SUBMIT_CONF="k=v k2=v2": more Spark settings)
#   bash bench/cluster.sh down
#
# Without a Spark distribution the workers launch executors with Maven's classpath (SPARK_DIST_CLASSPATH), in
# Spark's testing mode (SPARK_TESTING, spark.testing, spark.test.home), as Spark's own tests run clusters.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
state="${SHARDINIT_CLUSTER_DIR:-$here/target/cluster}"
jar="$here/target/shardinit-0.1.0-SNAPSHOT.jar"
cp_file="$here/target/classpath.txt"
master="spark://127.0.0.1:7077"
export SPARK_TESTING=1 SPARK_SCALA_VERSION=2.13 SPARK_LOCAL_IP=127.0.0.1
opens=(--add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.lang.invoke=ALL-UNNAMED)
testing=(-Dspark.testing=true "-Dspark.test.home=$here")

classpath() {
  if [[ ! -f "$jar" || ! -f "$cp_file" ]]; then
    "$here/shardinit" --help >/dev/null # builds the jar and the classpath file
  fi
  echo "$jar:$(cat "$cp_file")"
}

up() {
  local workers="${1:-2}" cp
  cp="$(classpath)"
  mkdir -p "$state"
  java "${opens[@]}" "${testing[@]}" -Xmx512m -cp "$cp" org.apache.spark.deploy.master.Master \
    --host 127.0.0.1 --port 7077 --webui-port 0 >"$state/master.log" 2>&1 &
  echo $! >"$state/master.pid"
  for i in $(seq 1 "$workers"); do
    mkdir -p "$state/worker-$i"
    # executors get Spark's classes (the classpath a Spark distribution's jars/ would give) from here
    SPARK_DIST_CLASSPATH="$cp" java "${opens[@]}" "${testing[@]}" -Xmx512m -cp "$cp" org.apache.spark.deploy.worker.Worker \
      --host 127.0.0.1 --cores 1 --memory 1g --webui-port 0 --work-dir "$state/worker-$i" "$master" \
      >"$state/worker-$i.log" 2>&1 &
    echo $! >"$state/worker-$i.pid"
  done
  # wait until the master has registered every worker (its log says so), at most a minute
  for _ in $(seq 1 120); do
    if [[ "$(grep -c 'Registering worker' "$state/master.log" 2>/dev/null || true)" -ge "$workers" ]]; then
      echo "cluster up: $master, $workers worker(s)"
      return 0
    fi
    sleep 0.5
  done
  echo "cluster.sh: the workers did not register; see $state/*.log" >&2
  return 1
}

submit() {
  java "${opens[@]}" -cp "$(classpath)" org.apache.spark.deploy.SparkSubmit --master "$master" \
    --class dev.shardinit.cli.Main \
    --conf "spark.driver.extraJavaOptions=${opens[*]}" --conf "spark.executor.extraJavaOptions=${opens[*]}" \
    --conf spark.executor.memory=768m --conf spark.executor.cores=1 \
    ${SHARDINIT_SUBMIT_CONF:+$(for c in $SHARDINIT_SUBMIT_CONF; do printf -- '--conf %s ' "$c"; done)} \
    "$jar" "$@"
}

down() {
  for f in "$state"/*.pid; do
    [[ -f "$f" ]] || continue
    kill "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
}

cmd="${1:-}"
shift || true
case "$cmd" in
  up) up "$@" ;;
  submit) submit "$@" ;;
  down) down ;;
  *) echo "usage: bash bench/cluster.sh up [WORKERS] | submit ARGS... | down" >&2; exit 2 ;;
esac
