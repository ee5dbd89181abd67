# Sourced by the setup scripts. install_missing LABEL [APT-OPTION...] -- PACKAGE...: installs those
# of the Debian packages that are not installed yet (nothing to do is quick); on failure prints
# apt-get's output and returns 1.
install_missing() {
    local label=$1 options=() missing=() p log
    shift
    while [[ $1 != -- ]]; do options+=("$1"); shift; done
    shift
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    echo "$label: installing ${missing[*]}" >&2
    log=$(mktemp)
    if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
           DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${options[@]}" "${missing[@]}"; } >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        echo "$label: apt-get failed" >&2
        return 1
    fi
    rm -f "$log"
}
