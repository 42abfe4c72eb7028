#!/usr/bin/env bash
# bench/till_load.py at 1 and 20 tills against gunicorn (deploy/gunicorn.conf.py of the checkout measured),
# production settings, on the machine's PostgreSQL and Redis. Run it for two checkouts in the same hour to
# compare them:
#
#   bench/till_bench.sh [REPO_DIR] [PORT]      # REPO_DIR defaults to this checkout
#
# Each checkout gets its own database (pos_bench_<dir name>), made once by `till_load.py setup`.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "${1:-$here}" && pwd)
port=${2:-8765}
python=${PYTHON:-$here/.venv/bin/python}
name=$(basename "$repo" | tr -c 'a-zA-Z0-9\n' '_')
export DATABASE_URL=${BENCH_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/pos_bench_$name}
export REDIS_URL=${BENCH_REDIS_URL:-redis://127.0.0.1:6379/7}
# Twenty tills sign in from one address per run, several runs a minute: lift the sign-in limits for the bench.
export LOGIN_RATE_LIMIT=10000/m LOGIN_RATE_LIMIT_PER_IP=10000/m
export RATELIMIT_IP_META_KEY=REMOTE_ADDR SECRET_KEY=bench-only BEHIND_TLS=false DEBUG=false LOG_LEVEL=WARNING ALLOWED_HOSTS=.localhost
export DJANGO_SETTINGS_MODULE=pos_project.settings.production

psql "${DATABASE_URL%/*}/postgres" -qtc "SELECT 1 FROM pg_database WHERE datname='${DATABASE_URL##*/}'" | grep -q 1 \
  || psql "${DATABASE_URL%/*}/postgres" -qc "CREATE DATABASE ${DATABASE_URL##*/}"
cd "$repo"
"$python" bench/till_load.py setup --tills 20 --with-stock >/dev/null
"$python" manage.py collectstatic --noinput -v 0
"$python" -m gunicorn --config deploy/gunicorn.conf.py --bind "127.0.0.1:$port" --access-logfile /dev/null \
  --max-requests 0 pos_project.wsgi:application >/tmp/till_bench_gunicorn.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT
for _ in $(seq 1 60); do curl -sf -H 'Host: bench.localhost' "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.5; done
echo "== $repo ($(git -C "$repo" rev-parse --short HEAD))"
# The load itself comes from this checkout's script, so two checkouts are measured by the same client.
"$python" "$here/bench/till_load.py" run --base-url "http://127.0.0.1:$port" --tills 1 --orders 100 --send
"$python" "$here/bench/till_load.py" run --base-url "http://127.0.0.1:$port" --tills 20 --orders 25 --send
