#!/usr/bin/env bash
# The test suite talks to a real PostgreSQL (127.0.0.1:5432, user postgres, trust auth) and a real
# Redis (127.0.0.1:6379). Where they already run (as on CodeArena's CI machines) this does nothing;
# on a fresh Debian machine, as root, it installs and starts them. Idempotent.
set -euo pipefail

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pg_trusts_tcp() { PGCONNECT_TIMEOUT=3 psql -h 127.0.0.1 -U postgres -d postgres -tAc 'select 1' >/dev/null 2>&1; }

if listening 5432 && listening 6379 && pg_trusts_tcp; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "codearena tests: need PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and Redis on 127.0.0.1:6379" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if ! command -v pg_ctlcluster >/dev/null || ! command -v redis-server >/dev/null; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends postgresql redis-server
fi
listening 6379 || service redis-server start || redis-server --daemonize yes --bind 127.0.0.1
listening 5432 || service postgresql start
for _ in $(seq 50); do listening 5432 && break; sleep 0.2; done
if ! pg_trusts_tcp; then
    # Test machines only: let the postgres role in over loopback without a password.
    hba=$(runuser -u postgres -- psql -tAc 'show hba_file')
    sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"
    runuser -u postgres -- psql -tAc 'select pg_reload_conf()' >/dev/null
fi
pg_trusts_tcp
