#!/usr/bin/env bash
# A screenshot of the built app's window on its demo account, under Xvfb with openbox:
#   scripts/screenshot_app.sh [BINARY] [OUT.png]
# (defaults: dist/desk-billing/desk-billing, resources/screenshots/frozen-demo.png). Needs Xvfb,
# openbox, xdotool and ImageMagick; writes nothing but OUT.png outside a temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."
binary="$(realpath "${1:-dist/desk-billing/desk-billing}")"
out="${2:-resources/screenshots/frozen-demo.png}"
for tool in Xvfb openbox xdotool import convert; do
    command -v "$tool" >/dev/null || { echo "$0: $tool is needed" >&2; exit 1; }
done

scratch="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$scratch"
}
trap cleanup EXIT

display=90
while [ -e "/tmp/.X11-unix/X$display" ]; do display=$((display + 1)); done
export DISPLAY=":$display"
# Larger than the window, so the whole window and its frame are on the screen.
Xvfb "$DISPLAY" -screen 0 1440x900x24 -nolisten tcp >"$scratch/xvfb.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$display" ] && break; sleep 0.1; done
openbox >"$scratch/openbox.log" 2>&1 &
pids+=($!)

DESK_BILLING_HOME="$scratch/home" QT_QPA_PLATFORM=xcb "$binary" demo >"$scratch/demo.log" 2>&1 &
pids+=($!)
window="$(timeout 60 xdotool search --sync --onlyvisible --class desk-billing | head -1)"
xdotool windowsize "$window" 1280 800
sleep 8 # the first sync fills the lists
import -frame -window "$window" "$scratch/shot.png" # with openbox's title bar
# A palette of 256 colours: a third of the size, and the UI's flat colours come out the same.
convert "$scratch/shot.png" +repage -strip -colors 256 -define png:compression-level=9 "$out"
echo "$out: $(identify -format '%wx%h' "$out"), $(du -h "$out" | cut -f1)"
if grep -Ei "traceback|unexpected error|could not" "$scratch/demo.log"; then
    echo "$0: the app reported errors (above)" >&2
    exit 1
fi
