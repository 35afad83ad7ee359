#!/usr/bin/env bash
# A backup → restore round trip of an archive with images, timed, and the restored site
# compared with the original page by page and byte by byte.
#   bash bench/backup.sh CORPUS.jsonl.gz [STORIES] [IMAGES]
# Builds an archive of STORIES (default 100000) copies of the corpus's stories with the release
# binary (or $KHOBOR_BIN), uploads IMAGES (default 300) generated photographs through the admin
# API as the hero images of as many stories (their variants made by the server), then times
# `khobor backup`, `khobor backup verify` and `khobor restore` (with /usr/bin/time: wall time
# and peak memory) and prints the backup's size. Finally it serves the original and the
# restored data directory side by side on loopback and compares the home page, every section
# page, the stories with images, the API entries of a sample of the others (their HTML with the
# relative times taken out; the related stories, drawn from each node's own search index,
# counted apart) and every media object those pages name (SHA-256).
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:?corpus file}; stories=${2:-100000}; images=${3:-300}
if [ -z "${KHOBOR_BIN:-}" ]; then
    cargo build --release --quiet --bin khobor
    KHOBOR_BIN="${CARGO_TARGET_DIR:-target}/release/khobor"
fi
bin=$KHOBOR_BIN
work=$(mktemp -d); a="$work/original"; b="$work/restored"; dest="$work/backups"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
timed() { # label, command...: wall time and peak RSS from /usr/bin/time
    local label=$1; shift
    /usr/bin/time -f "$label: %e s wall, %M KB peak RSS" "$@" 2> >(grep -v '^$' | tail -1 >&2) >/dev/null
}
serve() { # data dir: started on a free port ($served), waited for
    served=$(free_port)
    "$bin" serve --addr "127.0.0.1:$served" --base-url https://khobor.example --data "$1" >/dev/null 2>&1 & pids+=($!)
    for _ in $(seq 300); do curl -fs "http://127.0.0.1:$served/healthz" >/dev/null && break; sleep 0.1; done
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
timed "archive of $stories stories" "$bin" archive --from "$corpus" --stories "$stories" --data "$a"
echo "bench-backup-2026-pass" | "$bin" user add --email bench@khobor.test --name "বেঞ্চ" --role admin --password-stdin --data "$a" >/dev/null
token=$("$bin" token add --email bench@khobor.test --label bench --data "$a" | tail -1)
serve "$a"; port=$served
python3 - "http://127.0.0.1:$port" "$token" "$images" <<'PY'
import json, random, struct, sys, time, urllib.request, zlib
base, token, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def api(method, path, body=None, ctype="application/json"):
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": ctype})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"{}")
def png(w, h, seed):
    rnd = random.Random(seed)
    rows = []
    for y in range(h):
        row = bytearray([0])
        for x in range(w):
            row += bytes(((x * 255 // w + rnd.randrange(16)) & 255, (y * 255 // h) & 255, (seed * 37 + x ^ y) & 255))
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 6)
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
ids, page = [], 1
while len(ids) < n:
    got = api("GET", f"/api/v1/articles?page={page}&limit=100")["articles"]
    assert got, f"only {len(ids)} stories"
    ids += [a["id"] for a in got]
    page += 1
ids = ids[:n]
started = time.time()
media = []
for i in range(n):
    boundary = "khobor-bench-7d1c"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"alt\"\r\n\r\nছবি {i}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"chobi-{i}.png\"\r\n"
            "Content-Type: image/png\r\n\r\n").encode() + png(960, 640, i) + f"\r\n--{boundary}--\r\n".encode()
    m = api("POST", "/api/v1/admin/media", body, f"multipart/form-data; boundary={boundary}")
    media.append(m["media"]["id"])
while True:
    ready = sum(api("GET", f"/api/v1/admin/media/{m}")["media"]["status"] == "ready" for m in media)
    if ready == n:
        break
    time.sleep(0.5)
print(f"{n} images uploaded and their variants made in {time.time() - started:.1f} s")
for sid, mid in zip(ids, media):
    s = api("GET", f"/api/v1/admin/articles/{sid}")["article"]
    update = {k: s[k] for k in ("headline", "kicker", "summary", "body_html", "section", "tags", "authors",
                                "credit", "dateline", "signature", "hero_caption", "hero_credit", "version")}
    update["hero_media_id"] = mid
    api("PUT", f"/api/v1/admin/articles/{sid}", update)
PY
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true; pids=()

timed "khobor backup" "$bin" backup --to "$dest" --data "$a"
echo "backup size: $(du -sh "$dest" | cut -f1) ($(du -sh "$dest/media" | cut -f1) of it media, $(find "$dest/media" -type f | wc -l) objects)"
timed "khobor backup verify" "$bin" backup verify --from "$dest"
timed "khobor restore" "$bin" restore --from "$dest" --data "$b"

serve "$a"; pa=$served; serve "$b"; pb=$served
# Each node builds its own search index (related stories come from it): compare once both
# say they are ready.
for p in "$pa" "$pb"; do
    for _ in $(seq 3000); do curl -fs "http://127.0.0.1:$p/readyz" >/dev/null && break; sleep 0.2; done
done
python3 - "http://127.0.0.1:$pa" "http://127.0.0.1:$pb" "$images" <<'PY'
import hashlib, json, random, re, sys, urllib.parse, urllib.request
a, b, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
get = lambda base, path: urllib.request.urlopen(base + urllib.parse.quote(path, safe="/?=&%")).read()
strip = lambda html: re.sub(rb"<time[^>]*>.*?</time>", b"", html)
# "আরও পড়ুন" comes from each node's own search index (term statistics of an index built in
# another order can rank a borderline story differently): compared apart.
related = lambda html: b"".join(re.findall(rb'<section class="related".*?</section>', html, re.S))
unrelated = lambda html: re.sub(rb'<section class="related".*?</section>', b"", strip(html), flags=re.S)
related_same = related_pages = 0
paths = ["/", "/latest"] + [f"/{s['slug']}" for s in json.loads(get(a, "/api/v1/sections"))["sections"]]
stories = []
for page in range(1, (n + 99) // 100 + 2):
    listed = json.loads(get(a, f"/api/v1/articles?page={page}&limit=100"))["articles"]
    stories += [re.sub(r"^https?://[^/]+", "", x["url"]) for x in listed]
rnd = random.Random(7)
for _ in range(400):
    stories.append(f"/api/v1/articles/{rnd.randrange(1, 100000)}")
pages = same = 0
media = set()
for p in paths + stories:
    try:
        x = get(a, p)
    except urllib.error.HTTPError as e:
        try:
            get(b, p)
        except urllib.error.HTTPError as f:
            pages += 1; same += e.code == f.code
        continue
    y = get(b, p)
    pages += 1
    same += unrelated(x) == unrelated(y)
    if related(x) or related(y):
        related_pages += 1
        related_same += related(x) == related(y)
    if unrelated(x) != unrelated(y) and "KHOBOR_BENCH_DIFF" in __import__("os").environ:
        import difflib
        print(p); print("\n".join(list(difflib.unified_diff(strip(x).decode().splitlines(), strip(y).decode().splitlines(), lineterm=""))[:12]))
    media.update(re.findall(rb'/media/[A-Za-z0-9._-]+', x))
media_same = sum(hashlib.sha256(get(a, m.decode())).digest() == hashlib.sha256(get(b, m.decode())).digest() for m in media)
print(f"restored site: {same}/{pages} pages the same (relative times and related stories aside); "
      f"related stories the same on {related_same}/{related_pages}; {media_same}/{len(media)} media objects byte for byte")
PY
