#!/usr/bin/env bash
# Screenshots of a `wrnn report` page as a desktop (1400 px) and a phone (400 px) show it, with
# headless Chromium (Debian: apt-get install chromium), to check that the page reads at both widths.
#   scripts/report_screenshots.sh RUN_DIR/report.html [OUT_PREFIX]
# writes OUT_PREFIX-1400.png and OUT_PREFIX-400.png (default: beside the report).
set -euo pipefail
report=${1:?usage: scripts/report_screenshots.sh REPORT.html [OUT_PREFIX]}
prefix=${2:-${report%.html}}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$browser" ] || { echo "report_screenshots: no Chromium found; apt-get install chromium" >&2; exit 69; }
for width in 1400 400; do
    "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size="$width,2400" \
        --screenshot="$prefix-$width.png" "file://$(realpath "$report")" >/dev/null 2>&1
    echo "wrote $prefix-$width.png"
done
