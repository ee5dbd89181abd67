#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine of this kind (idempotent, quick when done):
# a C compiler and make for the restorer and test programs, and Debian's python3 with numpy.
set -euo pipefail
packages=(gcc make libc6-dev python3 python3-numpy)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "spice setup: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$root/scripts/env.sh"
command -v mvn >/dev/null || { echo "spice setup: Apache Maven is missing" >&2; exit 1; }
