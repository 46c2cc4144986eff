#!/usr/bin/env bash
# make demo-prometheus: the UI on a simulated Linkerd mesh whose metrics come from a real
# Prometheus (Debian's) scraping the simulator's proxies every second, reached through the
# simulated linkerd-viz/prometheus Service's API-server proxy. Everything stops on exit.
set -euo pipefail
BIN=${1:-.build/debug/smitop}
command -v prometheus >/dev/null || { echo "prometheus is not installed (make deps installs it)" >&2; exit 1; }
dir=$(mktemp -d -t smitop-demo-prometheus.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
prom_port=$(free_port)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM
"$BIN" sim --profile linkerd --plain-http --write-kubeconfig "$dir/kubeconfig" \
  --write-prometheus-config "$dir/prometheus.yml" --prometheus-upstream "http://127.0.0.1:$prom_port" \
  >"$dir/sim.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$dir/prometheus.yml" ] && break; sleep 0.1; done
[ -s "$dir/prometheus.yml" ] || { cat "$dir/sim.log" >&2; exit 1; }
prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
  --web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$dir/prometheus.log" 2>&1 &
pids+=($!)
echo "Prometheus UI: http://127.0.0.1:$prom_port (scraping every second; the first rates need a few seconds)"
sleep 3
"$BIN" --kubeconfig "$dir/kubeconfig" -A --metrics linkerd
