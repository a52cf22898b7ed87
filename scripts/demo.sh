#!/usr/bin/env bash
# `npm run demo`: berth's main job on local clusters, from a fresh clone.
# Installs what is missing, starts two local clusters (staging, prod-eu), serves
# a local Helm chart repository (metrics-server, packaged from its Go module zip),
# pushes examples/platform to a local git remote, reconciles, and prints `berth status`.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d node_modules ]] || npm ci --no-audit --no-fund
bash test/cluster/build.sh >&2
exec node --import tsx scripts/demo.ts "$@"
