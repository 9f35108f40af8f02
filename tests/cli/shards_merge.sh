#!/usr/bin/env bash
# Sharding and merging as CI uses them: `hil run --shard I/N` (or GoogleTest's GTEST_SHARD_INDEX
# and GTEST_TOTAL_SHARDS) partitions the library stably, and `hil merge` of the shards gives the
# same testcases as one unsharded run, each once. A malformed input makes merge exit 2 and write
# nothing.
# usage: shards_merge.sh HIL SCENARIOS_DIR [SCHEMAS_DIR]
# SCHEMAS_DIR: junit-10.xsd and jenkins-junit.xsd (default: tests/schemas beside SCENARIOS_DIR).
set -euo pipefail

hil=$1
scenarios=$2
schemas=${3:-$scenarios/../tests/schemas}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The runs below choose their shards themselves.
unset GTEST_SHARD_INDEX GTEST_TOTAL_SHARDS GTEST_SHARD_STATUS_FILE

passed=0
pass() {
  passed=$((passed + 1))
}
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

run_status() { # expected-statuses ("0" or "0|1") description command...: output in $work/out
  local want=$1 what=$2 status=0
  shift 2
  "$@" >"$work/out" 2>&1 || status=$?
  if [[ ! "|$want|" == *"|$status|"* ]]; then
    cat "$work/out" >&2
    fail "$what: exited $status, expected $want"
  fi
}

# "classname<TAB>name" of every testcase, sorted (duplicates kept).
testcases() {
  local count
  sed -n 's/.*<testcase classname="\([^"]*\)" name="\([^"]*\)".*/\1\t\2/p' "$1" | LC_ALL=C sort
  count=$(xmllint --xpath 'count(//testcase)' "$1")
  if [[ "$count" -ne $(grep -c '<testcase ' "$1") ]]; then
    fail "$1: the testcase extraction missed some of its $count testcases"
  fi
}

same_testcases() { # description file-a file-b
  if ! diff <(testcases "$2") <(testcases "$3") >"$work/diff"; then
    cat "$work/diff" >&2
    fail "$1: $2 and $3 hold different testcases"
  fi
}

# A failing scenario is other tests' business: here only the partition counts (exit 0 or 1).
run_status "0|1" "shard 1/2" "$hil" run --shard 1/2 --junit "$work/a.xml" "$scenarios"
run_status "0|1" "shard 2/2" "$hil" run --shard 2/2 --junit "$work/b.xml" "$scenarios"
run_status "0|1" "unsharded run" "$hil" run --junit "$work/all.xml" "$scenarios"
total=$(testcases "$work/all.xml" | wc -l)
count_a=$(testcases "$work/a.xml" | wc -l)
count_b=$(testcases "$work/b.xml" | wc -l)
[[ $total -ge 2 && $count_a -ge 1 && $count_b -ge 1 ]] ||
  fail "expected two non-empty shards; got $count_a and $count_b of $total"
[[ $((count_a + count_b)) -eq $total ]] || fail "shards hold $count_a + $count_b, not $total"
if [[ -n "$(comm -12 <(testcases "$work/a.xml") <(testcases "$work/b.xml"))" ]]; then
  fail "a testcase ran in both shards"
fi
pass

run_status 0 "merge" "$hil" merge -o "$work/merged.xml" "$work/a.xml" "$work/b.xml"
same_testcases "merged shards vs unsharded" "$work/merged.xml" "$work/all.xml"
[[ -z "$(testcases "$work/merged.xml" | uniq -d)" ]] || fail "a testcase appears twice"
tests_attr=$(xmllint --xpath 'string(/testsuites/@tests)' "$work/merged.xml")
[[ $tests_attr -eq $total ]] || fail "merged <testsuites tests=\"$tests_attr\">, expected $total"
pass

# The merged file is as valid as any report: it validates against both consumer schemas.
bash "$(dirname "${BASH_SOURCE[0]}")/validate_junit.sh" "$schemas" "$work/merged.xml" \
  2>"$work/out" || fail "the merged file does not validate: $(cat "$work/out")"
pass

# GoogleTest's variables give the same partition, and the status file is touched.
for index in 0 1; do
  expected=$([[ $index -eq 0 ]] && echo a || echo b)
  run_status "0|1" "GTEST_SHARD_INDEX=$index" env GTEST_SHARD_INDEX=$index GTEST_TOTAL_SHARDS=2 \
    GTEST_SHARD_STATUS_FILE="$work/status-$index" \
    "$hil" run --junit "$work/gtest-$index.xml" "$scenarios"
  same_testcases "GTEST_SHARD_INDEX=$index" "$work/gtest-$index.xml" "$work/$expected.xml"
  [[ -f "$work/status-$index" ]] || fail "GTEST_SHARD_STATUS_FILE was not touched"
done
pass
# --shard wins over the variables; it counts from 1, GoogleTest's index from 0.
run_status "0|1" "--shard with GTEST variables" env GTEST_SHARD_INDEX=1 GTEST_TOTAL_SHARDS=2 \
  "$hil" run --shard 1/2 --junit "$work/flag.xml" "$scenarios"
same_testcases "--shard over GTEST_*" "$work/flag.xml" "$work/a.xml"
pass

# Bad shard values are bad usage.
for bad in 3/2 0/2 0/0 -1/2 x/2 1 1/2/3 "1/2 "; do
  run_status 2 "--shard '$bad'" "$hil" run --shard "$bad" "$scenarios"
  grep -q -- "--shard" "$work/out" || fail "--shard '$bad': the message does not name --shard"
done
run_status 2 "GTEST_SHARD_INDEX >= GTEST_TOTAL_SHARDS" env GTEST_SHARD_INDEX=2 \
  GTEST_TOTAL_SHARDS=2 "$hil" run "$scenarios"
run_status 2 "GTEST_TOTAL_SHARDS=0" env GTEST_SHARD_INDEX=0 GTEST_TOTAL_SHARDS=0 \
  "$hil" run "$scenarios"
run_status 2 "GTEST_SHARD_INDEX alone" env GTEST_SHARD_INDEX=0 "$hil" run "$scenarios"
pass

# Stable: a new scenario lands in one shard and moves no other.
cp -r "$scenarios" "$work/library"
for index in 1 2 3; do
  run_status "0|1" "shard $index/3" "$hil" run --shard $index/3 --junit "$work/before-$index.xml" \
    "$work/library"
done
first=$(find "$work/library" -name '*.xml' -not -path '*/policies/*' | LC_ALL=C sort |
  sed -n 1p)
mkdir -p "$work/library/zz-added"
sed 's/<scenario name="\([^"]*\)"/<scenario name="\1-added"/' "$first" \
  >"$work/library/zz-added/added.xml"
landed=0
for index in 1 2 3; do
  run_status "0|1" "shard $index/3 with one more" "$hil" run --shard $index/3 \
    --junit "$work/after-$index.xml" "$work/library"
  new=$(comm -13 <(testcases "$work/before-$index.xml") <(testcases "$work/after-$index.xml"))
  gone=$(comm -23 <(testcases "$work/before-$index.xml") <(testcases "$work/after-$index.xml"))
  [[ -z "$gone" ]] || fail "adding a scenario moved another out of shard $index/3: $gone"
  if [[ -n "$new" ]]; then
    [[ "$new" == zz-added.added$'\t'*-added ]] || fail "shard $index/3 gained $new"
    landed=$((landed + $(wc -l <<<"$new")))
  fi
done
[[ $landed -eq $(grep -c '<scenario ' "$first") ]] || fail "the added scenarios landed $landed times"
pass

# A shard that gets nothing is not an error; a filter that matches nothing still is.
name=$(sed -n 's/.*<scenario name="\([^"]*\)".*/\1/p' "$first" | sed -n 1p)
ran=0
for index in 1 2 3; do
  run_status 0 "one scenario, shard $index/3" "$hil" run --shard $index/3 --filter "$name" \
    --junit "$work/one-$index.xml" "$scenarios"
  if grep -q "is empty" "$work/out"; then
    [[ -z "$(testcases "$work/one-$index.xml")" ]] || fail "an empty shard reported testcases"
  else
    ran=$((ran + 1))
  fi
done
[[ $ran -eq 1 ]] || fail "one scenario ran in $ran of 3 shards"
run_status 0 "merge with empty shards" "$hil" merge -o "$work/one.xml" "$work"/one-?.xml
[[ $(testcases "$work/one.xml" | wc -l) -eq 1 ]] || fail "merging empty shards lost the scenario"
run_status 2 "a filter that matches nothing, sharded" "$hil" run --shard 1/2 \
  --filter no-such-scenario-anywhere "$scenarios"
grep -q -- "--filter 'no-such-scenario-anywhere': matches none" "$work/out" ||
  fail "a filter that matches nothing: the message does not say so"
pass

# Malformed input: exit 2 naming the file and line; nothing is written, nothing is replaced.
size=$(wc -c <"$work/b.xml")
head -c $((size / 2)) "$work/b.xml" >"$work/truncated.xml"
run_status 2 "merge over a truncated file" "$hil" merge -o "$work/bad.xml" "$work/a.xml" \
  "$work/truncated.xml"
grep -q "truncated.xml:[0-9][0-9]*:" "$work/out" || {
  cat "$work/out" >&2
  fail "merge over a truncated file: no file:line in the message"
}
[[ ! -e "$work/bad.xml" ]] || fail "merge over a truncated file wrote its output"
cp "$work/merged.xml" "$work/kept.xml"
run_status 2 "merge over a truncated file onto an existing output" "$hil" merge \
  -o "$work/kept.xml" "$work/truncated.xml" "$work/a.xml"
cmp -s "$work/kept.xml" "$work/merged.xml" || fail "a failed merge changed its existing output"
[[ -z "$(find "$work" -maxdepth 1 -name '*.tmp*')" ]] || fail "a failed merge left a temporary file"
run_status 2 "merge of a missing file" "$hil" merge -o "$work/bad.xml" "$work/no-such.xml"
[[ ! -e "$work/bad.xml" ]] || fail "merge of a missing file wrote its output"
pass

echo "shards_merge: $passed passed, 0 failed"
