# Shared by the launchers: find the jar (build it if missing) and the JVM flags.
DFCACHE_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DFCACHE_JAR="${DFCACHE_JAR:-$DFCACHE_HOME/target/dfcache.jar}"

ensure_jar() {
  if [ ! -f "$DFCACHE_JAR" ]; then
    echo "building $DFCACHE_JAR (mvn -q -DskipTests package) ..." >&2
    (cd "$DFCACHE_HOME" && mvn -B -q -DskipTests package) >&2 || { echo "Error: build failed" >&2; exit 1; }
  fi
}
