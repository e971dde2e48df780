#!/usr/bin/env bash
# Runs the whole test suite from a fresh clone: restores, builds (warnings are errors) and runs
# every test project. Installs what the tests need when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# The cluster tests include real membership on real PostgreSQL (tests/Cluster/PostgresMembershipTests).
# Use ADAMEC_TEST_POSTGRES when given; otherwise install PostgreSQL from Debian packages if missing,
# start its cluster and point the tests at it.
ensure_postgres() {
  if [[ -n "${ADAMEC_TEST_POSTGRES:-}" ]]; then return 0; fi
  local sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  if ! command -v pg_lsclusters >/dev/null 2>&1; then
    echo "test.sh: installing PostgreSQL from Debian packages for the membership tests"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  local version cluster port
  read -r version cluster port _ < <(pg_lsclusters --no-header | head -1) || true
  if [[ -z "${version:-}" ]]; then
    version=$(ls /usr/lib/postgresql | sort -n | tail -1); cluster=main
    $sudo pg_createcluster "$version" "$cluster" >/dev/null
    read -r version cluster port _ < <(pg_lsclusters --no-header | head -1)
  fi
  $sudo pg_ctlcluster "$version" "$cluster" start 2>/dev/null || true # already running is fine
  for _ in $(seq 1 60); do pg_isready -q -h 127.0.0.1 -p "$port" && break; sleep 0.5; done
  # A fresh random password every run: nothing to leak, nothing well known on a machine that keeps the server.
  local password
  password=$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')
  $sudo su postgres -c "psql -p $port -q" >/dev/null <<<"ALTER USER postgres PASSWORD '$password';"
  export ADAMEC_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Password=$password;Database=postgres"
}
ensure_postgres
command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; } || echo "test.sh: chromium not installed: the browser test (tests/Operations/BrowserTests) will be skipped"
# A real Prometheus server scrapes a silo in tests/Operations/PrometheusTests (the test starts its own, on a free port).
[[ -x /usr/bin/prometheus ]] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; } || echo "test.sh: prometheus not installed: the real-server scrape (tests/Operations/PrometheusTests) will be skipped"

mkdir -p artifacts
dotnet build AdaMec.sln -c Release --nologo -v quiet
# One test assembly at a time: TorchSharp and Orleans tests each want both cores.
dotnet test AdaMec.sln -c Release --no-build --nologo -m:1 \
  --logger "console;verbosity=normal" --results-directory artifacts/test-results "$@" \
  | tee artifacts/test-output.log || status=$?
status=${status:-0}

# One closing line over all assemblies: "N passed, N failed, N skipped".
awk '/^(Passed|Failed)!/ || /Total tests:/ {next}
     /^Test Run Aborted/ {f+=1}   # a crashed test host counts as a failure
     /^ *Passed: +[0-9]/ {p+=$2} /^ *Failed: +[0-9]/ {f+=$2} /^ *Skipped: +[0-9]/ {s+=$2}
     match($0, /Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+/) {
       split(substr($0, RSTART, RLENGTH), a, /[^0-9]+/); f+=a[2]; p+=a[3]; s+=a[4] }
     END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' artifacts/test-output.log
# Name every failed test with its error's first line, last: a CI log often keeps only the tail.
awk '/^  Failed [A-Za-z]/ {name=substr($0, 10); sub(/ \[[^]]*\]$/, "", name); want=1; next}
     want && /^  Error Message:/ {getline; sub(/^ +/, ""); printf "FAILED %s: %s\n", name, substr($0, 1, 200); want=0}' \
  artifacts/test-output.log
exit "$status"
