#!/usr/bin/env bash
# Regenerates shaping.txt: HarfBuzz's own shaping (Debian's hb-shape, package libharfbuzz-bin)
# of every line of shaping_cases.txt with the committed Noto Sans Bengali, regular and bold.
# crates/card/tests/shaping.rs holds the card's shaping to it; likewise shaping-latin.txt from
# shaping_cases_latin.txt with Noto Sans. With arguments, writes those two files instead (the
# live test compares a fresh run with the committed files).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
fonts="$here/../../fonts"
out="${1:-$here/shaping.txt}"
command -v hb-shape >/dev/null || {
  echo "hb-shape is missing: install Debian's libharfbuzz-bin (scripts/setup.sh does)" >&2
  exit 1
}
# A fixed locale: hb-shape takes its default language from it. The script is given: hb-shape
# would take it from the first letter, and "BNP-র নেতা" would be shaped as Latin (ে left after
# ন, not reordered before it); the card shapes each script's run with its own script.
export LC_ALL=C.UTF-8
{
  echo "# HarfBuzz's shaping of shaping_cases.txt with crates/card/fonts/NotoSansBengali-*.ttf,"
  echo "# made by regen.sh with $(hb-shape --version | head -n 1)."
  echo "# weight<TAB>text<TAB>hb-shape --no-glyph-names --utf8-clusters --script=beng
#   (glyph=cluster byte offset[@x offset,y offset]+x advance, in font units)"
  for weight in Regular Bold; do
    paste \
      <(sed "s/^/${weight}\t/" "$here/shaping_cases.txt") \
      <(hb-shape --no-glyph-names --utf8-clusters --script=beng \
        --text-file="$here/shaping_cases.txt" "$fonts/NotoSansBengali-$weight.ttf")
  done
} >"$out"

# Latin-only text (codes, addresses, English names) is shaped by the card with Noto Sans alone.
latin_out="${2:-$here/shaping-latin.txt}"
{
  echo "# HarfBuzz's shaping of shaping_cases_latin.txt with crates/card/fonts/NotoSans-*.ttf,"
  echo "# made by regen.sh with $(hb-shape --version | head -n 1)."
  echo "# weight<TAB>text<TAB>hb-shape --no-glyph-names --utf8-clusters --script=latn
#   (glyph=cluster byte offset[@x offset,y offset]+x advance, in font units)"
  for weight in Regular Bold; do
    paste \
      <(sed "s/^/${weight}\t/" "$here/shaping_cases_latin.txt") \
      <(hb-shape --no-glyph-names --utf8-clusters --script=latn \
        --text-file="$here/shaping_cases_latin.txt" "$fonts/NotoSans-$weight.ttf")
  done
} >"$latin_out"
