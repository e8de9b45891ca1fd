#!/usr/bin/env bash
# Milvus Lite for the store tests: a real Milvus-API gRPC server in a local venv, on a free loopback port.
#   bash .ci/milvus-lite.sh start   installs (once), starts, waits until it accepts connections, prints host:port
#   bash .ci/milvus-lite.sh stop    stops the server started by `start` (by its PID) and removes its data
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
STATE=.ci/tmp
PACKAGES=('pymilvus[milvus-lite]==3.0.2' 'milvus-lite==3.2.2')
START_TIMEOUT_S=90

install() {
  if [[ ! -x "$VENV/bin/python" ]]; then
    "${PYTHON:-python3}" -m venv "$VENV"
  fi
  # pip is quick when the pinned versions are already there; the marker skips even that on reruns.
  local marker="$VENV/.milvus-lite-installed"
  if [[ "$(cat "$marker" 2>/dev/null)" != "${PACKAGES[*]}" ]]; then
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PACKAGES[@]}"
    echo "${PACKAGES[*]}" >"$marker"
  fi
}

free_port() {
  "$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

accepts() {
  "$VENV/bin/python" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()' "$1" 2>/dev/null
}

start() {
  install
  mkdir -p "$STATE"
  if [[ -f "$STATE/milvus.pid" ]] && kill -0 "$(cat "$STATE/milvus.pid")" 2>/dev/null; then
    echo "Milvus Lite already running (PID $(cat "$STATE/milvus.pid")); run stop first" >&2
    exit 1
  fi
  local port data pid
  port="$(free_port)"
  data="$(mktemp -d "${TMPDIR:-/tmp}/codectx-milvus-XXXXXX")"
  nohup "$VENV/bin/milvus-lite" server --data-dir "$data" --host 127.0.0.1 --port "$port" >"$STATE/milvus.log" 2>&1 &
  pid=$!
  echo "$pid" >"$STATE/milvus.pid"
  echo "$data" >"$STATE/milvus.data"
  echo "127.0.0.1:$port" >"$STATE/milvus.addr"
  local waited=0
  until accepts "$port"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "Milvus Lite exited during startup:" >&2
      cat "$STATE/milvus.log" >&2
      exit 1
    fi
    if ((waited >= START_TIMEOUT_S)); then
      echo "Milvus Lite did not accept connections on 127.0.0.1:$port within ${START_TIMEOUT_S}s" >&2
      stop
      exit 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
  echo "127.0.0.1:$port"
}

stop() {
  [[ -f "$STATE/milvus.pid" ]] || return 0
  local pid
  pid="$(cat "$STATE/milvus.pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 20); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  fi
  [[ -f "$STATE/milvus.data" ]] && rm -rf "$(cat "$STATE/milvus.data")"
  rm -f "$STATE/milvus.pid" "$STATE/milvus.addr" "$STATE/milvus.data"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
