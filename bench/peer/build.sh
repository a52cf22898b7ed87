#!/usr/bin/env bash
# Builds Flux's helm-controller and source-controller, the peer of
# `npm run bench:peer`, from the Go module proxy. Nothing in `npm test` or
# .ci/run needs them, so they live apart from the test bin dir:
# ~/.cache/berth/peer/<name>-<key>/<name>, <key> hashing the pinned version,
# the ldflags and SCRIPT_VERSION. A binary already there is never rebuilt.
#
# Each controller's go.mod replaces its own api module with ./api, a nested
# module the proxy's zip leaves out, so neither builds inside a copy of its
# module. Each is built from a scratch module that requires the controller
# and its api at the pinned version and carries the upstream replace
# directives and go.sum: every dependency is checked against that go.sum. The
# checksum database cannot be reached from these machines, so only
# github.com/fluxcd (the controller and its api module, which the upstream
# go.sum cannot list) is fetched without it (GONOSUMDB).
#
#   bench/peer/build.sh          build what is missing; last lines: the binaries
#   bench/peer/build.sh --paths  print the binary paths only, build nothing
#   bench/peer/build.sh --crds   print the controllers' CRD directories
#
# A cold build takes 7-9 minutes per controller on a 2-core machine.
set -euo pipefail

SCRIPT_VERSION=1
# helm-controller v1.4.0 requires source-controller/api v1.7.0.
HELM_CONTROLLER_VERSION=v1.4.0
SOURCE_CONTROLLER_VERSION=v1.7.0
ldflags="-s -w"

cache="${BERTH_CACHE_DIR:-$HOME/.cache/berth}/peer"
key() { printf 'script=%s\nversion=%s\nldflags=%s\n' "$SCRIPT_VERSION" "$1" "$ldflags" | sha256sum | cut -c1-12; }
hc="$cache/helm-controller-$(key "$HELM_CONTROLLER_VERSION")/helm-controller"
sc="$cache/source-controller-$(key "$SOURCE_CONTROLLER_VERSION")/source-controller"

if [[ "${1:-}" == "--paths" ]]; then
  echo "$hc"
  echo "$sc"
  exit 0
fi

# --crds: the controllers' CRD directories (config/crd/bases of the pinned modules)
if [[ "${1:-}" == "--crds" ]]; then
  for m in "github.com/fluxcd/helm-controller@$HELM_CONTROLLER_VERSION" "github.com/fluxcd/source-controller@$SOURCE_CONTROLLER_VERSION"; do
    dir="$(cd "$(mktemp -d)" && GOFLAGS= GONOSUMDB=github.com/fluxcd go mod download -json "$m" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
    echo "$dir/config/crd/bases"
  done
  exit 0
fi

export GOFLAGS="-mod=mod -trimpath -buildvcs=false"
export GONOSUMDB="github.com/fluxcd"
export CGO_ENABLED=0

# build NAME MODULE VERSION OUT
build() {
  local name="$1" module="$2" version="$3" out="$4"
  if [[ -x "$out" ]]; then
    echo "cached: $name $version"
    return
  fi
  local start=$SECONDS store tmp moddir
  store="$(dirname "$out")"
  mkdir -p "$store"
  tmp="$(mktemp -d "$store/.build.XXXXXX")"
  echo "building $name ($module@$version)"
  moddir="$(cd "$tmp" && GOFLAGS= go mod download -json "$module@$version" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  [[ -n "$moddir" && -f "$moddir/go.mod" ]] || {
    echo "go mod download -json $module@$version named no module directory (Dir)" >&2
    exit 1
  }
  mkdir "$tmp/src"
  cp "$moddir/go.sum" "$tmp/src/go.sum"
  chmod u+w "$tmp/src/go.sum"
  {
    echo "module berth.dev/bench/peer/$name"
    echo
    sed -n 's/^go \(.*\)$/go \1/p' "$moddir/go.mod" | head -1
    echo
    echo "require $module $version"
    echo "require $module/api $version"
    # the upstream replace directives, but its own api from the proxy
    awk '/^replace \(/{inblock=1; print; next} inblock{print; if ($0 ~ /^\)/) inblock=0; next} /^replace /{print}' "$moddir/go.mod" |
      grep -v "^replace $module/api =>"
  } >"$tmp/src/go.mod"
  # the upstream requirements pin every dependency at the controller's versions
  (cd "$tmp/src" && awk '/^require \(/{inblock=1; next} inblock{ if ($0 ~ /^\)/) {inblock=0; next}; sub(/\/\/.*/, ""); if (NF >= 2 && $1 != "'"$module"'/api") print "-require=" $1 "@" $2; next} /^require [^(]/{ if ($2 != "'"$module"'/api") print "-require=" $2 "@" $3 }' "$moddir/go.mod" |
      xargs go mod edit)
  (cd "$tmp/src" && go build -ldflags "$ldflags" -o "$tmp/$name" "$module")
  mv "$tmp/$name" "$out"
  rm -rf "$tmp"
  echo "built $name in $((SECONDS - start))s"
}

start_all=$SECONDS
build helm-controller github.com/fluxcd/helm-controller "$HELM_CONTROLLER_VERSION" "$hc"
build source-controller github.com/fluxcd/source-controller "$SOURCE_CONTROLLER_VERSION" "$sc"
echo "peer binaries ready in $((SECONDS - start_all))s"
echo "$hc"
echo "$sc"
