#!/usr/bin/env bash
# Debian packages ShowClear needs, in two sets:
#   demo  what the app itself uses (`make demo`): pango for WeasyPrint (PDF reports and label
#         sheets); libharfbuzz-subset0, which WeasyPrint uses to subset fonts (its fontTools
#         fallback is about ten times slower); DejaVu fonts for stable rendering
#         (embedded in every PDF; reports/longlog.py reads their files).
#   test  the demo's packages and what only the test suite uses (`make test`): Chromium for the
#         browser tests (driven by Playwright through executable_path; Playwright never
#         downloads a browser of its own); zbar-tools (zbarimg) to decode QR codes on rendered
#         labels; poppler-utils (pdftoppm, pdftotext) to rasterise and read PDFs; PostgreSQL 15
#         or newer, whose binaries (initdb, pg_ctl) the store tests run as a throwaway server of
#         their own (tests/pg.py), never as the system service.
# Usage: install-system-deps.sh [demo|test] [--list]   (default: test; --list prints, installs nothing)
set -euo pipefail
set_name="test"
list_only=""
for arg in "$@"; do
  case "$arg" in
    demo|test) set_name="$arg" ;;
    --list) list_only=yes ;;
    *) echo "usage: $0 [demo|test] [--list]" >&2; exit 2 ;;
  esac
done
demo_packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)
test_packages=(zbar-tools poppler-utils)
packages=("${demo_packages[@]}")
[ "$set_name" = test ] && packages+=("${test_packages[@]}")
if [ -n "$list_only" ]; then
  extra=()
  [ "$set_name" = test ] && extra=(chromium postgresql)
  printf '%s\n' "${packages[@]}" "${extra[@]}"
  exit 0
fi
missing=()
if [ "$set_name" = test ]; then
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  has_postgres=""
  for initdb in /usr/lib/postgresql/*/bin/initdb; do
    version=$(basename "$(dirname "$(dirname "$initdb")")")
    [[ "$version" =~ ^[0-9]+$ ]] && [ "$version" -ge 15 ] && [ -x "$initdb" ] && has_postgres=yes
  done
  [ -n "$has_postgres" ] || missing+=(postgresql)
fi
for pkg in "${packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing Debian packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
