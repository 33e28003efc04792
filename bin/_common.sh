# Shared by the launchers: find the jar (build it if missing) and the JVM flags.
DFCACHE_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DFCACHE_JAR="${DFCACHE_JAR:-$DFCACHE_HOME/target/dfcache.jar}"

ensure_jar() {
  if [ ! -f "$DFCACHE_JAR" ]; then
    echo "building $DFCACHE_JAR (mvn -q -DskipTests package) ..." >&2
    (cd "$DFCACHE_HOME" && mvn -B -q -DskipTests package) >&2 || { echo "Error: build failed" >&2; exit 1; }
  fi
}

# Class-data sharing: a dynamic archive of the classes one role loads (target/dfcache-<role>.jsa,
# next to the jar), so that later starts map them instead of reading and verifying them again
# (dfdaemon ready in ~1.4 s instead of ~2.5 s on the reference machine). The first start of a role
# records it when that JVM exits (ArchiveClassesAtExit: on SIGTERM too, not on kill -9) under a
# name of its own; a later start checks it with -Xshare:on before it takes it, so a dump cut short
# is dropped and recorded again. A new jar starts over. No archive when the jar's directory is not
# writable. DFCACHE_CDS=off: none at all.
cds_opts() { # role; sets CDS_OPTS
  CDS_OPTS=""
  [ "${DFCACHE_CDS:-on}" = off ] && return 0
  local archive="${DFCACHE_JAR%.jar}-$1.jsa" quiet="-Xlog:cds=off -Xlog:cds+dynamic=off"
  if [ -f "$archive" ] && [ "$archive" -nt "$DFCACHE_JAR" ]; then
    CDS_OPTS="-XX:SharedArchiveFile=$archive $quiet"
    return 0
  fi
  [ -w "$(dirname "$archive")" ] || return 0
  local t pid recording=""
  for t in "$archive".*.tmp; do
    [ -f "$t" ] || continue
    pid=${t%.tmp}; pid=${pid##*.}
    if kill -0 "$pid" 2>/dev/null; then recording=1; continue; fi # still writing it
    # a subshell that does not exec: a JVM aborting on a bad archive is not reported by this shell
    if [ "$t" -nt "$DFCACHE_JAR" ] && (java -Xshare:on -XX:SharedArchiveFile="$t" $quiet \
        -XX:-CreateCoredumpOnCrash -XX:ErrorFile=/dev/null -jar "$DFCACHE_JAR" --help; exit $?) \
        > /dev/null 2>&1; then
      mv -f "$t" "$archive"
    else
      rm -f "$t"
    fi
  done
  if [ -f "$archive" ] && [ "$archive" -nt "$DFCACHE_JAR" ]; then
    CDS_OPTS="-XX:SharedArchiveFile=$archive $quiet"
  elif [ -z "$recording" ]; then
    rm -f "$archive"
    CDS_OPTS="-XX:ArchiveClassesAtExit=$archive.$$.tmp $quiet" # $$: exec keeps the pid
  fi
}
