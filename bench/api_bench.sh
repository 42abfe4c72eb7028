#!/usr/bin/env bash
# bench/api_load.py at 1 and 20 clients against gunicorn (deploy/gunicorn.conf.py), production settings, on the
# machine's PostgreSQL and Redis: the till's submit + pay and the API's create + pay, same server, same run,
# printed side by side.
#
#   bench/api_bench.sh [REPO_DIR] [PORT]      # REPO_DIR defaults to this checkout
#
# Its database is pos_bench_<dir name> (as bench/till_bench.sh's), made once; each run makes 20 more API keys.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "${1:-$here}" && pwd)
port=${2:-8766}
python=${PYTHON:-$here/.venv/bin/python}
name=$(basename "$repo" | tr -c 'a-zA-Z0-9\n' '_')
export DATABASE_URL=${BENCH_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/pos_bench_$name}
export REDIS_URL=${BENCH_REDIS_URL:-redis://127.0.0.1:6379/7}
export LOGIN_RATE_LIMIT=10000/m LOGIN_RATE_LIMIT_PER_IP=10000/m
export RATELIMIT_IP_META_KEY=REMOTE_ADDR SECRET_KEY=bench-only BEHIND_TLS=false DEBUG=false LOG_LEVEL=WARNING ALLOWED_HOSTS=.localhost
# One key per client sends some 20 requests a second: lift the per-key rate (300 a minute) for the bench.
export API_RATE_PER_MINUTE=1000000 API_DAILY_QUOTA=100000000
export DJANGO_SETTINGS_MODULE=pos_project.settings.production
keys=/tmp/pos_bench_api_keys_$name.json

psql "${DATABASE_URL%/*}/postgres" -qtc "SELECT 1 FROM pg_database WHERE datname='${DATABASE_URL##*/}'" | grep -q 1 \
  || psql "${DATABASE_URL%/*}/postgres" -qc "CREATE DATABASE ${DATABASE_URL##*/}"
cd "$repo"
"$python" bench/till_load.py setup --tills 20 --with-stock >/dev/null
"$python" bench/api_load.py setup --clients 20 --keys-file "$keys" >/dev/null
"$python" manage.py collectstatic --noinput -v 0
"$python" -m gunicorn --config deploy/gunicorn.conf.py --bind "127.0.0.1:$port" --access-logfile /dev/null \
  --max-requests 0 pos_project.wsgi:application >/tmp/api_bench_gunicorn_$name.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT
for _ in $(seq 1 60); do curl -sf -H 'Host: bench.localhost' "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.5; done
echo "== $repo ($(git -C "$repo" rev-parse --short HEAD))"
"$python" bench/api_load.py run --base-url "http://127.0.0.1:$port" --keys-file "$keys" --clients 1 --orders 100 --send
"$python" bench/api_load.py run --base-url "http://127.0.0.1:$port" --keys-file "$keys" --clients 20 --orders 25 --send
