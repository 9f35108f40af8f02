#!/usr/bin/env bash
# What a CI user relies on from `hil run` and friends (docs/cli.md, docs/junit.md): the version,
# a seed that reproduces a run, warnings in the summary, exit statuses for bad usage, a rig whose
# shell does not answer stopping the run at once.
# usage: run_contract.sh HIL SCENARIOS_DIR
set -euo pipefail

hil=$1
scenarios=$2
work=$(mktemp -d)
export XDG_STATE_HOME="$work/state-home" # a rig's default journal folder stays here
trap 'rm -rf "$work"' EXIT
# shellcheck source=tests/cli/expect.sh
source "$(dirname "${BASH_SOURCE[0]}")/expect.sh"

expect_output() { # description extended-regex
  grep -Eq -- "$2" "$work/out" || fail "$1: no line matches /$2/"
}

property() { # file suite-name property
  xmllint --xpath "string(//testsuite[@name='$2']/properties/property[@name='$3']/@value)" "$1"
}

# --version: the version and, from a checkout, the commit; the same in every JUnit file.
expect_exit 0 "--version" "$hil" --version
expect_output "--version" '^hil [0-9]+\.[0-9]+\.[0-9]+( \(git [0-9a-f]+(-dirty)?\))?$'
version=$(sed -n 's/^hil \([0-9.]*\).*/\1/p' "$work/out")
commit=$(sed -n 's/.*(git \(.*\))$/\1/p' "$work/out")

# The seed a report records reproduces the run: passing it back gives the same report.
expect_exit 0 "a seeded run" "$hil" run --seed 4242 --junit "$work/first.xml" "$scenarios/smoke"
suite=$(xmllint --xpath 'string(//testsuite[1]/@name)' "$work/first.xml")
seed=$(property "$work/first.xml" "$suite" seed)
[[ "$seed" == 4242 ]] || fail "the seed property is '$seed', not the run's seed 4242"
[[ "$(property "$work/first.xml" "$suite" hil-version)" == "$version" ]] ||
  fail "hil-version in JUnit differs from hil --version ($version)"
[[ "$(property "$work/first.xml" "$suite" hil-commit)" == "$commit" ]] ||
  fail "hil-commit in JUnit differs from hil --version ($commit)"
[[ "$(property "$work/first.xml" "$suite" catalog-sha256)" =~ ^[0-9a-f]{64}$ ]] ||
  fail "no catalog-sha256 in JUnit"
expect_exit 0 "the run again with its recorded seed" \
  "$hil" run --seed "$seed" --junit "$work/again.xml" "$scenarios/smoke"
strip_times() { sed -E 's/ (time|timestamp)="[^"]*"//g' "$1"; }
diff <(strip_times "$work/first.xml") <(strip_times "$work/again.xml") >"$work/out" ||
  fail "the recorded seed did not reproduce the run"
expect_exit 0 "another seed" "$hil" run --seed 4243 --junit "$work/other.xml" "$scenarios/smoke"
if diff -q <(strip_times "$work/first.xml") <(strip_times "$work/other.xml") >/dev/null; then
  fail "another seed gave the same report: the check above proves nothing"
fi

# Warnings are visible where they happen.
warned="$scenarios/dda/t4-dda-no-mitigation-driver-warning.xml"
expect_exit 0 "a run with a warning" "$hil" run "$warned"
expect_output "the warning" '^WARN t4-dda-no-mitigation-driver-warning .*: mitigation-driver-missing$'
expect_output "the summary" '^run: 1 passed \(1 with warnings\), 0 failed, 0 skipped$'

# Bad usage is exit 2 with a message, and nothing runs.
expect_exit 2 "a filter that matches nothing" "$hil" run --filter 'no-such-*' "$scenarios"
expect_output "the filter message" "--filter 'no-such-\*': matches none of the [0-9]+ scenario"
expect_exit 2 "a folder without scenarios" "$hil" run "$work/nothing-here"

# A rig whose shell cannot start stops the run before the first scenario, with the reason.
cat >"$work/rig.xml" <<'RIG'
<rig name="broken" class="t4-server" mode="hyperv">
  <shell><arg>/nonexistent/pwsh</arg></shell>
  <windows edition="server" build="17763"/>
  <gpu model="tesla-t4"/>
  <deadline seconds="5"/>
</rig>
RIG
expect_exit 2 "a rig whose shell cannot start" \
  "$hil" run --backend real --rig "$work/rig.xml" --junit "$work/rig-junit.xml" "$scenarios/dda"
expect_output "the shell's reason" "rig.xml: the rig's shell does not answer \(/nonexistent/pwsh\): .*nothing was run"
[[ ! -e "$work/rig-junit.xml" ]] || fail "a run that could not start wrote a report"
if grep -q '^FAIL ' "$work/out"; then
  fail "scenarios were run against a shell that does not answer"
fi

[[ ! -e "$XDG_STATE_HOME" ]] || fail "a rig that could not start left a journal folder"
# A rig's journal has a default home; the simulator's state folder must be named.
expect_exit 2 "recover on the simulator without --state" "$hil" recover --backend sim
expect_output "the missing state folder" "--backend sim needs --state DIR"
expect_exit 0 "recover on a rig that never kept a journal here" "$hil" recover --backend real \
  --rig "$work/rig.xml"
expect_output "nothing to recover" "nothing to recover: no run on rig broken kept a journal here \($XDG_STATE_HOME/gpu-hil/rigs/broken\)"

# hil validate reads rig and policy files by their root element.
expect_exit 0 "validate rigs and policies" "$hil" validate "$work/rig.xml" \
  "$scenarios/policies/release.xml"
expect_output "validate's summary" '^valid: 1 rig file\(s\), 1 policy file\(s\)$'
sed 's/tesla-t4/tesla-t5/' "$work/rig.xml" >"$work/bad-rig.xml"
expect_exit 2 "validate a bad rig" "$hil" validate "$work/bad-rig.xml"
expect_output "the rig's problem" 'bad-rig.xml:4: model="tesla-t5" on <gpu>: not in the GPU catalog'

echo "run_contract: $checked passed, 0 failed"
