#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine of this kind (idempotent, quick when done):
# a C compiler and make for the restorer and test programs, Debian's python3 with numpy, Node.js
# (/usr/bin/node: the nodejs runtime; the machine's own if it has one, else Debian's), and
# Debian's AWS CLI (the tests deploy and invoke through it, as a Lambda user would).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$root/scripts/packages.sh"
install_missing "spice setup" -- gcc make libc6-dev python3 python3-numpy
[[ -x /usr/bin/node ]] || install_missing "spice setup" -- nodejs
install_missing "spice setup" --no-install-recommends -- awscli
source "$root/scripts/env.sh"
command -v mvn >/dev/null || { echo "spice setup: Apache Maven is missing" >&2; exit 1; }
