#!/usr/bin/env bash
# Frame times of the desktop window while a sharing sweep runs (issue 6: the window
# stays responsive, under 16 ms a frame). Opens the window on the demo cohort under
# Xvfb at 1280 x 800, starts Protect's "Sweep epsilon" with the mouse, lets it run,
# closes the window (discarding the unsaved sweep) and summarises `--frame-times`:
# every frame's CPU time (egui's layout and painting, not the wait for the screen).
#
# Usage: benchmarks/frame_time/run.sh [path/to/genopriv] [seconds of sweep]
# Needs Xvfb, xdotool and python3. The click positions are those of a 1280 x 800
# window with the default layout.
set -euo pipefail
BIN=${1:-target/release/genopriv}
SWEEP_SECONDS=${2:-60}
DISPLAY_NUMBER=:91
OUT=$(mktemp -d)
trap 'kill "$APP" "$XVFB" 2> /dev/null || true; rm -rf "$OUT"' EXIT

Xvfb "$DISPLAY_NUMBER" -screen 0 1280x800x24 > /dev/null 2>&1 &
XVFB=$!
sleep 2
export DISPLAY=$DISPLAY_NUMBER
HOME="$OUT" "$BIN" --sample-data --frame-times "$OUT/frames.csv" > "$OUT/app.log" 2>&1 &
APP=$!
sleep 15                                            # the demo cohort loads
click() { xdotool mousemove "$1" "$2" click 1; sleep 1; }
click 31 99                                         # Protect
click "$PANEL_X" "$PANEL_Y"                         # Use the bundled demo panel
click "$SWEEP_X" "$SWEEP_Y"                         # Sweep epsilon
sleep "$SWEEP_SECONDS"
xdotool key ctrl+q || true
xdotool search --name GenoPriv windowclose 2> /dev/null || true
sleep 2
click "$DISCARD_X" "$DISCARD_Y"                     # Save your work first? Discard changes
wait "$APP" || true

python3 - "$OUT/frames.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
for busy in ("true", "false"):
    times = sorted(float(r["cpu_ms"]) for r in rows if r["busy"] == busy)
    if not times:
        continue
    pick = lambda q: times[min(len(times) - 1, int(q * len(times)))]
    over = sum(t > 16.0 for t in times)
    label = "while the sweep ran" if busy == "true" else "idle"
    print(f"{label}: {len(times)} frames, median {pick(0.5):.2f} ms, 95th percentile "
          f"{pick(0.95):.2f} ms, max {times[-1]:.2f} ms, {over} over 16 ms")
PY
