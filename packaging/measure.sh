#!/usr/bin/env bash
# Measures an installed GenoPriv: installed size, start to first frame, and
# resident memory at idle with the sample cohort loaded. Usage:
#   cargo deb -p genopriv-app            # the release package
#   packaging/measure.sh target/debian/genopriv_*.deb
# Needs dpkg-deb, Xvfb and xdotool. eframe shows its window only once the first
# frame is painted, so "first frame" is the moment the window becomes visible.
set -euo pipefail
deb=${1:?usage: packaging/measure.sh PACKAGE.deb}
scratch=$(mktemp -d)
trap 'kill "${gui:-}" "${xvfb:-}" 2> /dev/null || true; rm -rf "$scratch"' EXIT

dpkg-deb -x "$deb" "$scratch/root"
echo "package file:      $(du -h "$deb" | cut -f1)"
echo "installed size:    $(du -sh "$scratch/root" | cut -f1) ($(du -sh "$scratch/root/usr/bin/genopriv" | cut -f1) binary)"

Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3> "$scratch/display" 2> /dev/null &
xvfb=$!
for _ in $(seq 100); do [ -s "$scratch/display" ] && break; sleep 0.05; done
export DISPLAY=":$(cat "$scratch/display")"
export HOME="$scratch/home"
mkdir -p "$HOME"
unset WAYLAND_DISPLAY

start=$(date +%s.%N)
"$scratch/root/usr/bin/genopriv" --sample-data > /dev/null 2>&1 &
gui=$!
until xdotool search --onlyvisible --name '^GenoPriv$' > /dev/null 2>&1; do
  sleep 0.01
done
shown=$(date +%s.%N)
echo "first frame:       $(awk -v a="$start" -v b="$shown" 'BEGIN {printf "%.2f", b - a}') s after start"

# Let the sample load and the window settle, then read the resident memory.
sleep 10
echo "idle memory (RSS): $(awk '/^VmRSS/ {printf "%.0f MB", $2 / 1024}' "/proc/$gui/status") with the sample cohort loaded"
