#!/usr/bin/env bash
# Installs what the image-analysis tests read from Debian's packages when it is missing (CI and fresh machines):
# photographs (mate-backgrounds, GPL-2+) and the font the tests render text with (fonts-dejavu-core).
set -euo pipefail
missing=()
[ -f /usr/share/backgrounds/mate/abstract/Elephants.jpg ] || missing+=(mate-backgrounds)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
if [ ${#missing[@]} -eq 0 ]; then
  echo "test photos: present"
  exit 0
fi
echo "test photos: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q "${missing[@]}" || { apt-get update -q && apt-get install -y -q "${missing[@]}"; }
