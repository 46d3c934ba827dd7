#!/usr/bin/env bash
# A PostgreSQL primary and a hot standby that streams from it, on loopback,
# for the read-replica test (tests/it/replica.rs) and for trying
# `--read-database-url` by hand. Both live under one scratch directory and
# use the machine's PostgreSQL binaries; the machine's own server is not
# touched.
#
#   scripts/pg-replica-pair.sh start   # prints the two URLs to export
#   scripts/pg-replica-pair.sh stop
#
# Then, for example:
#   export ANSINH_TEST_POSTGRES_PRIMARY_URL=postgres://postgres@127.0.0.1:5433/postgres
#   export ANSINH_TEST_POSTGRES_REPLICA_URL=postgres://postgres@127.0.0.1:5434/postgres
set -euo pipefail

DIR="${ANSINH_REPLICA_DIR:-/tmp/ansinh-replica-pair}"
PRIMARY_PORT="${ANSINH_PRIMARY_PORT:-5433}"
STANDBY_PORT="${ANSINH_STANDBY_PORT:-5434}"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[ -x "$BIN/initdb" ] || { echo "no PostgreSQL server binaries under /usr/lib/postgresql" >&2; exit 1; }

# PostgreSQL refuses to run as root: run its tools as the postgres user then.
as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop() {
    for node in standby primary; do
        if [ -f "$DIR/$node/postmaster.pid" ]; then
            as_postgres "$BIN/pg_ctl" -D "$DIR/$node" -m fast -w stop >/dev/null || true
        fi
    done
}

urls() {
    echo "ANSINH_TEST_POSTGRES_PRIMARY_URL=postgres://postgres@127.0.0.1:$PRIMARY_PORT/postgres"
    echo "ANSINH_TEST_POSTGRES_REPLICA_URL=postgres://postgres@127.0.0.1:$STANDBY_PORT/postgres"
}

start() {
    if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PRIMARY_PORT" \
        && "$BIN/pg_isready" -q -h 127.0.0.1 -p "$STANDBY_PORT"; then
        urls
        return
    fi
    stop
    rm -rf "$DIR"
    mkdir -p "$DIR"
    [ "$(id -u)" = 0 ] && chown postgres "$DIR"
    # Scratch data: no fsync (a crash loses nothing anyone keeps).
    as_postgres "$BIN/initdb" -D "$DIR/primary" -U postgres --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 >"$DIR/initdb.log"
    cat >>"$DIR/primary/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PRIMARY_PORT
unix_socket_directories = '$DIR'
wal_level = replica
max_wal_senders = 4
fsync = off
CONF
    as_postgres "$BIN/pg_ctl" -D "$DIR/primary" -l "$DIR/primary.log" -w start >/dev/null
    # -R writes the standby's primary_conninfo and standby.signal.
    as_postgres "$BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres \
        -D "$DIR/standby" -R -X stream
    cat >>"$DIR/standby/postgresql.conf" <<CONF
port = $STANDBY_PORT
hot_standby = on
hot_standby_feedback = on
CONF
    as_postgres "$BIN/pg_ctl" -D "$DIR/standby" -l "$DIR/standby.log" -w start >/dev/null
    urls
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
