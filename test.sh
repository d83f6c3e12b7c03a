#!/usr/bin/env bash
# Builds and runs every test project (Release), then prints the totals as one line
# "N passed, N failed" read from the TRX result files. Exits non-zero when any test failed
# or no test ran.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
results="$root/TestResults"
rm -rf "$results"
dotnet test "$root/Adapters.sln" -c Release --nologo --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" "$@"
status=$?
passed=0; failed=0; total=0
for trx in "$results"/*.trx; do
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
