#!/usr/bin/env bash
# A private PostgreSQL cluster for the fault suite, so it can be stopped and started without touching the machine's.
# Its own data folder and socket folder under DIR, trust auth, 127.0.0.1 only. Runs as the `postgres` user when
# started by root. Uses the newest installed server unless PG_BIN is set. The scale suite runs it on a test host:
# PG_NETNS names the network namespace, PG_LISTEN the address it listens on there, and PG_TRUST_NET the subnet
# whose clients it trusts (besides 127.0.0.1).
#
#   infra/faults/postgres.sh start DIR PORT    # initdb on first use; returns once it accepts connections
#   infra/faults/postgres.sh stop DIR [MODE]   # pg_ctl stop -m MODE (fast by default; immediate = crash)
#   infra/faults/postgres.sh destroy DIR       # stop, then remove DIR
set -euo pipefail

cmd=${1:?usage: postgres.sh start|stop|destroy DIR [PORT|MODE]}
dir=${2:?DIR required}
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}

as_owner() {
  local prefix=()
  [ -n "${PG_NETNS:-}" ] && prefix+=(ip netns exec "$PG_NETNS")
  if [ "$(id -u)" = 0 ] && id -u postgres >/dev/null 2>&1; then prefix+=(runuser -u postgres --); fi
  "${prefix[@]}" "$@"
}

case "$cmd" in
  start)
    port=${3:?PORT required}
    mkdir -p "$dir/socket"
    if [ "$(id -u)" = 0 ] && id -u postgres >/dev/null 2>&1; then chown -R postgres:postgres "$dir"; fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_owner "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
      if [ -n "${PG_TRUST_NET:-}" ]; then echo "host all all $PG_TRUST_NET trust" >>"$dir/data/pg_hba.conf"; fi
    fi
    # fsync off: the suite tests stopping and restarting the server, not surviving a power cut.
    as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
      -o "-p $port -k $dir/socket -c listen_addresses=${PG_LISTEN:-127.0.0.1} -c fsync=off -c max_connections=200" >/dev/null
    ;;
  stop)
    mode=${3:-fast}
    [ -f "$dir/data/postmaster.pid" ] || exit 0
    as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m "$mode" -w -t 60 stop >/dev/null
    ;;
  destroy)
    "$0" stop "$dir" immediate || true
    rm -rf "$dir"
    ;;
  *)
    echo "unknown command $cmd" >&2
    exit 2
    ;;
esac
