#!/usr/bin/env bash
# Pester against gpu-hil, side by side on the same machine in the same run: the Pester suite
# (GpuPassthrough.Tests.ps1, every cmdlet mocked) and `hil run` on the simulator over exactly the
# scenario files the suite mirrors (its It names: "dda/t4-dda-server-2019" is
# scenarios/dda/t4-dda-server-2019.xml). Each Pester test and each scenario run is one
# scenario: deploy, smoke, teardown as the scenario's steps say. Figures, not assertions: it
# fails only when either side does not pass, or a mirrored scenario file is missing.
#
# usage: bench.sh HIL PWSH PESTER_PSD1 REPO_ROOT
#   HIL_BENCH_SECONDS  how long each warm measurement lasts at least (default 3)
# Last line: "pester: N scenarios/s, gpu-hil: M scenarios/s, ratio R" (R = gpu-hil / pester,
# both warm: pwsh start-up and Import-Module excluded; the table shows them included).
set -euo pipefail

if (($# != 4)); then
  echo "usage: bench.sh HIL PWSH PESTER_PSD1 REPO_ROOT" >&2
  exit 2
fi
hil=$1
pwsh=$2
pester=$3
root=$4
seconds=${HIL_BENCH_SECONDS:-3}
here="$root/tests/powershell/pester"
tests="$here/GpuPassthrough.Tests.ps1"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() {
  echo "bench.sh: $*" >&2
  exit 1
}

now() { date +%s.%N; }
# seconds between two `now` stamps, 3 decimals
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# The slice: the scenario files the Pester suite mirrors, from its It names.
mapfile -t names < <(sed -n "s/^[[:space:]]*It '\([a-z0-9-]*\/[a-z0-9-]*\)'.*/\1/p" "$tests")
((${#names[@]} > 0)) || fail "no It 'folder/scenario' names in $tests"
files=()
for name in "${names[@]}"; do
  file="$root/scenarios/$name.xml"
  [[ -f "$file" ]] || fail "$tests mirrors scenarios/$name.xml, which does not exist"
  files+=("$file")
done
count=${#files[@]}

# -- Pester --------------------------------------------------------------------------------------
# pwsh alone: the start-up every Pester run in CI pays.
t0=$(now)
"$pwsh" -NoLogo -NoProfile -NonInteractive -Command 'exit 0'
t1=$(now)
startup=$(elapsed "$t0" "$t1")

# Cold: a fresh pwsh that imports Pester and runs the suite once, as a CI step does.
t0=$(now)
"$pwsh" -NoLogo -NoProfile -NonInteractive -Command "
  \$ErrorActionPreference = 'Stop'
  Import-Module '$pester'
  \$c = New-PesterConfiguration
  \$c.Run.Path = '$tests'
  \$c.Run.Exit = \$true
  \$c.Output.Verbosity = 'None'
  Invoke-Pester -Configuration \$c" || fail "the Pester suite failed (cold run)"
t1=$(now)
pester_cold=$(elapsed "$t0" "$t1")

# Warm: Invoke-Pester again and again in one process.
"$pwsh" -NoLogo -NoProfile -NonInteractive -File "$here/bench.ps1" -Pester "$pester" \
  -Tests "$tests" -Seconds "$seconds" >"$work/pester.txt" ||
  fail "the Pester suite failed (warm runs): $(cat "$work/pester.txt")"
line=$(grep '^pester-warm ' "$work/pester.txt") || fail "bench.ps1 printed no figures"
read -r pester_runs pester_tests pester_passed pester_warm < <(
  sed 's/.*runs=\([0-9]*\) tests=\([0-9]*\) passed=\([0-9]*\) seconds=\([0-9.]*\).*/\1 \2 \3 \4/' \
    <<<"$line")
((pester_tests == count)) ||
  fail "the Pester suite has $pester_tests tests but names $count scenario files"
((pester_passed == pester_runs * count)) || fail "some warm Pester runs failed: $line"

# -- gpu-hil -------------------------------------------------------------------------------------
# Cold: one process, each scenario once, as a CI step does.
t0=$(now)
"$hil" run --jobs 1 "${files[@]}" >"$work/hil-cold.txt" 2>&1 ||
  fail "hil run failed on the slice: $(tail -5 "$work/hil-cold.txt")"
t1=$(now)
hil_cold=$(elapsed "$t0" "$t1")

# Warm: --repeat K, K chosen from a short calibration run so that it lasts about $seconds.
rate_of() { sed -n 's/.*, \([0-9.]*\) scenario runs\/s.*/\1/p' "$1" | tail -1; }
"$hil" run --repeat 100 --jobs 1 "${files[@]}" >"$work/hil-cal.txt" 2>&1 ||
  fail "hil run --repeat 100 failed: $(tail -5 "$work/hil-cal.txt")"
calibration=$(rate_of "$work/hil-cal.txt")
[[ -n "$calibration" ]] || fail "hil run printed no scenario runs/s: $(tail -2 "$work/hil-cal.txt")"
repeat=$(awk -v r="$calibration" -v n="$count" -v s="$seconds" \
  'BEGIN { k = int(r * s / n); if (k < 100) k = 100; if (k > 1000000) k = 1000000; print k }')
t0=$(now)
"$hil" run --repeat "$repeat" --jobs 1 "${files[@]}" >"$work/hil-warm.txt" 2>&1 ||
  fail "hil run --repeat $repeat failed: $(tail -5 "$work/hil-warm.txt")"
t1=$(now)
hil_warm_wall=$(elapsed "$t0" "$t1")
hil_rate=$(rate_of "$work/hil-warm.txt")
[[ -n "$hil_rate" ]] || fail "hil run printed no scenario runs/s"

# -- the table -----------------------------------------------------------------------------------
awk -v n="$count" -v startup="$startup" -v pc="$pester_cold" -v pr="$pester_runs" \
  -v pw="$pester_warm" -v hc="$hil_cold" -v k="$repeat" -v hw="$hil_warm_wall" \
  -v hr="$hil_rate" 'BEGIN {
  printf "bench: %d scenario files, each one Pester test (GpuPassthrough.Tests.ps1) and one gpu-hil scenario (hil run --jobs 1)\n", n
  printf "%-44s %10s %10s %14s %14s\n", "measurement", "scenarios", "seconds", "ms/scenario", "scenarios/s"
  row("pwsh start-up alone (pwsh -Command exit 0)", 0, startup)
  row("pester, cold: pwsh + Import-Module + 1 run", n, pc)
  row(sprintf("pester, warm: %d runs in one pwsh", pr), n * pr, pw)
  row("gpu-hil, cold: hil run (process included)", n, hc)
  row(sprintf("gpu-hil, warm: hil run --repeat %d (wall)", k), n * k, hw)
  printf "%-44s %10d %10s %14.4f %14.1f\n", "gpu-hil, warm: as hil run reports it", n * k, "-", 1000 / hr, hr
  pester = n * pr / pw
  printf "pester: %.1f scenarios/s, gpu-hil: %.0f scenarios/s, ratio %.0f\n", pester, hr, hr / pester
}
function row(what, scenarios, secs) {
  if (scenarios == 0) {
    printf "%-44s %10s %10.3f %14s %14s\n", what, "-", secs, "-", "-"
  } else {
    printf "%-44s %10d %10.3f %14.4f %14.1f\n", what, scenarios, secs, 1000 * secs / scenarios, scenarios / secs
  }
}'
