# Sourced by the project's scripts: picks JDK 25 even where the default java is older.
for candidate in "${SPICE_JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/java-25-openjdk-amd64; do
    if [[ -n "$candidate" && -x "$candidate/bin/java" ]]; then
        export JAVA_HOME="$candidate"
        break
    fi
done
# (The JDK's release file, read without a fork, not `java -version`: bin/spice sources this on every command.)
spice_jdk_release=$(<"${JAVA_HOME:-/nonexistent}/release") 2>/dev/null || spice_jdk_release=
if [[ ! -x "${JAVA_HOME:-}/bin/java" || "$spice_jdk_release" != *'JAVA_VERSION="25'* ]]; then
    echo "spice: JDK 25 not found (looked in /usr/lib/jvm; set SPICE_JAVA_HOME)" >&2
    exit 1
fi
export PATH="$JAVA_HOME/bin:$PATH"
# Maven itself runs on JDK 25 and would warn about its own use of sun.misc.Unsafe.
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
