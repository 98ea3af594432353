#!/usr/bin/env bash
# A real Apache Kafka (KRaft) on 127.0.0.1, from Apache Kafka's own artifacts
# on Maven Central: no Docker, no package. One single-node broker for the
# tests, and on demand a three-node cluster for replication and failover.
#
#   scripts/kafka/kafka.sh start   fetch the jars (cached in Maven's local
#                                  repository), format storage once, start,
#                                  and wait until the broker answers
#   scripts/kafka/kafka.sh stop    stop the broker this script started
#   scripts/kafka/kafka.sh status
#
#   scripts/kafka/kafka.sh cluster start      three nodes, each broker and
#                                             controller; waits until a probe
#                                             topic (__millrace_probe, RF 3)
#                                             has all replicas in sync
#   scripts/kafka/kafka.sh cluster stop       stop the nodes this script started
#   scripts/kafka/kafka.sh cluster status     one line a node; exit 1 unless
#                                             all three run
#   scripts/kafka/kafka.sh cluster kill <i>   kill -9 node i (1..3): failover
#   scripts/kafka/kafka.sh cluster restart <i>  start node i again on its data,
#                                             wait until it is back in sync
#   scripts/kafka/kafka.sh cluster wipe       delete the cluster's data (stopped
#                                             cluster only)
#
# Cluster node i listens on KAFKA_CLUSTER_PORT + 100*(i-1) (brokers 19092,
# 19192, 19292) with its controller one port above (19093, 19193, 19293);
# bootstrap with 127.0.0.1:19092,127.0.0.1:19192,127.0.0.1:19292. Topics
# default to replication factor 3 with min.insync.replicas=2, so acks=all
# survives one node down. Data, configs, pids and node-i.log files live in
# $KAFKA_HOME/cluster; changing KAFKA_CLUSTER_PORT needs a wipe first.
#
# Environment: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093),
# KAFKA_CLUSTER_PORT (19092), KAFKA_HOME (.kafka in the repository: jars,
# data, logs, pids).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HOME_DIR="${KAFKA_HOME:-$ROOT/.kafka}"
PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
LIB="$HOME_DIR/lib"
LOG_CONFIG="$ROOT/scripts/kafka/log4j2.properties"
DATA="$HOME_DIR/data-$PORT"
CONFIG="$HOME_DIR/server-$PORT.properties"
PID_FILE="$HOME_DIR/kafka-$PORT.pid"
LOG="$HOME_DIR/kafka-$PORT.log"

running() {
  [[ -f "$PID_FILE" ]] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null
}

answers() {
  (exec 3<>"/dev/tcp/127.0.0.1/${1:-$PORT}") 2>/dev/null
}

fetch() {
  if compgen -G "$LIB/kafka_2.13-*.jar" >/dev/null &&
    compgen -G "$LIB/log4j-slf4j-impl-*.jar" >/dev/null; then return; fi
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
group.min.session.timeout.ms=500
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
    # A broker started elsewhere (another checkout's kafka.sh, or a service)
    # is used as it is, if it speaks Kafka; stop leaves it alone.
    fetch
    if java -cp "$LIB/*" org.apache.kafka.tools.BrokerApiVersionsCommand \
      --bootstrap-server "127.0.0.1:$PORT" >/dev/null 2>&1; then
      echo "kafka: a Kafka broker not started here already answers on 127.0.0.1:$PORT; using it"
      return
    fi
    echo "kafka: something else (not a Kafka broker) already listens on 127.0.0.1:$PORT" >&2
    exit 1
  fi
  fetch
  configure
  nohup java -Xms256m -Xmx768m -Dlog4j2.configurationFile="$LOG_CONFIG" -cp "$LIB/*" kafka.Kafka "$CONFIG" >"$LOG" 2>&1 &
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

# --- the three-node cluster ------------------------------------------------

CLUSTER_PORT="${KAFKA_CLUSTER_PORT:-19092}"
CLUSTER_DIR="$HOME_DIR/cluster"
NODES=(1 2 3)

node_port() { echo $((CLUSTER_PORT + 100 * ($1 - 1))); }
node_controller_port() { echo $(($(node_port "$1") + 1)); }
node_pid_file() { echo "$CLUSTER_DIR/node-$1.pid"; }
node_log() { echo "$CLUSTER_DIR/node-$1.log"; }

bootstrap() {
  local i servers=()
  for i in "${NODES[@]}"; do servers+=("127.0.0.1:$(node_port "$i")"); done
  (IFS=,; echo "${servers[*]}")
}

node_running() {
  local pid_file
  pid_file="$(node_pid_file "$1")"
  [[ -f "$pid_file" ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null
}

node_valid() {
  [[ "${1:-}" =~ ^[123]$ ]] || { echo "kafka cluster: node must be 1, 2 or 3" >&2; exit 2; }
}

# One cluster id for all nodes, and the port base the data was formatted
# for: the controllers' addresses are part of the quorum, so the nodes
# cannot move to other ports without a wipe.
cluster_id() {
  mkdir -p "$CLUSTER_DIR"
  if [[ -f "$CLUSTER_DIR/port" && "$(cat "$CLUSTER_DIR/port")" != "$CLUSTER_PORT" ]]; then
    echo "kafka cluster: data was formatted for port base $(cat "$CLUSTER_DIR/port"), not $CLUSTER_PORT; run 'cluster wipe' first" >&2
    exit 1
  fi
  if [[ ! -f "$CLUSTER_DIR/cluster-id" ]]; then
    java -cp "$LIB/*" kafka.tools.StorageTool random-uuid 2>/dev/null >"$CLUSTER_DIR/cluster-id"
    echo "$CLUSTER_PORT" >"$CLUSTER_DIR/port"
  fi
  cat "$CLUSTER_DIR/cluster-id"
}

configure_node() {
  local i="$1" id="$2" voters="" n
  local data="$CLUSTER_DIR/node-$i" config="$CLUSTER_DIR/node-$i.properties"
  for n in "${NODES[@]}"; do voters+="${voters:+,}$n@127.0.0.1:$(node_controller_port "$n")"; done
  mkdir -p "$data"
  cat >"$config" <<EOF
process.roles=broker,controller
node.id=$i
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$(node_port "$i"),CONTROLLER://127.0.0.1:$(node_controller_port "$i")
advertised.listeners=PLAINTEXT://127.0.0.1:$(node_port "$i")
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$data
num.partitions=8
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=500
EOF
  if [[ ! -f "$data/meta.properties" ]]; then
    java -cp "$LIB/*" kafka.tools.StorageTool format --cluster-id "$id" \
      --config "$config" >"$CLUSTER_DIR/format-$i.log" 2>&1 ||
      { cat "$CLUSTER_DIR/format-$i.log" >&2; exit 1; }
  fi
}

launch_node() {
  local i="$1" log
  log="$(node_log "$i")"
  echo "--- $(date -u +%FT%TZ) starting node $i" >>"$log"
  nohup java -Xms128m -Xmx512m -Dlog4j2.configurationFile="$LOG_CONFIG" -cp "$LIB/*" kafka.Kafka "$CLUSTER_DIR/node-$i.properties" \
    >>"$log" 2>&1 &
  echo $! >"$(node_pid_file "$i")"
}

cluster_fail() {
  local i
  echo "kafka cluster: $1 (running nodes are left for inspection; 'cluster stop' ends them)" >&2
  for i in "${NODES[@]}"; do
    echo "--- last lines of $(node_log "$i"), without SLF4J's notices:" >&2
    grep -v '^SLF4J' "$(node_log "$i")" 2>/dev/null | tail -15 >&2 || true
  done
  exit 1
}

topics() {
  timeout 30 java -cp "$LIB/*" org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "$(bootstrap)" "$@" 2>/dev/null
}

# Usable means more than listening: the brokers have registered with the
# controller quorum, and a replication-factor-3 topic has every replica in
# sync (so a restarted node has caught up).
cluster_ready() {
  topics --create --if-not-exists --topic __millrace_probe --partitions 1 \
    --replication-factor 3 >/dev/null || return 1
  topics --describe --topic __millrace_probe | grep -Eq 'Isr: [123],[123],[123]([^0-9,]|$)'
}

wait_ready() {
  local i up deadline=$((SECONDS + 120))
  while ((SECONDS < deadline)); do
    up=0
    for i in "${NODES[@]}"; do
      node_running "$i" || cluster_fail "node $i exited"
      if answers "$(node_port "$i")"; then up=$((up + 1)); fi
    done
    if ((up == ${#NODES[@]})) && cluster_ready; then return; fi
    sleep 1
  done
  cluster_fail "not usable after 120 s"
}

cluster_start() {
  local i id started=0
  fetch
  id="$(cluster_id)"
  for i in "${NODES[@]}"; do
    if node_running "$i"; then continue; fi
    if answers "$(node_port "$i")" || answers "$(node_controller_port "$i")"; then
      echo "kafka cluster: something else already listens on node $i's ports ($(node_port "$i")/$(node_controller_port "$i"))" >&2
      exit 1
    fi
  done
  for i in "${NODES[@]}"; do
    if node_running "$i"; then continue; fi
    configure_node "$i" "$id"
    launch_node "$i"
    started=$((started + 1))
  done
  wait_ready
  echo "kafka cluster: up ($started node(s) started), bootstrap $(bootstrap), logs $CLUSTER_DIR/node-*.log"
}

cluster_restart() {
  local i="$1" id
  if node_running "$i"; then
    echo "kafka cluster: node $i already running (pid $(cat "$(node_pid_file "$i")"))"
    return
  fi
  [[ -f "$CLUSTER_DIR/node-$i/meta.properties" ]] ||
    { echo "kafka cluster: node $i has no data; use 'cluster start'" >&2; exit 1; }
  id="$(cluster_id)"
  configure_node "$i" "$id"
  launch_node "$i"
  wait_ready
  echo "kafka cluster: node $i back in sync on 127.0.0.1:$(node_port "$i") (pid $(cat "$(node_pid_file "$i")"))"
}

cluster_kill() {
  local i="$1" pid_file
  pid_file="$(node_pid_file "$i")"
  if ! node_running "$i"; then
    echo "kafka cluster: node $i not running"
    rm -f "$pid_file"
    return
  fi
  kill -9 "$(cat "$pid_file")"
  rm -f "$pid_file"
  echo "kafka cluster: node $i killed"
}

# TERM all nodes at once, so they shut down while the quorum still stands,
# then kill -9 whatever has not exited after 30 s.
cluster_stop() {
  local i pid alive pids=()
  for i in "${NODES[@]}"; do
    if node_running "$i"; then pids+=("$(cat "$(node_pid_file "$i")")"); fi
  done
  if ((${#pids[@]} == 0)); then
    echo "kafka cluster: not running (started by this script)"
  else
    kill "${pids[@]}" 2>/dev/null || true
    for _ in $(seq 1 60); do
      alive=0
      for pid in "${pids[@]}"; do if kill -0 "$pid" 2>/dev/null; then alive=1; fi; done
      ((alive)) || break
      sleep 0.5
    done
    kill -9 "${pids[@]}" 2>/dev/null || true
    echo "kafka cluster: stopped"
  fi
  for i in "${NODES[@]}"; do rm -f "$(node_pid_file "$i")"; done
}

cluster_status() {
  local i all=0
  for i in "${NODES[@]}"; do
    if node_running "$i"; then
      echo "kafka cluster: node $i running on 127.0.0.1:$(node_port "$i") (pid $(cat "$(node_pid_file "$i")"))"
    else
      echo "kafka cluster: node $i stopped"
      all=1
    fi
  done
  return "$all"
}

cluster_wipe() {
  local i
  for i in "${NODES[@]}"; do
    if node_running "$i"; then echo "kafka cluster: node $i is running; stop it first" >&2; exit 1; fi
  done
  for i in "${NODES[@]}"; do rm -rf "$CLUSTER_DIR/node-$i" "$CLUSTER_DIR/node-$i.properties"; done
  rm -f "$CLUSTER_DIR/cluster-id" "$CLUSTER_DIR/port" "$CLUSTER_DIR"/format-*.log
  echo "kafka cluster: data wiped (logs kept)"
}

cluster() {
  case "${1:-}" in
    start) cluster_start ;;
    stop) cluster_stop ;;
    status) cluster_status ;;
    kill) node_valid "${2:-}"; cluster_kill "$2" ;;
    restart) node_valid "${2:-}"; cluster_restart "$2" ;;
    wipe) cluster_wipe ;;
    *)
      echo "usage: $0 cluster start|stop|status|wipe|kill <i>|restart <i>" >&2
      exit 2
      ;;
  esac
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo "kafka: running (pid $(cat "$PID_FILE"))"; else echo "kafka: stopped"; exit 1; fi ;;
  cluster) shift; cluster "$@" ;;
  *)
    echo "usage: $0 start|stop|status, or $0 cluster start|stop|status|wipe|kill <i>|restart <i>" >&2
    exit 2
    ;;
esac
