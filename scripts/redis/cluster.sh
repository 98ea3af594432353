#!/usr/bin/env bash
# A real Redis Cluster on 127.0.0.1 for the tests, from the machine's own
# redis-server and redis-cli (Redis 7.0): no Docker. Six nodes, three
# primaries each with one replica, so killing a primary makes its replica
# take over its slots, the way a production cluster fails over.
#
#   scripts/redis/cluster.sh start        start the six nodes, create the
#                                         cluster, and wait until every node
#                                         sees all 16384 slots served and
#                                         every replica is in sync; if it is
#                                         already up, say so (a node killed
#                                         since is started again first)
#   scripts/redis/cluster.sh stop         shut every node down and delete the
#                                         cluster's state: the next start is
#                                         a fresh, empty cluster
#   scripts/redis/cluster.sh kill <i>     kill -9 node i (1..6): failover
#   scripts/redis/cluster.sh restart <i>  start node i again on its own data
#                                         and nodes.conf; it rejoins the
#                                         cluster (as a replica, if it was a
#                                         primary that failed over). Waits
#                                         until it answers PING, not until
#                                         it is in sync: 'start' waits for that
#   scripts/redis/cluster.sh status       'cluster nodes' from a live node
#   scripts/redis/cluster.sh primaries    the current primaries' ports, one a
#                                         line
#   scripts/redis/cluster.sh port <i>     node i's port
#
# Node i listens on 127.0.0.1:BASE+i (7001..7006) and, as every cluster node
# does, on BASE+i+10000 for the cluster bus. Its directory
# .redis-cluster/node-i holds redis.conf, nodes.conf, the AOF, redis.pid and
# redis.log. The state directory remembers the base it was created with, and
# every command uses it until 'stop'.
#
# Environment: MILLRACE_REDIS_CLUSTER_PORT_BASE (7000); MILLRACE_REDIS_CLUSTER_DIR
# (.redis-cluster in the repository), so two clusters (on two bases) can run
# side by side.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
STATE="${MILLRACE_REDIS_CLUSTER_DIR:-$ROOT/.redis-cluster}"
NODES=(1 2 3 4 5 6)
# Bounds the wait for a healthy cluster, in seconds. Creating six empty nodes
# takes some 3 s, a failover 3-5 s (cluster-node-timeout 2000).
WAIT=30
# Why the last health check failed, for the message when the wait runs out.
UNHEALTHY=""

REQUESTED_BASE="${MILLRACE_REDIS_CLUSTER_PORT_BASE:-7000}"
if [[ ! "$REQUESTED_BASE" =~ ^[0-9]+$ ]] || ((REQUESTED_BASE < 1 || REQUESTED_BASE + 6 + 10000 > 65535)); then
  echo "redis cluster: MILLRACE_REDIS_CLUSTER_PORT_BASE must be a number from 1 to 55529 (nodes at BASE+1..BASE+6, buses 10000 above)" >&2
  exit 2
fi
# A cluster's nodes know each other by address (nodes.conf), so it cannot move
# to other ports: the recorded base wins, and asking for another one is an
# error, except for stop, which always stops what was started.
BASE="$REQUESTED_BASE"
if [[ -f "$STATE/port-base" ]]; then
  BASE="$(cat "$STATE/port-base")"
  if [[ -n "${MILLRACE_REDIS_CLUSTER_PORT_BASE:-}" && "$REQUESTED_BASE" != "$BASE" && "${1:-}" != stop ]]; then
    echo "redis cluster: the cluster in $STATE was created with port base $BASE, not $REQUESTED_BASE; run 'stop' first" >&2
    exit 1
  fi
fi

node_port() { echo $((BASE + $1)); }
node_dir() { echo "$STATE/node-$1"; }
node_log() { echo "$STATE/node-$1/redis.log"; }

node_valid() {
  [[ "${1:-}" =~ ^[1-6]$ ]] || { echo "redis cluster: node must be 1..6" >&2; exit 2; }
}

# redis-cli waits forever on a node that accepts but does not answer (one
# stopped with SIGSTOP, say); no question here should take that long.
cli() {
  local port="$1"
  shift
  timeout 5 redis-cli -h 127.0.0.1 -p "$port" "$@"
}

listens() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# The pid of node i's redis-server, if it runs. A node killed -9 leaves its
# pidfile behind, and the pid may since belong to another process: it counts
# only if that process is a redis-server on node i's port (Redis sets its
# process title to "redis-server 127.0.0.1:PORT [cluster]").
node_pid() {
  local pid_file pid
  pid_file="$(node_dir "$1")/redis.pid"
  [[ -f "$pid_file" ]] || return 1
  pid="$(cat "$pid_file" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  ps -o args= -p "$pid" 2>/dev/null | grep -q "^redis-server .*:$(node_port "$1")\b" || return 1
  echo "$pid"
}

node_running() { node_pid "$1" >/dev/null; }

# A process that exited but is not yet reaped (a daemonized node's parent is
# init, which here may take a second to reap it) is gone for our purposes:
# it holds no ports any more.
alive() {
  local stat
  stat="$(ps -o stat= -p "$1" 2>/dev/null)" || return 1
  [[ -n "$stat" && "$stat" != Z* ]]
}

# PING answered with PONG: a node still loading its AOF answers -LOADING.
node_answers() {
  [[ "$(cli "$(node_port "$1")" ping 2>/dev/null)" == PONG ]]
}

configure_node() {
  local i="$1" dir
  dir="$(node_dir "$i")"
  mkdir -p "$dir"
  # cluster-node-timeout 2000: a primary is taken as failed after 2 s without
  # an answer, and its replica, after an election delay of 0.5-1 s, takes
  # over: some 3-5 s from a kill -9 rather than the default 15 s and more. appendonly with everysec is what a durable deployment would run:
  # a kill -9 loses at most the last second. No RDB snapshots (save ""): the
  # AOF is the data, and a snapshot's fork only adds noise to timings.
  # repl-diskless-sync-delay 0: a primary otherwise waits 5 s for more
  # replicas before it streams a full sync, which a replica created or
  # restarted here would wait out every time.
  cat >"$dir/redis.conf" <<EOF
port $(node_port "$i")
bind 127.0.0.1
daemonize yes
pidfile $dir/redis.pid
logfile $dir/redis.log
dir $dir
cluster-enabled yes
cluster-config-file nodes.conf
cluster-node-timeout 2000
appendonly yes
appendfsync everysec
save ""
repl-diskless-sync-delay 0
EOF
}

launch_node() {
  local i="$1" log
  log="$(node_log "$i")"
  mkdir -p "$(node_dir "$i")"
  echo "--- $(date -u +%FT%TZ) cluster.sh starting node $i" >>"$log"
  # With daemonize yes, redis-server returns once it has forked; a bad
  # configuration fails here, before that, on stderr.
  redis-server "$(node_dir "$i")/redis.conf" >>"$log" 2>&1 ||
    fail "redis-server for node $i did not start" "$i"
}

# fail MESSAGE [NODE...]: say what went wrong, with the last lines of the
# logs of the nodes named (all six if none are).
fail() {
  local i message="$1" nodes=("${@:2}")
  ((${#nodes[@]} > 0)) || nodes=("${NODES[@]}")
  echo "redis cluster: $message (running nodes are left for inspection; 'stop' ends them)" >&2
  if [[ -f "$STATE/create.log" && ! -f "$STATE/created" ]]; then
    echo "--- last lines of $STATE/create.log:" >&2
    tail -15 "$STATE/create.log" >&2 || true
  fi
  for i in "${nodes[@]}"; do
    if [[ -f "$(node_log "$i")" ]]; then
      echo "--- last lines of $(node_log "$i"):" >&2
      tail -10 "$(node_log "$i")" >&2 || true
    fi
  done
  exit 1
}

# Nothing else may hold a node's port or its bus port (BASE+i+10000): that
# would be another cluster, or a Redis not started here, which this script
# must not take over.
check_ports() {
  local i port
  for i in "$@"; do
    port="$(node_port "$i")"
    if listens "$port" || listens $((port + 10000)); then
      echo "redis cluster: something not started by this script already listens on 127.0.0.1:$port or :$((port + 10000)) (node $i)" >&2
      exit 1
    fi
  done
}

wait_answers() {
  local i deadline=$((SECONDS + WAIT))
  for i in "$@"; do
    until node_answers "$i"; do
      ((SECONDS < deadline)) || fail "node $i did not answer PING within $WAIT s" "$i"
      sleep 0.2
    done
  done
}

field() {
  # cluster info and info replication end their lines with \r\n.
  tr -d '\r' | sed -n "s/^$1://p"
}

# Healthy means usable by a test that is about to kill a node: every node
# runs and sees the cluster as ok, with all 16384 slots assigned and none
# failing and all six nodes known; every node's view of the others has
# settled to three primaries and three replicas, none suspected down (just
# after a change, gossip takes a moment to reach everyone); and each replica
# has its link to its primary up. The last matters: a replica that has never
# synced will not stand for election, so a primary killed before that would
# take its slots down for good.
healthy() {
  local i port info repl primaries=0 replicas=0
  for i in "${NODES[@]}"; do
    port="$(node_port "$i")"
    UNHEALTHY="node $i ($port) is not running"
    node_running "$i" || return 1
    UNHEALTHY="node $i ($port) does not answer"
    info="$(cli "$port" cluster info 2>/dev/null)" || return 1
    repl="$(cli "$port" info replication 2>/dev/null)" || return 1
    UNHEALTHY="node $i ($port) says: $(tr -d '\r' <<<"$info" |
      grep -E '^cluster_(state|slots_assigned|slots_ok|known_nodes):' | paste -sd' ' -)"
    [[ "$(field cluster_state <<<"$info")" == ok ]] || return 1
    [[ "$(field cluster_slots_assigned <<<"$info")" == 16384 ]] || return 1
    [[ "$(field cluster_slots_ok <<<"$info")" == 16384 ]] || return 1
    [[ "$(field cluster_known_nodes <<<"$info")" == 6 ]] || return 1
    UNHEALTHY="node $i ($port) does not yet see three healthy primaries and three replicas in 'cluster nodes'"
    cli "$port" cluster nodes 2>/dev/null | settled || return 1
    case "$(field role <<<"$repl")" in
      master) primaries=$((primaries + 1)) ;;
      slave)
        UNHEALTHY="node $i ($port), a replica, has its link to its primary $(field master_link_status <<<"$repl")"
        [[ "$(field master_link_status <<<"$repl")" == up ]] || return 1
        replicas=$((replicas + 1))
        ;;
      *) UNHEALTHY="node $i ($port) has no role" && return 1 ;;
    esac
  done
  UNHEALTHY="$primaries primaries and $replicas replicas, not 3 and 3"
  ((primaries == 3 && replicas == 3))
}

# One node's 'cluster nodes' on stdin: three primaries, three replicas, and
# no node failed, suspected down, still in handshake or without address.
settled() {
  awk '
    $3 ~ /(^|,)(fail|fail\?|handshake|noaddr)(,|$)/ { bad = 1 }
    $3 ~ /(^|,)master(,|$)/ { m++ }
    $3 ~ /(^|,)slave(,|$)/ { s++ }
    END { exit !(!bad && m == 3 && s == 3) }
  '
}

wait_healthy() {
  local i deadline=$((SECONDS + WAIT))
  until healthy; do
    for i in "${NODES[@]}"; do
      node_running "$i" || fail "node $i is not running" "$i"
    done
    ((SECONDS < deadline)) || fail "the cluster is not healthy after $WAIT s: $UNHEALTHY"
    sleep 0.5
  done
}

ports_list() {
  local i
  for i in "${NODES[@]}"; do echo "127.0.0.1:$(node_port "$i")"; done
}

start() {
  local i missing=()
  if [[ -f "$STATE/created" ]]; then
    # The cluster exists: start any node that is down on its own nodes.conf,
    # and wait until all is well again.
    for i in "${NODES[@]}"; do
      node_running "$i" || missing+=("$i")
    done
    if ((${#missing[@]} == 0)) && healthy; then
      echo "redis cluster: already up on $(ports_list | paste -sd, -)"
      return
    fi
    if ((${#missing[@]} > 0)); then
      check_ports "${missing[@]}"
      for i in "${missing[@]}"; do launch_node "$i"; done
      wait_answers "${missing[@]}"
    fi
    wait_healthy
    echo "redis cluster: up on $(ports_list | paste -sd, -) (${#missing[@]} node(s) started again)"
    return
  fi

  # No cluster, or one whose creation did not finish: begin afresh.
  if [[ -d "$STATE" ]]; then stop_nodes || true; rm -rf "$STATE"; fi
  check_ports "${NODES[@]}"
  mkdir -p "$STATE"
  echo "$BASE" >"$STATE/port-base"
  for i in "${NODES[@]}"; do
    configure_node "$i"
    launch_node "$i"
  done
  wait_answers "${NODES[@]}"
  # redis-cli makes the first three nodes primaries and the last three
  # their replicas (which replicates which is its choice: see 'status').
  # shellcheck disable=SC2046
  redis-cli --cluster create $(ports_list) --cluster-replicas 1 --cluster-yes \
    >"$STATE/create.log" 2>&1 || fail "redis-cli --cluster create failed"
  touch "$STATE/created"
  wait_healthy
  echo "redis cluster: up on $(ports_list | paste -sd, -), state in $STATE"
}

# SHUTDOWN NOSAVE NOW: no snapshot, and no waiting (up to shutdown-timeout,
# 10 s) for replicas to catch up, since the data is deleted next. Then
# kill -9 whatever has not gone within 10 s.
stop_nodes() {
  local i pid running pids=()
  for i in "${NODES[@]}"; do
    if pid="$(node_pid "$i")"; then
      pids+=("$pid")
      cli "$(node_port "$i")" shutdown nosave now >/dev/null 2>&1 || true
    fi
  done
  ((${#pids[@]} > 0)) || return 1
  for _ in $(seq 1 50); do
    running=0
    for pid in "${pids[@]}"; do if alive "$pid"; then running=1; fi; done
    ((running)) || break
    sleep 0.2
  done
  kill -9 "${pids[@]}" 2>/dev/null || true
}

stop() {
  if stop_nodes; then
    echo "redis cluster: stopped, state removed"
  else
    echo "redis cluster: not running (started by this script); state removed"
  fi
  rm -rf "$STATE"
}

kill_node() {
  local i="$1" pid
  if ! pid="$(node_pid "$i")"; then
    echo "redis cluster: node $i not running"
    return
  fi
  kill -9 "$pid"
  # Gone, and its ports free, before returning: a restart may follow at once.
  while alive "$pid"; do sleep 0.05; done
  rm -f "$(node_dir "$i")/redis.pid"
  echo "redis cluster: node $i (port $(node_port "$i"), pid $pid) killed"
}

restart_node() {
  local i="$1" pid
  if pid="$(node_pid "$i")"; then
    echo "redis cluster: node $i already running (port $(node_port "$i"), pid $pid)"
    return
  fi
  [[ -f "$STATE/created" && -f "$(node_dir "$i")/nodes.conf" ]] ||
    { echo "redis cluster: node $i has no cluster state; use 'start'" >&2; exit 1; }
  check_ports "$i"
  launch_node "$i"
  wait_answers "$i"
  echo "redis cluster: node $i answers on 127.0.0.1:$(node_port "$i") (pid $(node_pid "$i" || echo '?'))"
}

# 'cluster nodes' from a live node that sees the cluster as ok, else from any
# live node. A node just restarted may for a moment still believe what its
# nodes.conf says (that it is a primary), so a settled node is preferred.
cluster_nodes() {
  local i port nodes=""
  for i in "${NODES[@]}"; do
    node_running "$i" || continue
    port="$(node_port "$i")"
    if [[ "$(cli "$port" cluster info 2>/dev/null | field cluster_state)" == ok ]] &&
      nodes="$(cli "$port" cluster nodes 2>/dev/null)"; then
      echo "$nodes"
      return
    fi
  done
  for i in "${NODES[@]}"; do
    node_running "$i" || continue
    if nodes="$(cli "$(node_port "$i")" cluster nodes 2>/dev/null)"; then
      echo "$nodes"
      return
    fi
  done
  echo "redis cluster: no node answers" >&2
  exit 1
}

# The nodes whose flags say master and neither fail nor fail? (suspected
# down by the node asked): the ones serving their slots, as far as it knows.
# The address field is ip:port@busport (with ,hostname in some versions).
primaries() {
  cluster_nodes | awk '{
    n = split($3, flags, ",")
    master = 0; down = 0
    for (f = 1; f <= n; f++) {
      if (flags[f] == "master") master = 1
      if (flags[f] == "fail" || flags[f] == "fail?") down = 1
    }
    if (master && !down) {
      address = $2
      sub(/@.*/, "", address)
      sub(/.*:/, "", address)
      print address
    }
  }' | sort -n
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  kill) node_valid "${2:-}"; kill_node "$2" ;;
  restart) node_valid "${2:-}"; restart_node "$2" ;;
  status) cluster_nodes ;;
  primaries) primaries ;;
  port) node_valid "${2:-}"; node_port "$2" ;;
  *)
    echo "usage: $0 start|stop|status|primaries|kill <i>|restart <i>|port <i>" >&2
    exit 2
    ;;
esac
