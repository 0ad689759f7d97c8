#!/usr/bin/env bash
# A private RabbitMQ node for the fault suite, so it can be stopped and started without touching the machine's node.
# Its own node name, ports, data and log folders, config, enabled-plugins and Erlang cookie (all under DIR); it
# listens on 127.0.0.1 only. Runs as the `rabbitmq` user when started by root (as the Debian package does).
#
#   infra/faults/rabbitmq.sh start DIR AMQP_PORT DIST_PORT   # returns once the node answers
#   infra/faults/rabbitmq.sh stop DIR                        # stops only this node (by its name); data kept
#   infra/faults/rabbitmq.sh destroy DIR                     # stop, then remove DIR
set -euo pipefail

cmd=${1:?usage: rabbitmq.sh start|stop|destroy DIR [AMQP_PORT DIST_PORT]}
dir=${2:?DIR required}
RMQ_BIN=${RMQ_BIN:-/usr/lib/rabbitmq/bin}

as_owner() {
  if [ "$(id -u)" = 0 ] && id -u rabbitmq >/dev/null 2>&1; then runuser -u rabbitmq -- "$@"; else "$@"; fi
}

# Everything the node and rabbitmqctl need, from DIR/node.env (written by start).
node_env() {
  # shellcheck disable=SC1091
  . "$dir/node.env"
  env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$dir" LANG=C.UTF-8 \
    RABBITMQ_NODENAME="$NODENAME" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$AMQP_PORT" \
    RABBITMQ_DIST_PORT="$DIST_PORT" RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" \
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" RABBITMQ_PID_FILE="$dir/node.pid" \
    RABBITMQ_PLUGINS_EXPAND_DIR="$dir/plugins-expand" ERL_EPMD_ADDRESS=127.0.0.1 \
    ERL_FLAGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    "$@"
}

case "$cmd" in
  start)
    amqp_port=${3:?AMQP_PORT required}
    dist_port=${4:?DIST_PORT required}
    mkdir -p "$dir/mnesia" "$dir/log" "$dir/plugins-expand"
    if [ ! -f "$dir/node.env" ]; then
      printf 'NODENAME=pixfault-%s@localhost\nAMQP_PORT=%s\nDIST_PORT=%s\n' "$amqp_port" "$amqp_port" "$dist_port" >"$dir/node.env"
      # Not /etc/rabbitmq/rabbitmq.conf: it binds the machine's port 5672.
      printf 'listeners.tcp.1 = 127.0.0.1:%s\nloopback_users.guest = true\n' "$amqp_port" >"$dir/rabbitmq.conf"
      : >"$dir/rabbitmq-env.conf"
      echo '[].' >"$dir/enabled_plugins"
    fi
    if [ "$(id -u)" = 0 ] && id -u rabbitmq >/dev/null 2>&1; then chown -R rabbitmq:rabbitmq "$dir"; fi
    as_owner bash -c "$(declare -f node_env); dir='$dir'; node_env '$RMQ_BIN/rabbitmq-server' -detached"
    # -detached returns before the node has even registered with epmd: wait for it (a node that dies while
    # booting, e.g. on a port in use, leaves its pid file behind with no process), then for its boot to finish.
    ctl="$(declare -f node_env); dir='$dir'; . '$dir/node.env'; node_env '$RMQ_BIN/rabbitmqctl' -q -n \"\$NODENAME\""
    for _ in $(seq 1 120); do
      if as_owner bash -c "$ctl ping" >/dev/null 2>&1; then break; fi
      pid=$(cat "$dir/node.pid" 2>/dev/null || true)
      if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
        echo "rabbitmq node in $dir exited while starting; see $dir/log" >&2
        exit 1
      fi
      sleep 0.5
    done
    as_owner bash -c "$ctl await_startup --timeout 60"
    ;;
  stop)
    [ -f "$dir/node.env" ] || exit 0
    # `stop` waits for the node's process to end (its pid file); a node that is not running is not an error.
    as_owner bash -c "$(declare -f node_env); dir='$dir'; . '$dir/node.env'; node_env '$RMQ_BIN/rabbitmqctl' -q -n \"\$NODENAME\" stop '$dir/node.pid'" || true
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
