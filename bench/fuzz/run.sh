#!/usr/bin/env bash
# Fuzzes every parser/writer target (every @FuzzTest method) with Jazzer for N minutes each.
#   bench/fuzz/run.sh [DURATION] [FILTER]    DURATION per target: minutes, or Jazzer's 30s/2h form (default 5);
#                                            FILTER is a grep -E pattern on "module Class#method"
#   bench/fuzz/run.sh --list                 prints the targets
# Findings are written by Jazzer into the target's seed directory (src/test/resources/<package>/<Class>Inputs/<method>/),
# where the ordinary test run replays them; the generated corpus stays in <module>/.cifuzz-corpus (ignored by git).
set -uo pipefail
cd "$(dirname "$0")/../.."
. bin/haven-env

targets() {
  grep -rl --include='*FuzzTest.java' '@FuzzTest' -- */src/test/java | sort | while read -r f; do
    module=${f%%/*}
    cls=$(basename "$f" .java)
    awk '/@FuzzTest/ { getline; if (match($0, /void [A-Za-z0-9_]+\(/)) print substr($0, RSTART + 5, RLENGTH - 6) }' "$f" |
      while read -r m; do echo "$module $cls#$m"; done
  done
}

if [ "${1:-}" = "--list" ]; then targets; exit 0; fi
duration=${1:-5}
[[ $duration =~ ^[0-9]+$ ]] && duration=${duration}m
filter=${2:-.}
report=bench/fuzz/last-run.txt
: > "$report"
status=0
while read -r module target; do
  echo "== $target ($module), $duration"
  log=$(mktemp)
  # Jazzer's JUnit mode instruments only class directories; the module's own parser may live in a jar of the reactor
  JAZZER_FUZZ=1 JAZZER_MAX_DURATION="$duration" JAZZER_INSTRUMENTATION_INCLUDES='org.haven.**' JAZZER_CUSTOM_HOOK_INCLUDES='org.haven.**' \
    mvn -B -ntp -o -q -pl "$module" -am verify -Djazzer.hooks=true -Djacoco.skip=true \
      -Dtest="$target" -Dsurefire.failIfNoSpecifiedTests=false </dev/null >"$log" 2>&1
  rc=$?
  runs=$(grep -Eo '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1)
  cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -1)
  if [ $rc -eq 0 ]; then result=ok; else result=FAILED; status=1; grep -E 'AssertionError|Exception|== Java Exception|crash-' "$log" | head -20; fi
  printf '%-60s %-7s %s; %s\n' "$target" "$result" "${runs:-no fuzzing run}" "${cov:-}" | tee -a "$report"
  [ $rc -eq 0 ] && rm -f "$log" || echo "   log: $log"
done < <(targets | grep -E -- "$filter")
exit $status
