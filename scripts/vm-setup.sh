#!/usr/bin/env bash
# Prepares the VM baseline of the benchmark (modes vm-cold and vm-ws, docs/benchmarks.md):
# installs QEMU, debootstrap and e2fsprogs from Debian, then builds once, with debootstrap, a
# bookworm root file system with python3 and the packages the guest functions import, a Debian
# cloud kernel and its initramfs (made inside the root by initramfs-tools), and writes it into an
# ext4 image (the tree stays in the cache as root/). Idempotent: quick when the cache is complete. Prints on its last line of stdout the
# cache directory, which holds vmlinuz, initrd.img and rootfs.ext4; everything else goes to stderr.
# Needs root.
#
# Environment:
#   SPICE_VM_CACHE   cache directory (default /var/cache/spice-bench/vm-bookworm)
#   SPICE_VM_MIRROR  Debian mirror (default: the one apt uses, from /etc/apt/sources.list.d/debian.sources)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly CACHE=${SPICE_VM_CACHE:-/var/cache/spice-bench/vm-bookworm}
# Bumped when what goes into the guest changes, so that a cache of an older recipe is rebuilt:
# ROOT_RECIPE for the debootstrapped tree (packages), IMAGE_RECIPE for the init and the image.
readonly ROOT_RECIPE=1 IMAGE_RECIPE=3
# The guest's Python packages: those of functions/ that are small enough to import under TCG in
# seconds. A function whose imports are missing is skipped by the bench with its ImportError.
readonly GUEST_PACKAGES=(python3 python3-numpy python3-pyaes python3-chameleon python3-pil
    linux-image-cloud-amd64 initramfs-tools)
readonly HOST_PACKAGES=(qemu-system-x86 qemu-utils debootstrap e2fsprogs)

exec 3>&1 1>&2   # fd 3 = real stdout, only for the final path
log() { echo "vm-setup: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[[ $(id -u) == 0 ]] || die "must run as root"

source "$root/scripts/packages.sh"
install_missing "vm-setup" --no-install-recommends -- "${HOST_PACKAGES[@]}" || die "cannot install ${HOST_PACKAGES[*]}"

mirror_uri() {
    if [[ -n ${SPICE_VM_MIRROR:-} ]]; then echo "$SPICE_VM_MIRROR"; return; fi
    local uri=""
    if [[ -r /etc/apt/sources.list.d/debian.sources ]]; then
        # the first deb822 stanza whose Suites has plain "bookworm" (not bookworm-security)
        uri=$(awk 'BEGIN{RS=""} /(^|\n)Suites:[^\n]*[ \t]bookworm([ \t]|\n|$)/ {
                  if (match($0, /(^|\n)URIs:[ \t]*[^ \t\n]+/)) { s=substr($0, RSTART, RLENGTH);
                      sub(/^\n?URIs:[ \t]*/, "", s); print s; exit } }' /etc/apt/sources.list.d/debian.sources)
    fi
    echo "${uri:-http://deb.debian.org/debian}"
}

# The guest's PID 1: mounts what Python needs, finds the virtio-serial port named "spice" and
# runs the launcher of the function's code disk (/dev/vdb, made per function by the bench) with
# that port as fd 0, the channel of docs/runtime-protocol.md in both directions. The launcher
# execs the engine's own shim, unchanged. Output of the guest goes to the serial console.
write_init() {
    cat >"$1/sbin/spice-vm-init" <<'EOF'
#!/bin/sh
# PID 1 of the benchmark's guest (written by scripts/vm-setup.sh).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
# (the initramfs has moved /proc, /sys and /dev here already; without one they are mounted now)
[ -e /proc/self ] || mount -t proc proc /proc
[ -e /sys/class ] || mount -t sysfs sysfs /sys
[ -e /dev/null ] || mount -t devtmpfs devtmpfs /dev
mount -t tmpfs -o size=64m tmpfs /tmp
mount -t ext4 -o ro /dev/vdb /spice || { echo "spice-vm-init: no code disk" >&2; exec sleep 1000000; }
# (no udev here: the virtio-serial driver is loaded by hand, and its port appears in sysfs soon after)
modprobe virtio_console
port=
for try in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    for p in /sys/class/virtio-ports/*; do
        [ "$(cat "$p/name" 2>/dev/null)" = spice ] && port=/dev/${p##*/}
    done
    [ -n "$port" ] && [ -e "$port" ] && break
    sleep 0.5
done
[ -n "$port" ] || { echo "spice-vm-init: no virtio-serial port named spice" >&2; exec sleep 1000000; }
echo "spice-vm-init: channel $port" >&2
cd /spice/code
exec /bin/sh /spice/launch 0<>"$port"
EOF
    chmod 755 "$1/sbin/spice-vm-init"
}

complete() {
    [[ -f $CACHE/vmlinuz && -f $CACHE/initrd.img && -f $CACHE/rootfs.ext4 ]] &&
        grep -qx "recipe $ROOT_RECIPE.$IMAGE_RECIPE" "$CACHE/BUILD-INFO" 2>/dev/null
}

# Stage 1, the slow one (minutes): debootstrap into $CACHE/root, kept for stage 2.
bootstrap() {
    local work uri packages
    rm -rf "$CACHE"/build.* "$CACHE/root"   # left by a killed run (we hold the lock, so none is live)
    work=$(mktemp -d "$CACHE/build.XXXXXX")
    trap 'rm -rf "'"$work"'"' EXIT
    uri=$(mirror_uri)
    log "debootstrap bookworm from $uri (a few minutes, once)"
    packages=$(IFS=,; echo "${GUEST_PACKAGES[*]}")
    if ! timeout 1800 debootstrap --variant=minbase --include="$packages" bookworm "$work/root" "$uri" \
            >"$work/debootstrap.log" 2>&1; then
        tail -30 "$work/debootstrap.log" >&2
        cp "$work/debootstrap.log" "$CACHE/debootstrap.log"
        die "debootstrap failed (log: $CACHE/debootstrap.log)"
    fi
    rm -rf "$work"/root/var/cache/apt/archives/*.deb "$work"/root/var/lib/apt/lists/*
    echo "$ROOT_RECIPE $uri" >"$work/root/.spice-bootstrap"
    mv "$work/root" "$CACHE/root"
    rm -rf "$work"
    trap - EXIT
}

# Stage 2 (seconds): the guest's init, the kernel and initramfs out of /boot, the ext4 image.
image() {
    local kernel initrd mib
    kernel=$(ls "$CACHE"/root/boot/vmlinuz-* | sort -V | tail -1)
    initrd=$(ls "$CACHE"/root/boot/initrd.img-* | sort -V | tail -1)
    [[ -f $kernel && -f $initrd ]] || die "the kernel package left no vmlinuz and initrd.img in /boot"
    write_init "$CACHE/root"
    mkdir -p "$CACHE/root/spice"
    mib=$(du -sm "$CACHE/root" | cut -f1)
    log "root file system: $mib MiB; writing rootfs.ext4"
    mkfs.ext4 -q -F -L spice-root -d "$CACHE/root" "$CACHE/rootfs.ext4.new" "$((mib * 5 / 4 + 64))M"
    cp "$kernel" "$CACHE/vmlinuz"
    cp "$initrd" "$CACHE/initrd.img"
    mv -f "$CACHE/rootfs.ext4.new" "$CACHE/rootfs.ext4"
    cat >"$CACHE/BUILD-INFO" <<EOF
recipe $ROOT_RECIPE.$IMAGE_RECIPE
built $(date -u +%Y-%m-%dT%H:%M:%SZ) with debootstrap from $(cut -d' ' -f2 "$CACHE/root/.spice-bootstrap")
kernel ${kernel##*/}
packages ${GUEST_PACKAGES[*]}
EOF
}

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9   # one setup at a time
if ! complete; then
    t0=$SECONDS
    [[ $(cut -d' ' -f1 "$CACHE/root/.spice-bootstrap" 2>/dev/null) == "$ROOT_RECIPE" ]] || bootstrap
    image
    log "built in $((SECONDS - t0)) s"
fi
log "guest ready in $CACHE ($(sed -n 's/^kernel //p' "$CACHE/BUILD-INFO"))"
echo "$CACHE" >&3
