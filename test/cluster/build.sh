#!/usr/bin/env bash
# Builds the binaries the local test clusters need from pinned Go modules
# (test/cluster/tools/<tool>/go.mod) into ~/.cache/berth/bin/<key>/, where
# <key> hashes those go.mod/go.sum files and SCRIPT_VERSION. A binary already
# in the cache is never rebuilt, so a second run takes well under a second.
#
#   test/cluster/build.sh            build what is missing; last line: the bin dir
#   test/cluster/build.sh --bin-dir  print the bin dir only, build nothing
#
# Environment: BERTH_CACHE_DIR (default ~/.cache/berth), GOFLAGS, GOTOOLCHAIN.
set -euo pipefail

# Bump when the way binaries are built changes, so caches are rebuilt.
SCRIPT_VERSION=1
K8S_VERSION=v1.35.4
HELM4_VERSION=v4.3.1
HELM3_VERSION=v3.22.0

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tools="$here/tools"
cache="${BERTH_CACHE_DIR:-$HOME/.cache/berth}"

key="$(
  cd "$tools"
  { echo "script=$SCRIPT_VERSION"; find . -name 'go.mod' -o -name 'go.sum' | LC_ALL=C sort | xargs sha256sum; } |
    sha256sum | cut -c1-12
)"
bin="$cache/bin/$key"

if [[ "${1:-}" == "--bin-dir" ]]; then
  echo "$bin"
  exit 0
fi

export GOFLAGS="${GOFLAGS:--mod=mod} -trimpath"
export CGO_ENABLED=0
mkdir -p "$bin"
start_all=$SECONDS

# build TOOL_DIR LDFLAGS BINARY=PACKAGE...: one `go build` per module, so the
# Go build cache is shared between the binaries of one module.
build() {
  local dir="$1" ldflags="$2"
  shift 2
  local missing=() pair
  for pair in "$@"; do
    [[ -x "$bin/${pair%%=*}" ]] || missing+=("$pair")
  done
  if ((${#missing[@]} == 0)); then
    echo "cached: ${*%%=*}"
    return
  fi
  local start=$SECONDS tmp
  tmp="$(mktemp -d "$bin/.build.XXXXXX")"
  for pair in "${missing[@]}"; do
    echo "building ${pair%%=*} (${pair#*=})"
    (cd "$tools/$dir" && go build -ldflags "$ldflags" -o "$tmp/${pair%%=*}" "${pair#*=}")
    # rename is atomic: a half-written binary never appears under its name
    mv "$tmp/${pair%%=*}" "$bin/${pair%%=*}"
  done
  rmdir "$tmp"
  echo "built ${missing[*]%%=*} in $((SECONDS - start))s"
}

k8s_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  major="${K8S_VERSION#v}"
  minor="${major#*.}"
  k8s_ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=${major%%.*} -X $pkg.gitMinor=${minor%%.*}"
  k8s_ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

build etcd "-s -w" etcd=go.etcd.io/etcd/server/v3
build kubernetes "$k8s_ldflags" \
  kube-apiserver=k8s.io/kubernetes/cmd/kube-apiserver \
  kube-controller-manager=k8s.io/kubernetes/cmd/kube-controller-manager \
  kube-scheduler=k8s.io/kubernetes/cmd/kube-scheduler \
  kubectl=k8s.io/kubernetes/cmd/kubectl
build kwok "-s -w" kwok=sigs.k8s.io/kwok/cmd/kwok
build helm4 "-s -w -X helm.sh/helm/v4/internal/version.version=$HELM4_VERSION -X helm.sh/helm/v4/internal/version.gitTreeState=clean" \
  helm=helm.sh/helm/v4/cmd/helm
build helm3 "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM3_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean" \
  helm3=helm.sh/helm/v3/cmd/helm

echo "all binaries ready in $((SECONDS - start_all))s"
echo "$bin"
