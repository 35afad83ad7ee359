#!/usr/bin/env python3
"""What bounds Khobor's memory under a mixed reader load, against the release binary.

For each page-cache budget given ([cache] memory_mb), starts `khobor serve` on DATA_DIR and
runs three wrk clients at once for DURATION seconds:

  * article pages, each request a different story (ARTICLES of them, cycled: the page
    cache fills to its budget and must evict);
  * search, each request a different query (words from the stories' headlines);
  * lists and feeds: home, every section, /latest, archive days, tag pages, the feeds and API
    pages, cycled.

Samples the server's own memory (RssAnon: the heap, not the memory-mapped index files, which
the kernel may drop) every 0.2 s and prints the peak in the first and in the second half of the
run (memory that is bounded levels off: the second half peaks no higher), the value after the
run, the page cache's own count of bytes held (from /metrics), and the requests per second and
errors of each client.

Usage: python3 bench/memory.py DATA_DIR [MEMORY_MB ...]   (default budgets: 16 64 256)
bench/memory.sh builds the binary and installs wrk first. DURATION (default 30) and ARTICLES
(default 20000) may be set in the environment, CLIENTS (default
articles,searches,lists) to run only some of the clients, and WINDOWS (e.g. 10 with
DURATION=600) to print the peak in each stretch of a long soak.
"""
import os, shutil, sqlite3, subprocess, sys, tempfile, threading, time, urllib.parse, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
BIN = os.path.join(TARGET, "release", "khobor")
DURATION = int(os.environ.get("DURATION", "30"))
# Which clients run (a subset shows what each kind of page costs).
CLIENTS = os.environ.get("CLIENTS", "articles,searches,lists").split(",")
ARTICLES = int(os.environ.get("ARTICLES", "20000"))
# With more than 2, also the peak in each of WINDOWS equal stretches (a long soak's curve).
WINDOWS = int(os.environ.get("WINDOWS", "2"))
ROTATE = os.path.join(ROOT, "bench", "rotate.lua")


def status_kib(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


def q(s):
    return urllib.parse.quote(s, safe="")


def paths(data):
    """(article paths, search paths, list paths) from the store itself."""
    db = sqlite3.connect(f"file:{os.path.join(data, 'khobor.db')}?mode=ro", uri=True)
    rows = db.execute(
        "SELECT a.id, s.slug, a.headline, a.published_at FROM articles a JOIN sections s ON s.id = a.section_id "
        "WHERE a.status = 'published' ORDER BY a.id DESC LIMIT ?", (ARTICLES,)).fetchall()
    articles = [f"/{q(slug)}/{id}" for id, slug, _, _ in rows]
    words = []
    for _, _, headline, _ in rows[:3000]:
        words.extend(w for w in headline.split() if len(w) > 3)
    searches = [f"/search?q={q(w)}" for w in dict.fromkeys(words)][:5000]
    sections = [slug for (slug,) in db.execute("SELECT slug FROM sections")]
    tags = [slug for (slug,) in db.execute("SELECT slug FROM tags LIMIT 200")]
    days = sorted({time.strftime("%Y/%m/%d", time.gmtime(p)) for _, _, _, p in rows if p})[-300:]
    lists = ["/", "/latest", "/feed.xml", "/atom.xml", "/feed.json", "/sitemap.xml", "/sitemaps/news.xml"]
    lists += [f"/{q(s)}" for s in sections] + [f"/{q(s)}/feed.xml" for s in sections]
    lists += [f"/tag/{q(t)}" for t in tags] + [f"/archive/{d}" for d in days]
    lists += [f"/api/v1/articles?page={n}" for n in range(1, 200)]
    db.close()
    return articles, searches, lists


def serve(data, config):
    p = subprocess.Popen([BIN, "serve", "--addr", "127.0.0.1:0", "--data", data, "--config", config],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    base = "http://" + p.stdout.readline().split("http://")[1].strip().rstrip("/")
    # Polled until ready (its search index may be built first), with a deadline.
    deadline = time.monotonic() + 300
    while True:
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=5) as r:
                if r.status == 200:
                    return p, base
        except OSError:
            pass
        if time.monotonic() > deadline:
            p.terminate()
            sys.exit(f"{base}/readyz did not answer 200 within 300 s")
        time.sleep(0.05)


def wrk(base, conc, path_file, out):
    threads = min(2, conc)
    r = subprocess.run(["wrk", f"-t{threads}", f"-c{conc}", f"-d{DURATION}s", "-s", ROTATE, base],
                       capture_output=True, text=True, env=dict(os.environ, PATHS=path_file, THREADS=str(threads)))
    reqs, errors = 0, 0
    for line in r.stdout.splitlines():
        line = line.strip()
        if "requests in" in line:
            reqs = int(line.split()[0])
        if line.startswith("Non-2xx") or line.startswith("Socket errors"):
            errors += sum(int(x) for x in line.replace(",", " ").split() if x.isdigit())
    out.append((reqs, errors))


def cache_bytes(base):
    """What the page and fragment caches are charged for, from /metrics."""
    held = None
    with urllib.request.urlopen(base + "/metrics", timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line.startswith("khobor_cache_size_bytes{"):
                held = (held or 0) + int(float(line.split()[-1]))
    return held


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: bash bench/memory.sh installs it (apt-get install wrk)")
    data = sys.argv[1]
    budgets = [int(x) for x in sys.argv[2:]] or [16, 64, 256]
    articles, searches, lists = paths(data)
    print(f"{len(articles):,} article pages, {len(searches):,} searches, {len(lists):,} lists; "
          f"{DURATION} s per run; article c=32, search c=8, lists c=8\n")
    print("| cache memory_mb | own memory at start | peak, first half | peak, second half | after the run | page cache holds | articles/s | searches/s | lists/s | errors |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as work:
        files = {}
        for name, items in (("articles", articles), ("searches", searches), ("lists", lists)):
            files[name] = os.path.join(work, f"{name}.txt")
            with open(files[name], "w") as f:
                f.write("\n".join(items) + "\n")
        for mb in budgets:
            config = os.path.join(work, f"cache-{mb}.toml")
            with open(config, "w") as f:
                f.write(f"[cache]\nmemory_mb = {mb}\n")
            server, base = serve(data, config)
            start = status_kib(server.pid)["RssAnon"]
            samples = []
            done = threading.Event()
            began = time.monotonic()

            def sample():
                while not done.is_set():
                    samples.append((time.monotonic() - began, status_kib(server.pid)["RssAnon"]))
                    done.wait(0.2)

            sampler = threading.Thread(target=sample)
            sampler.start()
            results = {name: [] for name in files}
            clients = [threading.Thread(target=wrk, args=(base, conc, files[name], results[name]))
                       for name, conc in (("articles", 32), ("searches", 8), ("lists", 8))
                       if name in CLIENTS]
            for c in clients:
                c.start()
            for c in clients:
                c.join()
            done.set()
            sampler.join()
            after = status_kib(server.pid)["RssAnon"]
            # Bounded memory levels off: the second half of the run peaks no higher than the first.
            half = DURATION / 2
            first = max((kib for t, kib in samples if t < half), default=start)
            second = max((kib for t, kib in samples if t >= half), default=start)
            held = cache_bytes(base)
            server.terminate()
            server.wait()
            rate = {n: (r[0][0] / DURATION if r else 0) for n, r in results.items()}
            errors = sum(r[0][1] for r in results.values() if r)
            held_text = f"{held / 2**20:.0f} MiB" if held is not None else "?"
            print(f"| {mb} | {start / 1024:.0f} MiB | {first / 1024:.0f} MiB | {second / 1024:.0f} MiB | {after / 1024:.0f} MiB | {held_text} | "
                  f"{rate['articles']:,.0f} | {rate['searches']:,.0f} | {rate['lists']:,.0f} | {errors} |", flush=True)
            if WINDOWS > 2:
                # A longer soak: the peak in each of WINDOWS equal stretches of the run.
                step = DURATION / WINDOWS
                peaks = [max((kib for t, kib in samples if k * step <= t < (k + 1) * step), default=0)
                         for k in range(WINDOWS)]
                print(f"  memory_mb {mb}, peak in each {step:.0f} s: "
                      + ", ".join(f"{p / 1024:.0f}" for p in peaks) + " MiB", flush=True)


if __name__ == "__main__":
    main()
