# Sourced by bin/spice: the JVM's ahead-of-time caches of the command line (docs/startup.md).
#
# aot_cache NAME JAR FUNCTION_DIR JVM...   prints the path of a cache usable with JAR, training it first
#                                          (AotTraining NAME FUNCTION_DIR, run by JVM...) if it is missing
#                                          or was made from other jars; prints nothing if it cannot be made.
#
# The JVM does not check that a cache still matches the jars it was trained on (JDK 25 serves the
# cached classes of a rebuilt jar), so the cache carries a key: the name, size and modification
# time of every jar on the class path, and is retrained whenever the key differs.
aot_cache() {
    local name=$1 jar=$2 function=$3
    shift 3
    # (One fork only: bin/spice runs this before every command.)
    local dir=${jar%/*} aot key
    aot="$dir/spice-$name.aot"
    key=$(stat -c '%n %s %Y' "$jar" "$dir"/lib/*.jar)
    if [[ -f "$aot" && -f "$aot.key" && "$(<"$aot.key")" == "$key" ]]; then
        echo "$aot"
        return
    fi
    rm -f "$aot" "$aot.key"
    echo "spice: training the $name start-up cache (once per build)..." >&2
    local log="$dir/aot-training-$name.log"
    if "$@" -XX:AOTCacheOutput="$aot.$$" -Dorg.slf4j.simpleLogger.defaultLogLevel=off -Xlog:aot=off -Xlog:cds=off \
        -cp "$jar" dev.spice.cli.AotTraining "$name" "$function" >"$log" 2>&1; then
        mv "$aot.$$" "$aot"
        printf '%s\n' "$key" >"$aot.key"
        echo "$aot"
    else
        rm -f "$aot.$$"
        echo "spice: the start-up cache could not be made (see $log); starting without it" >&2
    fi
}
