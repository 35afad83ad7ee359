#!/usr/bin/env python3
"""Every speed goal of Khobor's in one run, each beside its reference, with the machine it ran on.

  * import: the corpus copied (new ids) to about STORIES stories (default 100,000) as JSON
    Lines, then `khobor import jsonl` into a fresh data directory: stories/s;
  * reindex of that store: indexing and related stories, stories/s, wall time, peak memory;
    with ARCHIVE=N (e.g. 1000000) also `khobor archive` of N stories and its reindex;
  * search at concurrency 1 over that store: plain, Banglish and section-filtered queries from
    the queries TSV, p50/p99;
  * a story page not rendered yet on every request (each request a different story), c16;
  * the cache-warm story page next to nginx serving the same bytes as a static file, plain
    and gzip (nginx's `gzip_static` of the very bytes Khobor sends), at concurrency 16 and 64;
  * an article's first view: the bytes a browser with a Bengali system font downloads
    (compressed HTML, stylesheets, scripts, icon), and the web fonts one without it adds.

Usage: python3 bench/speed.py CORPUS.jsonl.gz QUERIES.tsv (bench/speed.sh builds what it needs).
DURATION (seconds per wrk run, default 10), STORIES and ARCHIVE may be set in the environment.
"""
import gzip, json, os, re, shutil, subprocess, sys, tempfile, time, urllib.parse, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import spike  # noqa: E402  (the server, wrk and nginx helpers)

ROOT = spike.ROOT
BIN = spike.BIN
STORIES = int(os.environ.get("STORIES", "100000"))
ARCHIVE = int(os.environ.get("ARCHIVE", "0"))
ROTATE = os.path.join(ROOT, "bench", "rotate.lua")
results = []  # (what, Khobor, reference, goal, met)


def note(what, measured, reference, goal, met):
    results.append((what, measured, reference, goal, "yes" if met else "**no**"))
    print(f"  {what}: {measured}  ({reference}; goal {goal})", flush=True)


def timed(*args):
    """Runs a khobor command; returns (stdout, wall seconds, peak resident MiB of that process)."""
    probe = ("import resource, subprocess, sys, time\n"
             "t = time.monotonic(); p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
             "sys.stderr.write(p.stderr); print(p.stdout, end='')\n"
             "print(f'@@ {time.monotonic() - t:.3f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}')\n"
             "sys.exit(p.returncode)\n")
    out = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(args[:2])} failed:\n{out.stderr[-2000:]}")
    body, _, tail = out.stdout.rpartition("@@ ")
    secs, kb = tail.split()
    return body, float(secs), int(kb) / 1024


def corpus_copies(corpus, stories, out):
    rows = [json.loads(line) for line in gzip.open(corpus, "rt", encoding="utf-8") if line.strip()]
    copies = max(1, -(-stories // len(rows)))
    with open(out, "w", encoding="utf-8") as f:
        for c in range(copies):
            for r in rows:
                r = dict(r)
                r["id"] = f"{r['id']}-{c}"
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return copies * len(rows)


def reindex(data, label):
    out, secs, peak = timed(BIN, "reindex", "--data", data)
    indexed = re.search(r"indexed (\d+) stories in ([\d.]+) s \((\d+) stories/s\)", out)
    related = re.search(r"related stories worked out for (\d+) stories in ([\d.]+) s \((\d+) stories/s\)", out)
    n = int(indexed.group(1))
    # The goal is 300 s for a million stories; a smaller store is held to its share of that.
    goal = 300 * n / 1_000_000
    note(f"`khobor reindex`, {n:,} stories ({label})",
         f"{secs:.0f} s: index {indexed.group(3)}/s, related {related.group(3)}/s; peak {peak:.0f} MiB",
         "before issue 16: ~25 + ~17 min at 1,000,000", f"< {goal:.0f} s (300 s a million)", secs < goal)
    return n


def search(base, queries, work):
    section = json.loads(spike.get(base + "/api/v1/sections"))["sections"][-1]["slug"]
    kinds = {"plain": [], "Banglish": [], "filtered": []}
    for i, line in enumerate(open(queries, encoding="utf-8")):
        cols = line.rstrip("\n").split("\t")
        if i == 0 or len(cols) < 3:
            continue
        q = urllib.parse.quote(cols[2])
        if cols[1] == "banglish":
            kinds["Banglish"].append(f"/api/v1/search?q={q}")
        else:
            kinds["plain"].append(f"/api/v1/search?q={q}")
            kinds["filtered"].append(
                f"/api/v1/search?q={q}&section={urllib.parse.quote(section)}&from=2000-01-01")
    for kind, paths in kinds.items():
        file = os.path.join(work, f"search-{kind}.txt")
        with open(file, "w") as f:
            f.write("\n".join(paths) + "\n")
        r = spike.wrk(base, 1, ROTATE, {"PATHS": file})
        note(f"search, {kind} ({len(paths)} queries cycled), c1", f"p50 {r[1]:.2f} ms, p99 {r[2]:.2f} ms",
             "before issue 16: p99 41.8 ms plain, 56 ms Banglish", "p99 < 20 ms", r[2] < 20 and r[3] == 0)


def new_story_every_request(base, data, work, label):
    import sqlite3
    db = sqlite3.connect(f"file:{data}/khobor.db?mode=ro", uri=True)
    file = os.path.join(work, "stories.txt")
    spike.story_paths(db, file, "DESC")
    r = spike.wrk(base, 16, ROTATE, {"PATHS": file})
    note(f"story page not rendered yet, a new story every request, c16 ({label})",
         f"{r[0]:,.0f} req/s, p99 {r[2]:.1f} ms, {r[3]} errors",
         "before issue 16: 4,215/s at 1,000,000", ">= 5,000/s", r[0] >= 5000 and r[3] == 0)


def cached_vs_nginx(base, work):
    article = re.sub(r"^https?://[^/]+", "", json.loads(spike.get(base + "/api/v1/articles?limit=1"))["articles"][0]["url"])
    plain = spike.get(base + article)
    req = urllib.request.Request(base + article, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.headers.get("Content-Encoding") == "gzip", "the story page was not sent gzip-compressed"
        packed = r.read()
    nginx, url = spike.nginx_serving(plain, os.path.join(work, "nginx"), packed)
    try:
        for label, headers, size, goal in (("plain", None, len(plain), 0.9),
                                           ("gzip", {"Accept-Encoding": "gzip"}, len(packed), 0.95)):
            for conc in (16, 64):
                k = spike.wrk(base + article, conc, headers=headers)
                n = spike.wrk(url, conc, headers=headers)
                note(f"cache-warm story page, {label} ({size:,} bytes), c{conc}",
                     f"{k[0]:,.0f} req/s, p99 {k[2]:.2f} ms ({k[0] / n[0]:.2f}× nginx)",
                     f"nginx {n[0]:,.0f} req/s, p99 {n[2]:.2f} ms", f">= {goal}× nginx",
                     k[0] / n[0] >= goal and k[3] == 0)
    finally:
        nginx.terminate()
        nginx.wait()
    return article


def first_view(base, article):
    def fetch(path):
        req = urllib.request.Request(urllib.parse.urljoin(base, path), headers={"Accept-Encoding": "br, gzip"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.read(), r.headers.get("Content-Encoding")
    html, encoding = fetch(article)
    text = spike.get(base + article).decode()
    assets = set(re.findall(r'<link[^>]+rel="(?:stylesheet|icon|preload)"[^>]*href="([^"]+)"', text))
    assets |= set(re.findall(r'<link[^>]+href="([^"]+)"[^>]*rel="(?:stylesheet|icon)"', text))
    assets |= set(re.findall(r'<script[^>]+src="([^"]+)"', text))
    if not any("favicon" in a or a.endswith(".ico") for a in assets):
        assets.add("/favicon.ico")
    total, fonts = len(html), 0
    for a in sorted(assets):
        body, _ = fetch(a)
        total += len(body)
        if urllib.parse.urlsplit(a).path.endswith(".css"):
            # Read plain: the copy counted above is compressed.
            css = spike.get(urllib.parse.urljoin(base, a)).decode(errors="replace")
            for font in set(re.findall(r'url\("?([^")]+\.woff2[^")]*)"?\)', css)):
                fonts += len(fetch(font)[0])
    note("an article's first view with a Bengali system font",
         f"{total / 1024:.1f} KB (HTML {len(html) / 1024:.1f} KB {encoding}; {len(assets)} files beside it)",
         f"without a Bengali font the web fonts add {fonts / 1024:.0f} KB; before issue 16: 154 KB",
         "<= 50 KB", total <= 50 * 1024)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    corpus, queries = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="khobor-speed-")
    os.chmod(work, 0o755)  # nginx's workers run as an unprivileged user
    procs = []
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
        mem = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")) / 1024 / 1024
        commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        print(f"machine: {cpu}, {os.cpu_count()} cores, {mem:.0f} GB; kernel {os.uname().release}; "
              f"khobor {commit or '?'}; {time.strftime('%Y-%m-%d %H:%M')}; load average {os.getloadavg()[0]:.2f}")
        print(f"wrk and the servers share the cores; {spike.DURATION} s per wrk run\n", flush=True)

        jsonl = os.path.join(work, "corpus.jsonl")
        n = corpus_copies(corpus, STORIES, jsonl)
        data = os.path.join(work, "data")
        out, secs, _ = timed(BIN, "import", "jsonl", jsonl, "--data", data)
        os.remove(jsonl)
        note(f"`khobor import jsonl`, {n:,} stories", f"{n / secs:,.0f} stories/s ({secs:.1f} s)",
             "before issue 16: 1,392/s", ">= 5,000/s", n / secs >= 5000)
        reindex(data, "the imported corpus")

        server, base, _ = spike.serve(data)
        procs.append(server)
        search(base, queries, work)
        new_story_every_request(base, data, work, f"{n:,} stories")
        article = cached_vs_nginx(base, work)
        first_view(base, article)
        server.terminate()
        server.wait()
        procs.remove(server)
        shutil.rmtree(data, ignore_errors=True)

        if ARCHIVE:
            big = os.path.join(work, "archive")
            out, secs, _ = timed(BIN, "archive", "--from", corpus, "--stories", str(ARCHIVE), "--data", big)
            print(f"  (archive of {ARCHIVE:,} stories built in {secs:.0f} s)", flush=True)
            total = reindex(big, "an archive")
            server, base, _ = spike.serve(big)
            procs.append(server)
            new_story_every_request(base, big, work, f"{total:,} stories")
            server.terminate()
            server.wait()
            procs.remove(server)

        print("\n| what | Khobor | reference | goal | met |")
        print("|---|---|---|---|---|")
        for r in results:
            print("| " + " | ".join(r) + " |")
    finally:
        for p in procs:
            p.terminate()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
