#!/usr/bin/env bash
# Builds the binaries the local test clusters need from pinned Go modules
# (test/cluster/tools/<tool>/go.mod). Each tool's binaries are built once into
# ~/.cache/berth/build/<tool>-<tool key>/, where the tool key hashes that
# tool's go.mod/go.sum, its ldflags and SCRIPT_VERSION, so changing one tool
# (or adding one) rebuilds only that tool. They are then hard-linked into
# ~/.cache/berth/bin/<key>/, <key> hashing every tool key: the one directory
# the tests use. A binary already in the cache is never rebuilt, so a second
# run takes well under a second.
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
REGISTRY_VERSION=v3.1.2
# Gitea, the forge of the forge tests (test/support/gitea.ts): API, git over
# HTTP and webhooks, SQLite, templates and locales embedded (bindata).
GITEA_VERSION=v1.27.3
gitea_tags="bindata sqlite sqlite_unlock_notify"
gitea_ldflags="-s -w -X main.Version=${GITEA_VERSION#v} -X 'main.Tags=$gitea_tags'"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tools="$here/tools"
cache="${BERTH_CACHE_DIR:-$HOME/.cache/berth}"

k8s_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  major="${K8S_VERSION#v}"
  minor="${major#*.}"
  k8s_ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=${major%%.*} -X $pkg.gitMinor=${minor%%.*}"
  k8s_ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

# Helm 3's Makefile tells the binary which Kubernetes it was built against
# (client-go v0.X.Y -> 1.X); without it `helm template` and `helm lint` assume
# v1.20.0 and refuse charts with `kubeVersion: ">=1.21"`. Helm 4 reads it from
# its build info, so it needs nothing.
client_go="$(awk '$1 == "k8s.io/client-go" { print $2; exit }' "$tools/helm3/go.mod")"
client_go="${client_go#v}"
helm3_k8s_major=$((${client_go%%.*} + 1))
helm3_k8s_minor="${client_go#*.}"
helm3_k8s_minor="${helm3_k8s_minor%%.*}"
helm3_ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM3_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  helm3_ldflags+=" -X $pkg.k8sVersionMajor=$helm3_k8s_major -X $pkg.k8sVersionMinor=$helm3_k8s_minor"
done
helm4_ldflags="-s -w -X helm.sh/helm/v4/internal/version.version=$HELM4_VERSION -X helm.sh/helm/v4/internal/version.gitTreeState=clean"
registry_ldflags="-s -w -X github.com/distribution/distribution/v3/version.version=$REGISTRY_VERSION"

# What build.sh builds: TOOL_DIR|LDFLAGS|BINARY=PACKAGE ... (one line per Go module).
recipes=(
  "etcd|-s -w|etcd=go.etcd.io/etcd/server/v3"
  "kubernetes|$k8s_ldflags|kube-apiserver=k8s.io/kubernetes/cmd/kube-apiserver kube-controller-manager=k8s.io/kubernetes/cmd/kube-controller-manager kube-scheduler=k8s.io/kubernetes/cmd/kube-scheduler kubectl=k8s.io/kubernetes/cmd/kubectl"
  "kwok|-s -w|kwok=sigs.k8s.io/kwok/cmd/kwok"
  "helm4|$helm4_ldflags|helm=helm.sh/helm/v4/cmd/helm"
  "helm3|$helm3_ldflags|helm3=helm.sh/helm/v3/cmd/helm"
  "registry|$registry_ldflags|registry=github.com/distribution/distribution/v3/cmd/registry"
  "kube-score|-s -w|kube-score=github.com/zegl/kube-score/cmd/kube-score"
)

# tool_key DIR LDFLAGS: 12 hex digits naming one tool's build.
tool_key() {
  { echo "script=$SCRIPT_VERSION"; echo "ldflags=$2"; sha256sum "$tools/$1/go.mod" "$tools/$1/go.sum" | cut -c1-64; } |
    sha256sum | cut -c1-12
}

declare -A keys
for recipe in "${recipes[@]}"; do
  IFS='|' read -r dir ldflags _ <<<"$recipe"
  keys[$dir]="$(tool_key "$dir" "$ldflags")"
done
# Gitea is built from its own module (not a tools/ go.mod), so its key hashes
# the pinned version, tags and ldflags instead.
keys[gitea]="$(printf 'script=%s\nversion=%s\ntags=%s\nldflags=%s\n' "$SCRIPT_VERSION" "$GITEA_VERSION" "$gitea_tags" "$gitea_ldflags" |
  sha256sum | cut -c1-12)"
# The Helm worker (helm-worker/, berth's own) is built from its module, which
# requires exactly what tools/helm4 does: its key hashes its sources.
worker_dir="$(cd "$here/../../helm-worker" && pwd)"
worker_ldflags="-s -w"
keys[helm-worker]="$({ echo "script=$SCRIPT_VERSION"; echo "ldflags=$worker_ldflags"; cd "$worker_dir" && sha256sum go.mod go.sum *.go | cut -c1-64; } |
  sha256sum | cut -c1-12)"
key="$(for dir in "${!keys[@]}"; do echo "$dir=${keys[$dir]}"; done | LC_ALL=C sort | sha256sum | cut -c1-12)"
bin="$cache/bin/$key"

if [[ "${1:-}" == "--bin-dir" ]]; then
  echo "$bin"
  exit 0
fi

export GOFLAGS="${GOFLAGS:--mod=mod} -trimpath"
export CGO_ENABLED=0
mkdir -p "$bin"
start_all=$SECONDS

# link SOURCE TARGET: hard link (copy across file systems), replacing TARGET atomically.
link() {
  ln -f "$1" "$2.tmp.$$" 2>/dev/null || cp -f "$1" "$2.tmp.$$"
  mv -f "$2.tmp.$$" "$2"
}

# build TOOL_DIR LDFLAGS BINARY=PACKAGE...: one `go build` per module, so the
# Go build cache is shared between the binaries of one module.
build() {
  local dir="$1" ldflags="$2"
  shift 2
  local store="$cache/build/$dir-${keys[$dir]}"
  mkdir -p "$store"
  local missing=() pair
  for pair in "$@"; do
    [[ -x "$store/${pair%%=*}" ]] || missing+=("$pair")
  done
  if ((${#missing[@]} == 0)); then
    echo "cached: ${*%%=*}"
  else
    local start=$SECONDS tmp
    tmp="$(mktemp -d "$store/.build.XXXXXX")"
    for pair in "${missing[@]}"; do
      echo "building ${pair%%=*} (${pair#*=})"
      (cd "$tools/$dir" && go build -ldflags "$ldflags" -o "$tmp/${pair%%=*}" "${pair#*=}")
      # rename is atomic: a half-written binary never appears under its name
      mv "$tmp/${pair%%=*}" "$store/${pair%%=*}"
    done
    rmdir "$tmp"
    echo "built ${missing[*]%%=*} in $((SECONDS - start))s"
  fi
  for pair in "$@"; do
    # $bin's key covers every tool key, so a binary there is always this build
    [[ -x "$bin/${pair%%=*}" ]] || link "$store/${pair%%=*}" "$bin/${pair%%=*}"
  done
}

# build_gitea: Gitea's go.mod has replace directives, so `go install
# pkg@version` refuses it; it is built inside a writable copy of the module
# as the proxy serves it, after generating the embedded templates, locales and
# public files (go generate -tags bindata), with cgo for SQLite. Without the
# locales it refuses to start ("translation is missing"); the web UI's
# compiled frontend is not included (only the API, git over HTTP and webhooks
# are used).
build_gitea() {
  local store="$cache/build/gitea-${keys[gitea]}"
  mkdir -p "$store"
  if [[ -x "$store/gitea" ]]; then
    echo "cached: gitea"
  else
    local start=$SECONDS tmp moddir
    echo "building gitea (code.gitea.io/gitea@$GITEA_VERSION)"
    tmp="$(mktemp -d "$store/.build.XXXXXX")"
    # run outside any module, so no go.mod around build.sh's caller is consulted
    moddir="$(cd "$tmp" && GOFLAGS= go mod download -json "code.gitea.io/gitea@$GITEA_VERSION" |
      sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
    [[ -n "$moddir" && -f "$moddir/go.mod" ]] || {
      echo "go mod download -json code.gitea.io/gitea@$GITEA_VERSION named no module directory (Dir)" >&2
      exit 1
    }
    cp -R "$moddir" "$tmp/src"
    chmod -R u+w "$tmp/src"
    (
      cd "$tmp/src"
      CGO_ENABLED=0 go generate -tags bindata ./modules/options ./modules/templates ./modules/public ./modules/migration >/dev/null
      CGO_ENABLED=1 go build -tags "$gitea_tags" -ldflags "$gitea_ldflags" -o "$tmp/gitea" .
    )
    mv "$tmp/gitea" "$store/gitea"
    rm -rf "$tmp"
    echo "built gitea in $((SECONDS - start))s"
  fi
  [[ -x "$bin/gitea" ]] || link "$store/gitea" "$bin/gitea"
}

# build_helm_worker: berth's Helm worker, from helm-worker/ (its go.sum is
# tools/helm4's, so nothing new is fetched); it must run the same Helm as the
# helm binary.
build_helm_worker() {
  local store="$cache/build/helm-worker-${keys[helm-worker]}" want have
  want="$(awk '$1 == "helm.sh/helm/v4" { print $2; exit }' "$tools/helm4/go.mod")"
  have="$(awk '$1 == "helm.sh/helm/v4" { print $2; exit }' "$worker_dir/go.mod")"
  [[ "$want" == "$have" ]] || {
    echo "helm-worker/go.mod requires helm.sh/helm/v4 $have but tools/helm4 pins $want: copy tools/helm4's requirements and go.sum" >&2
    exit 1
  }
  mkdir -p "$store"
  if [[ -x "$store/berth-helm-worker" ]]; then
    echo "cached: berth-helm-worker"
  else
    local start=$SECONDS tmp
    echo "building berth-helm-worker (helm-worker/, helm.sh/helm/v4 $want)"
    tmp="$(mktemp -d "$store/.build.XXXXXX")"
    # -mod=readonly: the worker's go.mod is complete; a build never rewrites it.
    # Its Go unit tests (helm-worker/*_test.go) run once per build, as the
    # build is cached by its sources, tests included.
    (cd "$worker_dir" && GOFLAGS="-mod=readonly -trimpath" go test ./... && GOFLAGS="-mod=readonly -trimpath" go build -ldflags "$worker_ldflags" -o "$tmp/berth-helm-worker" .)
    mv "$tmp/berth-helm-worker" "$store/berth-helm-worker"
    rmdir "$tmp"
    echo "built berth-helm-worker in $((SECONDS - start))s"
  fi
  [[ -x "$bin/berth-helm-worker" ]] || link "$store/berth-helm-worker" "$bin/berth-helm-worker"
}

for recipe in "${recipes[@]}"; do
  IFS='|' read -r dir ldflags pairs <<<"$recipe"
  read -ra pairs <<<"$pairs"
  build "$dir" "$ldflags" "${pairs[@]}"
done
build_gitea
build_helm_worker

echo "all binaries ready in $((SECONDS - start_all))s"
echo "$bin"
