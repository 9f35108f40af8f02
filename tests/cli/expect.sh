# Shared by the command-line tests: source it after setting $work (a scratch folder).
#   expect_exit STATUS DESCRIPTION COMMAND...  runs COMMAND, its output in $work/out; counts it
#   fail MESSAGE                               prints MESSAGE and the last output, exits 1
checked=0

fail() {
  echo "FAIL: $*" >&2
  [[ -f "$work/out" ]] && cat "$work/out" >&2
  exit 1
}

expect_exit() {
  local want=$1 what=$2 status=0
  shift 2
  "$@" >"$work/out" 2>&1 || status=$?
  [[ $status -eq $want ]] || fail "$what: exited $status, expected $want"
  checked=$((checked + 1))
}
