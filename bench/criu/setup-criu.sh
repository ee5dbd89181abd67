#!/usr/bin/env bash
# Builds CRIU 4.2.1 (the baseline the benchmark compares Spice against) from Debian sid's source
# package, caches the binary, and prints its path as the last line of stdout. Everything else goes
# to stderr. Idempotent: when the cached binary is there and works, it only re-arms the kerndat
# cache (a tmpfs on /run/criu) and prints the path. Needs root (apt, mount, and criu itself).
#
# Why not Debian's own criu: bookworm's 3.17.1 fails on this kernel (6.18, vDSO bounds).
#
# Environment:
#   SPICE_CRIU_CACHE       cache directory (default /var/cache/spice-bench/criu-4.2.1); binary at $SPICE_CRIU_CACHE/criu
#   SPICE_CRIU_MIRROR      Debian mirror for the sid source (default: the one in /etc/apt/sources.list.d/debian.sources)
#   SPICE_CRIU_KEEP_BUILD  1 keeps the build directory (printed on stderr)
set -euo pipefail

readonly UPSTREAM_VERSION=4.2.1
readonly CACHE=${SPICE_CRIU_CACHE:-/var/cache/spice-bench/criu-$UPSTREAM_VERSION}
readonly BIN=$CACHE/criu
# CRIU keeps its probed kernel features ("kerndat") in $RUNDIR/criu.kdat, but only if that file
# is on a tmpfs; RUNDIR is fixed at build time (make RUNDIR=..., default /run). /run is not a tmpfs
# on every machine (it is plain ext4 here), so the binary is built with RUNDIR=/run/criu and this
# script mounts a small tmpfs there. Without it every criu run re-probes the kernel (~30-50 ms).
readonly KDAT_DIR=/run/criu
# What `make criu` needs on bookworm (headers, protoc + protoc-gen-c, descriptor.proto).
readonly BUILD_DEPS=(gcc make libc6-dev pkgconf xz-utils dpkg-dev
    libprotobuf-dev libprotobuf-c-dev protobuf-c-compiler protobuf-compiler
    libnl-3-dev libnet1-dev libcap-dev uuid-dev)
# NO_GNUTLS: no TLS page server (not used); the build is the same whether or not gnutls-dev is installed.
readonly MAKE_VARS=(RUNDIR="$KDAT_DIR" NO_GNUTLS=1 PLUGINDIR="$CACHE/plugins")

exec 3>&1 1>&2   # fd 3 = real stdout, only for the final path
log() { echo "setup-criu: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $(id -u) == 0 ]] || die "must run as root"

ensure_kdat_tmpfs() {
    mkdir -p "$KDAT_DIR"
    if [[ $(stat -f -c %T "$KDAT_DIR") != tmpfs ]]; then
        if mount -t tmpfs -o size=1m,mode=0700 spice-criu-kdat "$KDAT_DIR"; then
            log "mounted a tmpfs on $KDAT_DIR for CRIU's kerndat cache"
        else
            log "WARNING: could not mount a tmpfs on $KDAT_DIR; criu will re-probe the kernel on every run"
        fi
    fi
    # criu writes criu.kdat.tmp (O_EXCL) and renames it; one left by a killed criu blocks every later save
    find "$KDAT_DIR" -maxdepth 1 -name criu.kdat.tmp -mmin +1 -delete 2>/dev/null || true
}

# 0 = usable, 1 = binary missing/broken/wrong version (rebuild), 2 = binary fine but kernel check fails
verify() {
    [[ -x $BIN ]] || return 1
    local v
    v=$("$BIN" --version 2>&1) || { log "$BIN --version failed: $v"; return 1; }
    grep -q "^Version: $UPSTREAM_VERSION\$" <<<"$v" || { log "$BIN reports: $v"; return 1; }
    grep -qx "RUNDIR=$KDAT_DIR" "$CACHE/BUILD-INFO" 2>/dev/null || { log "build info missing or stale"; return 1; }
    local out
    if ! out=$(cd / && timeout 60 "$BIN" check 2>&1); then
        log "'criu check' failed:"; printf '%s\n' "$out" >&2
        return 2
    fi
    return 0
}

missing_deps() {
    local p
    for p in "${BUILD_DEPS[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
    done
}

install_deps() {
    local missing
    missing=$(missing_deps | tr '\n' ' ')
    [[ -z ${missing// /} ]] && return 0
    log "installing build dependencies from bookworm: $missing"
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    if ! timeout 900 apt-get install -y -q --no-install-recommends $missing >&2; then
        log "apt-get install failed; refreshing the package lists and retrying"
        timeout 300 apt-get update -q >&2
        # shellcheck disable=SC2086
        timeout 900 apt-get install -y -q --no-install-recommends $missing >&2
    fi
}

mirror_uri() {
    if [[ -n ${SPICE_CRIU_MIRROR:-} ]]; then echo "$SPICE_CRIU_MIRROR"; return; fi
    local uri=""
    if [[ -r /etc/apt/sources.list.d/debian.sources ]]; then
        # first deb822 stanza whose Suites has plain "bookworm" (not bookworm-security)
        uri=$(awk 'BEGIN{RS=""} /(^|\n)Suites:[^\n]*[ \t]bookworm([ \t]|\n|$)/ {
                  if (match($0, /(^|\n)URIs:[ \t]*[^ \t\n]+/)) { s=substr($0, RSTART, RLENGTH);
                      sub(/^\n?URIs:[ \t]*/, "", s); print s; exit } }' /etc/apt/sources.list.d/debian.sources)
    fi
    if [[ -z $uri && -r /etc/apt/sources.list ]]; then
        uri=$(awk '$1=="deb" && $0 ~ / bookworm / { for (i=2;i<=NF;i++) if ($i ~ /^https?:/) { print $i; exit } }' /etc/apt/sources.list)
    fi
    echo "${uri:-http://deb.debian.org/debian}"
}

build() {
    local work
    rm -rf /var/tmp/spice-criu-build.*   # left by a killed run (we hold the lock, so none is live)
    work=$(mktemp -d /var/tmp/spice-criu-build.XXXXXX)
    chmod 755 "$work"
    if [[ ${SPICE_CRIU_KEEP_BUILD:-0} == 1 ]]; then
        trap 'log "build directory kept: '"$work"'"' EXIT
    else
        trap 'rm -rf "'"$work"'"' EXIT
    fi

    # The sid deb-src entry lives only in this private apt configuration (own sources file, own
    # lists directory, no package caches): /etc/apt and /var/lib/apt/lists are never touched, so
    # nothing needs undoing and an interrupted run leaves nothing behind but $work.
    local uri; uri=$(mirror_uri)
    mkdir -p "$work/apt/lists/partial" "$work/src"
    cat >"$work/apt/sid-src.sources" <<EOF
Types: deb-src
URIs: $uri
Suites: sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    local apt_opts=(-o Dir::Etc::sourcelist="$work/apt/sid-src.sources" -o Dir::Etc::sourceparts=-
        -o Dir::State::Lists="$work/apt/lists" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
        -o APT::Sandbox::User=root)
    log "fetching the sid source index from $uri"
    timeout 300 apt-get "${apt_opts[@]}" update -q >&2 || die "apt-get update (sid deb-src) failed"

    local versions version
    versions=$(apt-cache "${apt_opts[@]}" showsrc criu 2>/dev/null | awk '/^Version:/ {print $2}' | sort -u)
    log "criu source versions in sid: $(echo $versions)"
    version=$(grep -E "^${UPSTREAM_VERSION//./\\.}-" <<<"$versions" | sort -V | tail -1 || true)
    [[ -n $version ]] || die "sid no longer offers criu $UPSTREAM_VERSION (it has: $(echo $versions)); update UPSTREAM_VERSION"

    install_deps   # before unpacking: dpkg-source and xz are among them
    log "downloading criu $version source"
    (cd "$work/src" && timeout 300 apt-get "${apt_opts[@]}" source --download-only "criu=$version" >&2) ||
        log "apt-get source reported an error (checking what was downloaded)"
    local dsc=$work/src/criu_$version.dsc
    local orig=$work/src/criu_$UPSTREAM_VERSION.orig.tar.xz
    local debtar=$work/src/criu_$version.debian.tar.xz
    [[ -f $dsc && -f $orig ]] || die "could not download criu_$version.dsc and its orig tarball"
    # apt checked every file against the signed sid index; check the tarball against the .dsc too
    local want; want=$(awk -v n="${orig##*/}" '/^Checksums-Sha256:/ {f=1; next} /^[^ ]/ {f=0} f && $3 == n {print $1}' "$dsc")
    [[ -n $want && $(sha256sum "$orig" | cut -d' ' -f1) == "$want" ]] || die "orig tarball checksum mismatch"

    local srcdir=$work/src/criu-$UPSTREAM_VERSION
    if [[ -f $debtar ]] && (cd "$work/src" && dpkg-source -x "$dsc" "$srcdir" >&2); then
        log "unpacked with dpkg-source (Debian $version patches applied)"
        SOURCE_KIND="Debian source package $version (dpkg-source -x, Debian patches applied)"
    else
        # The mirror here answers 404 for criu's *.debian.tar.xz (the .dsc and orig tarball are
        # served), so fall back to the pristine upstream tarball. `make criu` needs nothing from debian/.
        log "Debian packaging tarball unavailable; building the upstream orig tarball of $version unpatched"
        rm -rf "$srcdir"
        tar -C "$work/src" -xf "$orig"
        [[ -d $srcdir ]] || die "unexpected layout of $orig"
        SOURCE_KIND="orig tarball of Debian source package $version (upstream $UPSTREAM_VERSION, no Debian patches: debian.tar.xz not downloadable)"
    fi

    local jobs; jobs=$(nproc 2>/dev/null || echo 2)
    log "building: make -j$jobs criu ${MAKE_VARS[*]} (log: $CACHE/build.log)"
    mkdir -p "$CACHE"
    local t0=$SECONDS
    if ! (cd "$srcdir" && timeout 1800 make -j"$jobs" criu "${MAKE_VARS[@]}") >"$CACHE/build.log" 2>&1; then
        tail -30 "$CACHE/build.log" >&2
        die "make criu failed (full log: $CACHE/build.log)"
    fi
    log "compiled in $((SECONDS - t0)) s"
    grep -E '^(Note|Warn):' "$CACHE/build.log" | sort -u | sed 's/^/setup-criu:   /' >&2 || true

    install -m 0755 "$srcdir/criu/criu" "$BIN.new"
    mv -f "$BIN.new" "$BIN"
    cat >"$CACHE/BUILD-INFO" <<EOF
criu $UPSTREAM_VERSION built $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -r)
source: $SOURCE_KIND
mirror: $uri
make -j$jobs criu ${MAKE_VARS[*]}
RUNDIR=$KDAT_DIR
EOF
}

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9   # one setup at a time (parallel benchmark runs)

ensure_kdat_tmpfs
rc=0; verify || rc=$?
if ((rc == 1)) && [[ -x $BIN && -n $(missing_deps) ]]; then
    install_deps   # cached binary present but its shared libraries may have been removed
    rc=0; verify || rc=$?
fi
if ((rc == 1)); then
    t0=$SECONDS
    log "building CRIU $UPSTREAM_VERSION into $CACHE"
    build
    log "build finished in $((SECONDS - t0)) s"
    rc=0; verify || rc=$?
    ((rc == 0)) || die "freshly built $BIN does not pass 'criu check'"
elif ((rc == 2)); then
    die "$BIN is built but 'criu check' fails on this kernel (see above); not rebuilding"
fi
log "CRIU $UPSTREAM_VERSION ready (kerndat cache dir $KDAT_DIR: $(stat -f -c %T "$KDAT_DIR"))"
echo "$BIN" >&3
