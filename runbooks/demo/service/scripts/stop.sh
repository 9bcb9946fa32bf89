#!/bin/sh
# Stops the running demo service cleanly: SIGTERM, then waits up to 10s for it to exit.
set -eu
: "${DEMO_HOME:?DEMO_HOME is not set (the demo runbook exports it)}"
pidfile="$DEMO_HOME/service.pid"

# A process that has exited but not been reaped yet (a zombie) still answers kill -0.
alive() {
  kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" != Z ]
}

if [ ! -s "$pidfile" ]; then
  echo "not running (no $pidfile)"
  exit 0
fi
pid=$(cat "$pidfile")
if ! alive "$pid"; then
  echo "not running (stale pid $pid)"
  rm -f "$pidfile" "$DEMO_HOME/service.port"
  exit 0
fi
kill -TERM "$pid"
waited=0
while alive "$pid"; do
  waited=$((waited + 1))
  if [ "$waited" -gt 100 ]; then
    echo "pid $pid did not stop within 10s" >&2
    exit 1
  fi
  sleep 0.1
done
echo "stopped pid $pid"
