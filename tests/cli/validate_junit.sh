#!/usr/bin/env bash
# Validates JUnit XML files against both consumer schemas the project keeps (tests/schemas/):
# junit-10.xsd and jenkins-junit.xsd. A missing schema or xmllint is a failure, never a skip.
# usage: validate_junit.sh SCHEMAS_DIR FILE...
set -euo pipefail

schemas=$1
shift
command -v xmllint >/dev/null || {
  echo "xmllint not found: run scripts/deps.sh (Debian package libxml2-utils)" >&2
  exit 1
}
for schema in junit-10 jenkins-junit; do
  if [[ ! -f "$schemas/$schema.xsd" ]]; then
    echo "no schema $schemas/$schema.xsd (tests/schemas/README.md)" >&2
    exit 1
  fi
  for file in "$@"; do
    xmllint --noout --schema "$schemas/$schema.xsd" "$file" || {
      echo "$file does not validate against $schema.xsd" >&2
      exit 1
    }
  done
done
