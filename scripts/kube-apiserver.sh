#!/usr/bin/env bash
# Builds kube-apiserver 1.20.2 from Debian bookworm's `kubernetes` source package into a cache folder outside the
# repository, for the real-server test suite (npm run test:apiserver). Idempotent: a cache hit prints the binary's path
# and does nothing else. The cache folder is keyed by the version and by the text of apply_fixes, so changing a fix
# builds again while a cache hit costs nothing.
#   scripts/kube-apiserver.sh           build when missing (installs what it needs with apt), print the binary's path
#   scripts/kube-apiserver.sh --path    print where the binary is (or would be) and exit; never builds
# The first build: ~350 MB of source, ~1.2 GB of Go build cache, 7-12 minutes on two cores; the binary is ~105 MiB.
set -euo pipefail

readonly KUBE_VERSION=1.20.2
readonly CACHE_ROOT=${KVMIGRATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kvmigrate}
readonly REFLECT2_DIR=/usr/share/gocode/src/github.com/modern-go/reflect2

# The three changes the 1.20.2 tree needs to build and to run under Debian's Go 1.19 (run in the tree's root).
apply_fixes() {
  # 1. The generated OpenAPI definitions are not in the tarball (undefined: openapi.GetOpenAPIDefinitions).
  make gen_openapi
  # 2. The vendored modern-go/reflect2 1.0.1 panics under Go 1.18+ on any request body holding a map; 1.0.2 does not.
  rm -f vendor/github.com/modern-go/reflect2/*.go
  cp "$REFLECT2_DIR"/*.go vendor/github.com/modern-go/reflect2/
  rm -f vendor/github.com/modern-go/reflect2/*_test.go
  # 3. Under Go 1.16+ both vendored OpenAPI type validators take "", 0 and false for null, so a CRD default of one of
  #    them is refused; kube-openapi PR #230: only a nil value is null.
  local validator
  for validator in vendor/github.com/go-openapi/validate/type.go vendor/k8s.io/kube-openapi/pkg/validation/validate/type.go; do
    [ -f "$validator" ] || continue
    grep -q 'reflect.DeepEqual(reflect.Zero(reflect.TypeOf(data)), reflect.ValueOf(data))' "$validator" ||
      { echo "kube-apiserver.sh: $validator no longer has the null check this script changes" >&2; return 1; }
    sed -i 's/data == nil || reflect.DeepEqual(reflect.Zero(reflect.TypeOf(data)), reflect.ValueOf(data))/data == nil/' "$validator"
    ! grep -q 'reflect.DeepEqual(reflect.Zero(reflect.TypeOf(data))' "$validator" ||
      { echo "kube-apiserver.sh: could not change the null check in $validator" >&2; return 1; }
  done
}

fixes_hash=$({ echo "$KUBE_VERSION"; declare -f apply_fixes; } | sha256sum | cut -c1-12)
readonly BUILD_DIR="$CACHE_ROOT/kube-apiserver-$KUBE_VERSION-$fixes_hash"
readonly BINARY="$BUILD_DIR/kube-apiserver"

if [ "${1:-}" = "--path" ]; then echo "$BINARY"; exit 0; fi
if [ -x "$BINARY" ] && command -v etcd >/dev/null; then echo "$BINARY"; exit 0; fi

log() { echo "kube-apiserver.sh: $*" >&2; }

install_packages() {
  local packages=(golang-go etcd-server rsync dpkg-dev make openssl golang-github-modern-go-reflect2-dev)
  local missing=() package
  for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  local source_list=/etc/apt/sources.list.d/kvmigrate-bookworm-src.sources
  local need_source=0
  [ -x "$BINARY" ] || grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ || grep -qs '^deb-src .* bookworm main' /etc/apt/sources.list || need_source=1
  [ ${#missing[@]} -gt 0 ] || [ "$need_source" -eq 1 ] || return 0
  if [ "$(id -u)" -ne 0 ]; then
    log "needs root to install ${missing[*]:-nothing} and a deb-src line for bookworm main; run it once as root"
    exit 1
  fi
  if [ "$need_source" -eq 1 ]; then
    log "adding $source_list (deb-src for bookworm main)"
    printf '%s\n' 'Types: deb-src' 'URIs: http://deb.debian.org/debian' 'Suites: bookworm' 'Components: main' \
      'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' >"$source_list"
  fi
  log "apt-get update; installing ${missing[*]:-nothing}"
  apt-get update -qq
  [ ${#missing[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

build() {
  local work="$CACHE_ROOT/work-$KUBE_VERSION-$fixes_hash"
  rm -rf "$work"
  mkdir -p "$work/download"
  log "fetching the kubernetes $KUBE_VERSION source package into $work"
  # bookworm's version reads 1.20.5+really1.20.2-...: the folder name says which tree it really is.
  (cd "$work/download" && apt-get source -qq kubernetes/bookworm >&2)
  local tree
  tree=$(find "$work/download" -mindepth 1 -maxdepth 1 -type d -name "kubernetes-*$KUBE_VERSION" | head -n 1)
  [ -n "$tree" ] || { log "apt-get source gave no kubernetes $KUBE_VERSION tree: $(ls "$work/download")"; exit 1; }
  # GOPATH mode: module mode (-mod=vendor) fails at once on this tree.
  mkdir -p "$work/gopath/src/k8s.io"
  mv "$tree" "$work/gopath/src/k8s.io/kubernetes"
  export GOPATH="$work/gopath" GO111MODULE=off CGO_ENABLED=0 GOFLAGS= GOCACHE="$CACHE_ROOT/go-build-cache"
  cd "$GOPATH/src/k8s.io/kubernetes"
  log "applying the fixes (make gen_openapi takes about a minute)"
  apply_fixes >&2
  log "go build ./cmd/kube-apiserver (6-12 minutes cold)"
  local version_flags="" package
  for package in k8s.io/component-base/version k8s.io/client-go/pkg/version \
    k8s.io/kubernetes/vendor/k8s.io/component-base/version k8s.io/kubernetes/vendor/k8s.io/client-go/pkg/version; do
    version_flags+=" -X $package.gitVersion=v$KUBE_VERSION -X $package.gitMajor=1 -X $package.gitMinor=20"
    version_flags+=" -X $package.gitTreeState=clean -X $package.buildDate=1970-01-01T00:00:00Z"
  done
  mkdir -p "$BUILD_DIR.tmp"
  go build -trimpath -ldflags "-s -w$version_flags" -o "$BUILD_DIR.tmp/kube-apiserver" ./cmd/kube-apiserver
  "$BUILD_DIR.tmp/kube-apiserver" --version >&2
  rm -rf "$BUILD_DIR"
  mv "$BUILD_DIR.tmp" "$BUILD_DIR"
  cd "$CACHE_ROOT"
  rm -rf "$work"
  log "built $BINARY"
}

mkdir -p "$CACHE_ROOT"
install_packages
[ -x "$BINARY" ] || build
echo "$BINARY"
