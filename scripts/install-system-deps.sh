#!/usr/bin/env bash
# Debian packages the test suite needs: Chromium for the browser tests (driven by Playwright
# through executable_path; Playwright never downloads a browser of its own); pango for WeasyPrint
# (PDF reports and label sheets); zbar-tools (zbarimg) to decode QR codes on rendered labels;
# poppler-utils (pdftoppm, pdftotext) to rasterise and read PDFs; DejaVu fonts for stable rendering;
# libharfbuzz-subset0, which WeasyPrint uses to subset fonts (its fontTools fallback is about
# ten times slower).
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
for pkg in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 zbar-tools poppler-utils fonts-dejavu-core; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing Debian packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
