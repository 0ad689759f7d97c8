#!/usr/bin/env bash
# Installs Debian's Chromium for the browser suite (pnpm test:browser) when it is missing: playwright-core drives
# /usr/bin/chromium and downloads no browser of its own. Needs root (CI runs as root) and Debian's package lists.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo present)"
  exit 0
fi
echo "chromium: installing from Debian's packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q chromium
/usr/bin/chromium --version
