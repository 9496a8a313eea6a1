#!/usr/bin/env bash
# Make sure PostgreSQL (127.0.0.1:5432, database `test`) and Redis (127.0.0.1:6379) run.
# Starts them when stopped, installs them from Debian's packages when missing, and
# fails loudly when neither works: the test suite never skips the real back ends.
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

pg_ready() { command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; }
redis_ready() { command -v redis-cli >/dev/null && [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; }

wait_for() {
  local what=$1 check=$2
  for _ in $(seq 1 60); do
    if $check; then return 0; fi
    sleep 0.5
  done
  echo "services: $what did not come up on 127.0.0.1" >&2
  exit 1
}

if ! pg_ready; then
  if ! command -v pg_ctlcluster >/dev/null; then
    as_root apt-get update -qq && as_root apt-get install -y -qq postgresql >/dev/null
  fi
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_for PostgreSQL pg_ready
fi
if ! psql -h 127.0.0.1 -U postgres -d test -tAc 'SELECT 1' >/dev/null 2>&1; then
  as_root su postgres -c "psql -tAc \"CREATE DATABASE test\"" >/dev/null 2>&1 || true
  psql -h 127.0.0.1 -U postgres -d test -tAc 'SELECT 1' >/dev/null \
    || { echo "services: cannot connect to database test as postgres on 127.0.0.1:5432" >&2; exit 1; }
fi

if ! redis_ready; then
  if ! command -v redis-server >/dev/null; then
    as_root apt-get update -qq && as_root apt-get install -y -qq redis-server >/dev/null
  fi
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for Redis redis_ready
fi
echo "services: PostgreSQL and Redis are up on 127.0.0.1"
