#!/usr/bin/env bash
# Builds and runs every test project (Release), then prints the totals as one line
# "N passed, N failed" read from the TRX result files. Exits non-zero when any test failed
# or no test ran. With --with-gpu-flavour (what .ci/run passes) it also restores and builds the
# OnnxRuntimeFlavor=Gpu flavour of the runtime tests (into bin-gpu/obj-gpu) and runs them on that
# build's CPU provider; the totals then cover both runs. Other arguments go to `dotnet test`.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
results="$root/TestResults"
gpu_flavour=0
args=()
for a in "$@"; do
  if [ "$a" = "--with-gpu-flavour" ]; then gpu_flavour=1; else args+=("$a"); fi
done
rm -rf "$results"
dotnet test "$root/Adapters.sln" -c Release --nologo --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" ${args[@]+"${args[@]}"}
status=$?
if [ "$gpu_flavour" -eq 1 ]; then
  echo "test.sh: runtime tests, OnnxRuntimeFlavor=Gpu build (CPU provider where no GPU is present)"
  dotnet test "$root/tests/Adapters.Runtime.Tests/Adapters.Runtime.Tests.csproj" -c Release -p:OnnxRuntimeFlavor=Gpu --nologo \
    --logger "trx" --logger "console;verbosity=normal" --results-directory "$results/gpu-flavour" ${args[@]+"${args[@]}"}
  gpu_status=$?
  if [ "$status" -eq 0 ]; then status=$gpu_status; fi
fi
passed=0; failed=0; total=0
for trx in "$results"/*.trx "$results"/gpu-flavour/*.trx; do
  [ -e "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  total=$((total + $(get total)))
done
echo "$passed passed, $failed failed"
if [ "$status" -eq 0 ] && { [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; }; then status=1; fi
exit "$status"
