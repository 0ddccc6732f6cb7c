#!/usr/bin/env bash
# Several aeviz replicas behind nginx on this machine, with sticky sessions (deploy/nginx.conf).
#
#   deploy/run_proxy.sh [REPLICAS]                 # serve until Ctrl-C, on http://127.0.0.1:8080
#   deploy/run_proxy.sh 2 -- python bench/load_test.py --sessions 30   # run a command against it, then stop
#
# Environment: PROXY_PORT (8080), LISTEN (127.0.0.1; 0.0.0.0 to serve a classroom), BASE_PORT (8601: replicas
# on 8601, 8602, ...), PREFIX (nginx's prefix: config, logs/, tmp/; default a new temp dir), PYTHON, NGINX.
# The command after -- gets AEVIZ_PROXY_URL, AEVIZ_PROXY_PIDS, AEVIZ_TRAIN_LOGS and AEVIZ_PROXY_ACCESS_LOG,
# which bench/load_test.py reads. Needs Debian's nginx: sudo apt-get install -y nginx (or nginx-light).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
REPLICAS=2
if [[ $# -gt 0 && $1 != "--" ]]; then REPLICAS=$1; shift; fi
if [[ $# -gt 0 && $1 == "--" ]]; then shift; fi
PROXY_PORT=${PROXY_PORT:-8080}
LISTEN=${LISTEN:-127.0.0.1}
BASE_PORT=${BASE_PORT:-8601}
PYTHON=${PYTHON:-python3}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
PREFIX=${PREFIX:-$(mktemp -d /tmp/aeviz-proxy.XXXXXX)}

if [[ ! -x $NGINX ]]; then
  echo "nginx is not installed. On Debian/Ubuntu: sudo apt-get install -y nginx" >&2
  exit 1
fi
if ! [[ $REPLICAS =~ ^[1-9][0-9]*$ ]]; then
  echo "REPLICAS must be a positive whole number (got '$REPLICAS')" >&2
  exit 1
fi
mkdir -p "$PREFIX/logs" "$PREFIX/tmp"

PIDS=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

healthy() {
  "$PYTHON" -c "import sys, urllib.request as u; sys.exit(u.urlopen(sys.argv[1], timeout=2).read() != b'ok')" \
    "$1/_stcore/health" 2>/dev/null
}

SERVERS=""
TRAIN_LOGS=""
for ((i = 0; i < REPLICAS; i++)); do
  port=$((BASE_PORT + i))
  # each replica appends one line per training run it does to its own log (aeviz/ui/cache.py)
  TRAIN_LOGS+="${TRAIN_LOGS:+,}$PREFIX/logs/train-$port.log"
  (cd "$ROOT" && AEVIZ_TRAIN_LOG="$PREFIX/logs/train-$port.log" exec "$PYTHON" -m streamlit run serve.py \
      --server.address 127.0.0.1 --server.port "$port" --server.headless true \
      --server.fileWatcherType none --browser.gatherUsageStats false) \
      >"$PREFIX/logs/replica-$port.log" 2>&1 &
  PIDS+=($!)
  SERVERS+="        server 127.0.0.1:$port;\n"
done
for ((i = 0; i < REPLICAS; i++)); do
  port=$((BASE_PORT + i))
  for _ in $(seq 240); do healthy "http://127.0.0.1:$port" && break; sleep 0.5; done
  healthy "http://127.0.0.1:$port" || {
    echo "replica on port $port did not start: see $PREFIX/logs/replica-$port.log" >&2
    exit 1
  }
done
REPLICA_PIDS=$(IFS=,; echo "${PIDS[*]}")

# deploy/nginx.conf with this run's listen address and replica ports
awk -v servers="$SERVERS" -v listen="$LISTEN:$PROXY_PORT" '
  /^[[:space:]]*server 127\.0\.0\.1:[0-9]+;/ { next }
  /^[[:space:]]*listen / { sub(/listen [^;]+;/, "listen " listen ";") }
  { print }
  /hash \$aeviz_route consistent;/ { printf "%s", servers }
' "$ROOT/deploy/nginx.conf" >"$PREFIX/nginx.conf"
"$NGINX" -t -q -p "$PREFIX" -c nginx.conf -e stderr
"$NGINX" -p "$PREFIX" -c nginx.conf -e stderr -g 'daemon off;' &
PIDS+=($!)
URL="http://$LISTEN:$PROXY_PORT"
[[ $LISTEN == 0.0.0.0 ]] && URL="http://127.0.0.1:$PROXY_PORT"
for _ in $(seq 40); do healthy "$URL" && break; sleep 0.25; done
healthy "$URL" || { echo "nginx did not come up: $PREFIX/logs/error.log" >&2; exit 1; }

echo "aeviz: $REPLICAS replicas (pids $REPLICA_PIDS, ports $BASE_PORT-$((BASE_PORT + REPLICAS - 1)))" \
  "behind nginx on $URL"
echo "logs: $PREFIX/logs (access.log: upstream=<replica> per request; train-<port>.log: one line per training run)"
export AEVIZ_PROXY_URL="$URL" AEVIZ_PROXY_PIDS="$REPLICA_PIDS" AEVIZ_PROXY_ACCESS_LOG="$PREFIX/logs/access.log" \
  AEVIZ_TRAIN_LOGS="$TRAIN_LOGS"
if [[ $# -gt 0 ]]; then
  "$@"
else
  wait "${PIDS[-1]}"
fi
