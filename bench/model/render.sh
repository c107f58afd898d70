#!/usr/bin/env bash
# Renders the example threat-model reports and diagrams to PNG with headless Chromium, so a person
# (or a review) can look at them: `bench/model/render.sh [OUT_DIR]` (default target/model-render).
# Needs: a built skjold binary with the `model` command (or SKJOLD=path), and `chromium`
# (Debian: apt-get install -y chromium).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="${1:-target/model-render}"
SKJOLD="${SKJOLD:-target/release/skjold}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
CHROME="$(command -v chromium || command -v chromium-browser || command -v google-chrome)"
shot() { # shot INPUT PNG WIDTH HEIGHT
  "$CHROME" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --hide-scrollbars \
    --screenshot="$2" --window-size="$3,$4" "file://$1" >/dev/null 2>&1
}
for m in examples/models/*.yaml; do
  n="$(basename "$m" .yaml)"
  "$SKJOLD" model check "$m" --format html --out "$OUT/$n.html" --date 2026-06-01 || true
  "$SKJOLD" model diagram "$m" --out "$OUT/$n.svg"
  shot "$OUT/$n.html" "$OUT/$n-report.png" 1400 2400
  shot "$OUT/$n.svg" "$OUT/$n-diagram.png" 1600 1500
  echo "$OUT/$n-report.png $OUT/$n-diagram.png"
done
