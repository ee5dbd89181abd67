# Sourced by the project's scripts: picks JDK 25 even where the default java is older.
for candidate in "${SPICE_JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/java-25-openjdk-amd64; do
    if [[ -n "$candidate" && -x "$candidate/bin/java" ]]; then
        export JAVA_HOME="$candidate"
        break
    fi
done
# (The JDK's release file, not `java -version`: bin/spice sources this on every command.)
if [[ -z "${JAVA_HOME:-}" || ! -x "$JAVA_HOME/bin/java" ]] || ! grep -qs '^JAVA_VERSION="25' "$JAVA_HOME/release"; then
    echo "spice: JDK 25 not found (looked in /usr/lib/jvm; set SPICE_JAVA_HOME)" >&2
    exit 1
fi
export PATH="$JAVA_HOME/bin:$PATH"
# Maven itself runs on JDK 25 and would warn about its own use of sun.misc.Unsafe.
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
