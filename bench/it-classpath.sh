# Sourced by the benchmarks whose harness uses haven-it's cluster classes, from the repository root with
# $root and $here (the benchmark's directory) set: builds haven-it and its class path once (HAVEN_BENCH_NOBUILD=1 reuses the
# last build) into $here/target and sets $out and $cp (private copies of the jars and test classes).
out="$here/target"
mkdir -p "$out/classes"
if [ "${HAVEN_BENCH_NOBUILD:-0}" != 1 ] || [ ! -f "$out/classpath" ]; then
  # one reactor build: haven-it's class path names the modules' own jars, nothing is installed into ~/.m2
  mvn -B -ntp -q -pl haven-it -am package dependency:build-classpath -DskipTests -Djacoco.skip=true \
    -Dmdep.includeScope=test -Dmdep.outputFile="$out/classpath"
fi
# run from private copies: a jar replaced in ~/.m2 by a concurrent build must not break the running daemons
rm -rf "$out/lib"; mkdir -p "$out/lib"
cp -r "$root/haven-it/target/test-classes" "$out/lib/it-test-classes"
cp=""
i=0
for e in $(tr ':' ' ' < "$out/classpath"); do
  i=$((i + 1))
  copy="$out/lib/$i-$(basename "$e")"
  cp -r "$e" "$copy"
  cp="$cp:$copy"
done
cp="$out/lib/it-test-classes$cp"
