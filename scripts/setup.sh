#!/usr/bin/env bash
# Set up ptgen on a fresh Debian machine: the system packages the renderers need, then a virtual
# environment in .venv with ptgen and its test tools. Safe to run again; it only installs what is missing.
#   bash scripts/setup.sh          what building needs
#   bash scripts/setup.sh --test   and what only the tests need (a headless browser)
set -euo pipefail
cd "$(dirname "$0")/.."
TEST=""
for arg in "$@"; do
  case "$arg" in
    --test) TEST=1 ;;
    *) echo "usage: bash scripts/setup.sh [--test]   (unknown option: $arg)" >&2; exit 2 ;;
  esac
done
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "ptgen needs Python 3.11 or newer (found: $("$PY" --version 2>&1))." >&2
  exit 3
fi

# Debian packages:
#   fonts-noto-cjk           the CJK fonts the PDF embeds (without them Chinese would print as boxes)
#   libharfbuzz-subset0      fast font subsetting for WeasyPrint (several times faster than fontTools)
#   libpango-1.0-0 libpangoft2-1.0-0  WeasyPrint's text layout
#   libreoffice-writer-nogui `ptgen build --update-toc` and the tests' DOCX → PDF check
#   poppler-utils            pdftotext / pdffonts / pdftoppm, used by the tests
PACKAGES="fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 libreoffice-writer-nogui poppler-utils"
# Only with --test (the tests' headless browser; building never needs one):
#   chromium chromium-driver  screenshots and printing of the HTML pages (Selenium drives
#                             /usr/bin/chromedriver, of the same Debian release as the browser)
if [ -n "$TEST" ]; then
  PACKAGES="$PACKAGES chromium chromium-driver"
fi
missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
  echo "[1/3] Debian packages: all present ($PACKAGES)"
else
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "[1/3] Debian packages: installing$missing (apt-get; a few minutes on a fresh machine)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "ptgen needs these Debian packages:$missing" >&2
    echo "Install them with: sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 3
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "[2/3] virtual environment: creating .venv with $("$PY" --version 2>&1)"
  "$PY" -m venv .venv
else
  echo "[2/3] virtual environment: .venv already there"
fi
echo "[3/3] pip: installing ptgen (editable) with its libraries and test tools into .venv (about a minute the first time)"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
echo "done: .venv/bin/ptgen is ready (run .venv/bin/ptgen --help)"
