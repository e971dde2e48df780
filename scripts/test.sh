#!/usr/bin/env bash
# Runs the whole test suite from a fresh clone: restores, builds (warnings are errors) and runs
# every test project. Installs what the tests need when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

mkdir -p artifacts
dotnet build AdaMec.sln -c Release --nologo -v quiet
# One test assembly at a time: TorchSharp and Orleans tests each want both cores.
dotnet test AdaMec.sln -c Release --no-build --nologo -m:1 \
  --logger "console;verbosity=normal" --results-directory artifacts/test-results "$@" \
  | tee artifacts/test-output.log || status=$?
status=${status:-0}

# One closing line over all assemblies: "N passed, N failed, N skipped".
awk '/^(Passed|Failed)!/ || /Total tests:/ {next}
     /^ *Passed: +[0-9]/ {p+=$2} /^ *Failed: +[0-9]/ {f+=$2} /^ *Skipped: +[0-9]/ {s+=$2}
     match($0, /Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+/) {
       split(substr($0, RSTART, RLENGTH), a, /[^0-9]+/); f+=a[2]; p+=a[3]; s+=a[4] }
     END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' artifacts/test-output.log
exit "$status"
