#!/usr/bin/env bash
# A team's Pester results counting toward a certification, end to end with real tools: Pester 6
# runs GpuPassthrough.Tests.ps1 and writes JUnit; hil runs the scenario files it mirrors and
# writes JUnit; hil merge joins them (Pester's suite kept apart under Pester's name) and hil
# certify judges both against scenarios/policies/pester.xml (Pester's tests on the rig class
# "pester", the scenarios on "sim"). Then a failing Pester result must stop the certification.
# usage: pester_certify.sh HIL PWSH PESTER_PSD1 REPO_ROOT [SCHEMAS_DIR]
# SCHEMAS_DIR holds junit-10.xsd and jenkins-junit.xsd (default: REPO_ROOT/tests/schemas).
set -euo pipefail

hil=$1
pwsh=$2
pester=$3
root=$4
schemas=${5:-$root/tests/schemas}
tests="$root/tests/powershell/pester/GpuPassthrough.Tests.ps1"
policy="$root/scenarios/policies/pester.xml"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

expect_status() { # want description command...: output in $work/out
  local want=$1 what=$2 status=0
  shift 2
  "$@" >"$work/out" 2>&1 || status=$?
  if [[ "$status" != "$want" ]]; then
    cat "$work/out" >&2
    fail "$what: exited $status, expected $want"
  fi
}

expect_output() { # description pattern (grep -E) on $work/out
  grep -Eq -- "$2" "$work/out" || {
    cat "$work/out" >&2
    fail "$1: no line matches '$2'"
  }
}

# 1. Pester, for real: JUnit as Invoke-Pester -Configuration writes it.
expect_status 0 "Invoke-Pester" "$pwsh" -NoLogo -NoProfile -NonInteractive -Command "
  \$ErrorActionPreference = 'Stop'
  Import-Module '$pester'
  \$c = New-PesterConfiguration
  \$c.Run.Path = '$tests'
  \$c.Run.Exit = \$true
  \$c.TestResult.Enabled = \$true
  \$c.TestResult.OutputFormat = 'JUnitXml'
  \$c.TestResult.OutputPath = '$work/pester.xml'
  \$c.Output.Verbosity = 'Normal'
  \$c.Output.RenderMode = 'Plaintext'
  Invoke-Pester -Configuration \$c"
pester_tests=$(grep -c '<testcase ' "$work/pester.xml")

# 2. gpu-hil on the same scenario files (the suite's It names are their paths).
mapfile -t files < <(sed -n "s|^[[:space:]]*It '\([a-z0-9-]*/[a-z0-9-]*\)'.*|$root/scenarios/\1.xml|p" \
  "$tests")
((${#files[@]} == pester_tests)) ||
  fail "Pester wrote $pester_tests testcases for ${#files[@]} mirrored scenario files"
expect_status 0 "hil run" "$hil" run --junit "$work/hil.xml" "${files[@]}"

# 3. Merge: Pester's suite stays apart, named as Pester names it, every testcase counted.
expect_status 0 "hil merge" "$hil" merge -o "$work/merged.xml" "$work/pester.xml" "$work/hil.xml"
expect_output "merge summary" "merged 2 file\(s\) into .*: $((pester_tests + 1)) suites, $((2 * pester_tests)) passed, 0 failed, 0 skipped"
grep -q "<testsuite name=\"$tests\"" "$work/merged.xml" ||
  fail "merged.xml has no suite named as Pester names it ($tests)"
grep -q '<property name="backend" value="pester" />' "$work/merged.xml" ||
  fail "merged.xml: Pester's suite has no backend=pester property"
expect_status 0 "merged.xml against both schemas" \
  bash "$root/tests/cli/validate_junit.sh" "$schemas" "$work/merged.xml"

# 4. Certify, merged and as two inputs: Pester's tests pass on "pester", the scenarios on "sim".
for inputs in "$work/merged.xml" "$work/pester.xml $work/hil.xml"; do
  # shellcheck disable=SC2086 # two files on purpose
  expect_status 0 "hil certify $inputs" "$hil" certify --policy "$policy" \
    --out "$work/certificate.xml" $inputs
  expect_output "certify: Pester requirement" \
    "windows-team-pester +pester +passed +$pester_tests of $pester_tests scenario"
  expect_output "certify: sim requirement" "slice-on-sim +sim +passed"
  expect_output "certify: verdict" "^CERTIFIED"
done
grep -q '<rig-class name="pester" outcome="passed"' "$work/certificate.xml" ||
  fail "certificate.xml: no passed rig class pester"

# 5. A failing, a skipped and an inconclusive Pester test each stop the certification.
sample="$root/tests/data/pester-junit.xml"
ran=$(sed -n 's/.*<testsuite name="[^"]*Outcomes.Sample.ps1".* timestamp="\([^"]*\)".*/\1/p' "$sample")
expect_status 1 "hil certify with a failing Pester result" "$hil" certify --policy "$policy" \
  --now "$ran" "$sample" "$work/hil.xml"
expect_output "certify: failing Pester test" \
  "windows-team-pester on pester: GpuPassthrough.rules/gpu-name-not-found failed: failure: Expected strings"
expect_output "certify: inconclusive Pester test" "was skipped: Exception: is inconclusive"
expect_output "certify: verdict" "^NOT CERTIFIED: 4 reason"

echo "pester_certify: $pester_tests Pester tests and ${#files[@]} scenarios merged and certified"
