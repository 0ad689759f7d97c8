#!/usr/bin/env bash
# Starts the machine's PostgreSQL, RabbitMQ and Redis when they are down (CI and fresh dev machines),
# with the commands their Debian packages provide. Does nothing to a service that answers.
set -euo pipefail

wait_for() { # name, seconds, command...
  local name=$1 seconds=$2; shift 2
  for _ in $(seq 1 "$seconds"); do
    if "$@" >/dev/null 2>&1; then echo "$name: up"; return 0; fi
    sleep 1
  done
  echo "$name: did not come up within ${seconds}s" >&2
  return 1
}

if pg_isready -h 127.0.0.1 -p 5432 -q; then
  echo "postgresql: up"
else
  echo "postgresql: starting"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  wait_for postgresql 60 pg_isready -h 127.0.0.1 -p 5432 -q
fi

if rabbitmq-diagnostics -q ping >/dev/null 2>&1; then
  echo "rabbitmq: up"
else
  echo "rabbitmq: starting"
  rabbitmq-server -detached || true
  wait_for rabbitmq 90 rabbitmq-diagnostics -q ping
fi
# Quorum queues and publisher confirms need the broker fully booted, not only answering pings.
wait_for rabbitmq-app 60 rabbitmq-diagnostics -q check_running

if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "redis: up"
else
  echo "redis: starting"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  wait_for redis 30 redis-cli -h 127.0.0.1 -p 6379 ping
fi
