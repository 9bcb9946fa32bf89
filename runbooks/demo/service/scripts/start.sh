#!/bin/sh
# Starts the demo service from this release in the background and returns once it listens, so
# a release that cannot even start fails here, before the health checks.
set -eu
: "${DEMO_HOME:?DEMO_HOME is not set (the demo runbook exports it)}"
release=$(cd "$(dirname "$0")/.." && pwd)
exec node "$release/server.mjs" --background
