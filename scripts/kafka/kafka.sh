#!/usr/bin/env bash
# A real Apache Kafka broker (KRaft, single node) on 127.0.0.1, from Apache
# Kafka's own artifacts on Maven Central: no Docker, no package.
#
#   scripts/kafka/kafka.sh start   fetch the jars (cached in Maven's local
#                                  repository), format storage once, start,
#                                  and wait until the broker answers
#   scripts/kafka/kafka.sh stop    stop the broker this script started
#   scripts/kafka/kafka.sh status
#
# Environment: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093),
# KAFKA_HOME (.kafka in the repository: jars, data, log, pid).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HOME_DIR="${KAFKA_HOME:-$ROOT/.kafka}"
PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
LIB="$HOME_DIR/lib"
DATA="$HOME_DIR/data-$PORT"
CONFIG="$HOME_DIR/server-$PORT.properties"
PID_FILE="$HOME_DIR/kafka-$PORT.pid"
LOG="$HOME_DIR/kafka-$PORT.log"

running() {
  [[ -f "$PID_FILE" ]] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null
}

answers() {
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null
}

fetch() {
  if compgen -G "$LIB/kafka_2.13-*.jar" >/dev/null; then return; fi
  echo "kafka: fetching Apache Kafka from Maven Central into $LIB"
  mkdir -p "$LIB"
  mvn -q -f "$ROOT/scripts/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$LIB" -DincludeScope=runtime
}

configure() {
  mkdir -p "$DATA"
  cat >"$CONFIG" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DATA
num.partitions=8
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
  if [[ ! -f "$DATA/meta.properties" ]]; then
    java -cp "$LIB/*" kafka.tools.StorageTool format \
      --cluster-id "$(java -cp "$LIB/*" kafka.tools.StorageTool random-uuid 2>/dev/null)" \
      --config "$CONFIG" >"$HOME_DIR/format.log" 2>&1 ||
      { cat "$HOME_DIR/format.log" >&2; exit 1; }
  fi
}

start() {
  if running; then
    echo "kafka: already running on 127.0.0.1:$PORT (pid $(cat "$PID_FILE"))"
    return
  fi
  if answers; then
    echo "kafka: something else already listens on 127.0.0.1:$PORT" >&2
    exit 1
  fi
  fetch
  configure
  nohup java -Xms256m -Xmx768m -cp "$LIB/*" kafka.Kafka "$CONFIG" >"$LOG" 2>&1 &
  echo $! >"$PID_FILE"
  for _ in $(seq 1 120); do
    if answers; then
      echo "kafka: broker up on 127.0.0.1:$PORT (pid $(cat "$PID_FILE"), log $LOG)"
      return
    fi
    if ! running; then
      echo "kafka: the broker exited; last lines of $LOG:" >&2
      tail -20 "$LOG" >&2
      exit 1
    fi
    sleep 0.5
  done
  echo "kafka: no answer on 127.0.0.1:$PORT after 60 s; see $LOG" >&2
  exit 1
}

stop() {
  if ! running; then
    echo "kafka: not running (started by this script)"
    rm -f "$PID_FILE"
    return
  fi
  local pid
  pid="$(cat "$PID_FILE")"
  kill "$pid"
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$PID_FILE"
  echo "kafka: stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo "kafka: running (pid $(cat "$PID_FILE"))"; else echo "kafka: stopped"; exit 1; fi ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
