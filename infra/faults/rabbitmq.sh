#!/usr/bin/env bash
# A private RabbitMQ node for the fault suite, so it can be stopped and started without touching the machine's node.
# Its own node name, ports, data and log folders, config, enabled-plugins and Erlang cookie (all under DIR); it
# listens on 127.0.0.1 only. Runs as the `rabbitmq` user when started by root (as the Debian package does).
#
#   infra/faults/rabbitmq.sh start DIR AMQP_PORT DIST_PORT   # returns once the node answers
#   infra/faults/rabbitmq.sh stop DIR                        # stops only this node (by its name); data kept
#   infra/faults/rabbitmq.sh kill DIR                        # kill -9 the node's VM (a crash); data kept
#   infra/faults/rabbitmq.sh join DIR NODE                   # make this running node a member of NODE's cluster
#   infra/faults/rabbitmq.sh ctl DIR ARGS...                 # rabbitmqctl ARGS against this node
#   infra/faults/rabbitmq.sh destroy DIR                     # stop, then remove DIR
#
# The scale suite runs cluster nodes on its test hosts (network namespaces). On a node's first start, RMQ_NETNS names
# its namespace and RMQ_IP its address there: the node is then pixscale@RMQ_IP (long names), any user may connect
# from other hosts, RMQ_COOKIE is the cluster's shared Erlang cookie and RMQ_EXTRA_CONF lines join its config.
set -euo pipefail

cmd=${1:?usage: rabbitmq.sh start|stop|kill|join|destroy DIR [AMQP_PORT DIST_PORT | NODE]}
dir=${2:?DIR required}
RMQ_BIN=${RMQ_BIN:-/usr/lib/rabbitmq/bin}

# Runs "$@" with everything the node and rabbitmqctl need (from DIR/node.env, written by start): in the node's
# namespace when it has one, as the `rabbitmq` user when run by root.
node_run() {
  # shellcheck disable=SC1091
  . "$dir/node.env"
  local ip=${IP:-127.0.0.1} prefix=()
  [ -n "${NETNS:-}" ] && prefix+=(ip netns exec "$NETNS")
  if [ "$(id -u)" = 0 ] && id -u rabbitmq >/dev/null 2>&1; then prefix+=(runuser -u rabbitmq --); fi
  "${prefix[@]}" env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$dir" LANG=C.UTF-8 \
    RABBITMQ_NODENAME="$NODENAME" RABBITMQ_USE_LONGNAME="${LONGNAME:-false}" \
    RABBITMQ_NODE_IP_ADDRESS="$ip" RABBITMQ_NODE_PORT="$AMQP_PORT" \
    RABBITMQ_DIST_PORT="$DIST_PORT" RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" \
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" RABBITMQ_PID_FILE="$dir/node.pid" \
    RABBITMQ_PLUGINS_EXPAND_DIR="$dir/plugins-expand" ERL_EPMD_ADDRESS="$ip" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="${ERL_ARGS:-}" \
    ERL_FLAGS="-kernel inet_dist_use_interface {${ip//./,}}" \
    "$@"
}

ctl() { node_run "$RMQ_BIN/rabbitmqctl" -q -n "$NODENAME" "$@"; }

case "$cmd" in
  start)
    amqp_port=${3:?AMQP_PORT required}
    dist_port=${4:?DIST_PORT required}
    mkdir -p "$dir/mnesia" "$dir/log" "$dir/plugins-expand"
    if [ ! -f "$dir/node.env" ]; then
      if [ -n "${RMQ_IP:-}" ]; then
        # Schedulers that sleep instead of spinning: three nodes share two cores with everything else.
        printf 'NODENAME=pixscale@%s\nAMQP_PORT=%s\nDIST_PORT=%s\nNETNS=%s\nIP=%s\nLONGNAME=true\nERL_ARGS="%s"\n' \
          "$RMQ_IP" "$amqp_port" "$dist_port" "${RMQ_NETNS:-}" "$RMQ_IP" '+sbwt none +sbwtdcpu none +sbwtdio none' \
          >"$dir/node.env"
        printf 'listeners.tcp.1 = %s:%s\nloopback_users = none\n%s\n' "$RMQ_IP" "$amqp_port" "${RMQ_EXTRA_CONF:-}" \
          >"$dir/rabbitmq.conf"
      else
        printf 'NODENAME=pixfault-%s@localhost\nAMQP_PORT=%s\nDIST_PORT=%s\n' "$amqp_port" "$amqp_port" "$dist_port" >"$dir/node.env"
        # Not /etc/rabbitmq/rabbitmq.conf: it binds the machine's port 5672.
        printf 'listeners.tcp.1 = 127.0.0.1:%s\nloopback_users.guest = true\n' "$amqp_port" >"$dir/rabbitmq.conf"
      fi
      if [ -n "${RMQ_COOKIE:-}" ]; then
        printf '%s' "$RMQ_COOKIE" >"$dir/.erlang.cookie"
        chmod 400 "$dir/.erlang.cookie"
      fi
      : >"$dir/rabbitmq-env.conf"
      echo '[].' >"$dir/enabled_plugins"
    fi
    if [ "$(id -u)" = 0 ] && id -u rabbitmq >/dev/null 2>&1; then chown -R rabbitmq:rabbitmq "$dir"; fi
    # A node killed with -9 leaves its pid file: the wait below would take that dead pid for this start's.
    rm -f "$dir/node.pid"
    node_run "$RMQ_BIN/rabbitmq-server" -detached
    # -detached returns before the node has even registered with epmd: wait for it (a node that dies while
    # booting, e.g. on a port in use, leaves its pid file behind with no process), then for its boot to finish.
    . "$dir/node.env"
    for _ in $(seq 1 120); do
      if ctl ping >/dev/null 2>&1; then break; fi
      pid=$(cat "$dir/node.pid" 2>/dev/null || true)
      if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
        echo "rabbitmq node in $dir exited while starting; see $dir/log" >&2
        exit 1
      fi
      sleep 0.5
    done
    ctl await_startup --timeout 60
    ;;
  stop)
    [ -f "$dir/node.env" ] || exit 0
    . "$dir/node.env"
    # `stop` waits for the node's process to end (its pid file); a node that is not running is not an error.
    ctl stop "$dir/node.pid" || true
    ;;
  kill)
    pid=$(cat "$dir/node.pid" 2>/dev/null || true)
    [ -n "$pid" ] || exit 0
    kill -9 "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    ;;
  join)
    seed=${3:?NODE required}
    . "$dir/node.env"
    ctl stop_app
    ctl join_cluster "$seed"
    ctl start_app
    ctl await_startup --timeout 60
    ;;
  ctl)
    . "$dir/node.env"
    ctl "${@:3}"
    ;;
  destroy)
    "$0" stop "$dir"
    rm -rf "$dir"
    ;;
  *)
    echo "unknown command $cmd" >&2
    exit 2
    ;;
esac
