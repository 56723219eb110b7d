#!/usr/bin/env bash
# Set up ptgen on a fresh Debian machine: a virtual environment in .venv with ptgen and its test tools.
# Safe to run again; it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "ptgen needs Python 3.11 or newer (found: $("$PY" --version 2>&1))." >&2
  exit 3
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
