#!/usr/bin/env bash
# Debian packages the test suite needs: Chromium for the browser tests (driven by Playwright
# through executable_path; Playwright never downloads a browser of its own); pango for WeasyPrint
# (PDF reports and label sheets); zbar-tools (zbarimg) to decode QR codes on rendered labels;
# poppler-utils (pdftoppm, pdftotext) to rasterise and read PDFs; DejaVu fonts for stable rendering
# (embedded in every PDF; reports/longlog.py reads their files);
# libharfbuzz-subset0, which WeasyPrint uses to subset fonts (its fontTools fallback is about
# ten times slower); PostgreSQL 15 or newer, whose binaries (initdb, pg_ctl) the store tests run as
# a throwaway server of their own (tests/pg.py), never as the system service.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
has_postgres=""
for initdb in /usr/lib/postgresql/*/bin/initdb; do
  version=$(basename "$(dirname "$(dirname "$initdb")")")
  [[ "$version" =~ ^[0-9]+$ ]] && [ "$version" -ge 15 ] && [ -x "$initdb" ] && has_postgres=yes
done
[ -n "$has_postgres" ] || missing+=(postgresql)
for pkg in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 zbar-tools poppler-utils fonts-dejavu-core; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing Debian packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
