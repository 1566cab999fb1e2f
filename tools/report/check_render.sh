#!/usr/bin/env bash
# check_render.sh REPORT.html OUT.png: renders a `retune report` page in headless Chromium and
# checks that it survived: every <svg> of the file is in the parsed DOM, and the screenshot is
# not blank (it has more than a handful of distinct colours). Exits non-zero with a message
# otherwise. Needs chromium (apt-get install -y chromium) and python3.
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 REPORT.html OUT.png" >&2
  exit 2
fi
report=$(realpath "$1")
out=$2
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "check_render: chromium not found" >&2; exit 2; }
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars)

expected=$(grep -o '<svg' "$report" | wc -l)
dom=$("$browser" "${flags[@]}" --dump-dom "file://$report" 2>/dev/null)
parsed=$(grep -o '<svg' <<<"$dom" | wc -l)
if [ "$parsed" -ne "$expected" ]; then
  echo "check_render: $report has $expected <svg> elements, the parsed page $parsed" >&2
  exit 1
fi

"$browser" "${flags[@]}" --screenshot="$out" --window-size=1280,4000 "file://$report" \
  >/dev/null 2>&1
python3 - "$out" <<'PY'
import struct, sys, zlib

path = sys.argv[1]
data = open(path, "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG"
pos, idat, header = 8, b"", None
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if kind == b"IHDR":
        header = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat += body
    pos += 12 + length
width, height, depth, colour_type = header[:4]
assert depth == 8 and colour_type in (2, 6), f"{path}: unexpected PNG format {header}"
channels = 3 if colour_type == 2 else 4
raw = zlib.decompress(idat)
stride = width * channels
previous = bytearray(stride)
colours = set()
for y in range(height):
    start = y * (stride + 1)
    kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
    for i in range(stride):
        left = line[i - channels] if i >= channels else 0
        up = previous[i]
        corner = previous[i - channels] if i >= channels else 0
        if kind == 1: line[i] = (line[i] + left) & 255
        elif kind == 2: line[i] = (line[i] + up) & 255
        elif kind == 3: line[i] = (line[i] + (left + up) // 2) & 255
        elif kind == 4:
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
    if y % 4 == 0:
        for x in range(0, stride, channels * 2):
            colours.add(bytes(line[x:x + 3]))
    previous = line
print(f"{path}: {width}x{height}, {len(colours)} distinct colours")
if len(colours) < 16:
    sys.exit(f"check_render: {path} looks blank ({len(colours)} distinct colours)")
PY
echo "check_render: ok: $expected <svg> elements parsed; screenshot $out"
