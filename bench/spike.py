#!/usr/bin/env python3
"""A breaking-news spike against the release binary, on loopback, with wrk.

  * warm article page next to nginx serving the same bytes as a static file, at concurrency
    1, 16 and 64, and the ratio Khobor/nginx;
  * cold article page: a second server with the cache turned off ([cache] memory_mb = 0), so
    every request renders the page from the store; and, when the data directory holds at least
    20,000 stories, a new story on every request from the cached server (nothing of that story
    is cached yet; only the shared latest list and menu are);
  * home, section, search and feed pages at concurrency 1, 16 and 64;
  * publish during load: readers at concurrency 64 on the article and home pages while an
    editor publishes a story a second through the admin API; errors, p99 and the time until
    each story is visible on its page, the home page, its section, /latest, the feed and the API.

Usage: python3 bench/spike.py [DATA_DIR]   (bench/spike.sh builds and installs what it needs)
Without DATA_DIR the demo paper is served from a temporary directory. DURATION (seconds per
run, default 10) and PUBLISHES (default 10) may be set in the environment.
"""
import json, os, re, shutil, sqlite3, subprocess, sys, tempfile, threading, time, urllib.parse, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
BIN = os.path.join(TARGET, "release", "khobor")
DURATION = int(os.environ.get("DURATION", "10"))
PUBLISHES = int(os.environ.get("PUBLISHES", "10"))
PASSWORD = "bench password 12345"


def run(*args, stdin=None):
    return subprocess.run(args, input=stdin, capture_output=True, text=True, check=True).stdout


def serve(data, *extra):
    """Starts `khobor serve` on a free loopback port; returns (process, base URL, seconds to start)."""
    started = time.monotonic()
    p = subprocess.Popen([BIN, "serve", "--addr", "127.0.0.1:0", "--data", data, *extra],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    base = "http://" + p.stdout.readline().split("http://")[1].strip().rstrip("/")
    while True:
        try:
            urllib.request.urlopen(base + "/robots.txt", timeout=5).read()
            break
        except OSError:
            time.sleep(0.01)
    return p, base, time.monotonic() - started


def get(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.read()


def wrk(url, conc, script=None, env=None, headers=None):
    """Runs wrk; returns (requests/s, p50 ms, p99 ms, errors)."""
    threads = min(2, conc)
    args = ["wrk", f"-t{threads}", f"-c{conc}", f"-d{DURATION}s", "--latency"]
    for name, value in (headers or {}).items():
        args += ["-H", f"{name}: {value}"]
    if script:
        args += ["-s", script]
    done = subprocess.run(args + [url], capture_output=True, text=True,
                          env=dict(os.environ, THREADS=str(threads), **(env or {})))
    if done.returncode != 0:
        sys.exit(f"wrk failed on {url}: {done.stderr.strip() or done.stdout.strip()}")
    out = done.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def ms(p):
        v = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        n, unit = float(v.group(1)), v.group(2)
        return n / 1000 if unit == "us" else n * 1000 if unit == "s" else n
    errors = sum(int(x) for x in re.findall(r"(?:Non-2xx or 3xx responses|connect|read|write|timeout):? (\d+)", out))
    return rps, ms(50), ms(99), errors


def row(label, conc, r, extra=""):
    print(f"| {label} | {conc} | {r[0]:,.0f} | {r[1]:.2f} | {r[2]:.2f} | {r[3]} | {extra} |", flush=True)


def rss(pid):
    """Resident memory: the total, and how much of it is the process's own (anonymous) memory
    and how much is pages of mapped files (the search index is memory-mapped; the kernel may
    drop those clean pages at any time)."""
    kb = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile"):
                kb[key] = int(rest.split()[0])
    return (f"{kb.get('VmRSS', 0) / 1024:.0f} MiB (own memory {kb.get('RssAnon', 0) / 1024:.0f} MiB, "
            f"mapped files {kb.get('RssFile', 0) / 1024:.0f} MiB)")


def story_paths(db, file, order):
    """Writes the paths of up to 200,000 published stories (by time, `order` ASC or DESC) to
    `file`, one a line, percent-encoded (wrk sends the path as it is given)."""
    with open(file, "w") as f:
        for sid, slug in db.execute(
                "SELECT a.id, s.slug FROM articles a JOIN sections s ON s.id = a.section_id "
                f"WHERE a.status = 'published' ORDER BY a.published_at {order} LIMIT 200000"):
            f.write(urllib.parse.quote(f"/{slug}/{sid}") + "\n")


def nginx_serving(body, root, gzipped=None):
    """nginx serving `body` as a static file; with `gzipped`, those bytes (`gzip_static`) to
    clients that accept gzip."""
    os.makedirs(os.path.join(root, "www"), exist_ok=True)
    os.makedirs(os.path.join(root, "tmp"), exist_ok=True)
    files = {"article.html": body, **({"article.html.gz": gzipped} if gzipped else {})}
    for name, content in files.items():
        with open(os.path.join(root, "www", name), "wb") as f:
            f.write(content)
        os.chmod(os.path.join(root, "www", name), 0o644)
    for d in (root, os.path.join(root, "www")):
        os.chmod(d, 0o755)
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    t = os.path.join(root, "tmp")
    conf = f"""worker_processes auto; pid {root}/nginx.pid; error_log {root}/error.log; daemon off;
events {{ worker_connections 1024; }}
http {{ access_log off; sendfile on; tcp_nopush on; keepalive_requests 1000000; {"gzip_static on;" if gzipped else ""}
  client_body_temp_path {t}; proxy_temp_path {t}; fastcgi_temp_path {t}; uwsgi_temp_path {t}; scgi_temp_path {t};
  types {{ text/html html; }}
  server {{ listen 127.0.0.1:{port}; root {root}/www; }} }}
"""
    with open(os.path.join(root, "nginx.conf"), "w") as f:
        f.write(conf)
    p = subprocess.Popen(["nginx", "-c", os.path.join(root, "nginx.conf"), "-p", root],
                         stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/article.html"
    deadline = time.monotonic() + 10
    while True:
        try:
            if get(url) == body:
                return p, url
        except OSError:
            pass
        if time.monotonic() > deadline:
            sys.exit(f"nginx did not serve the article: see {root}/error.log")
        time.sleep(0.01)


def main():
    work = tempfile.mkdtemp(prefix="khobor-spike-")
    os.chmod(work, 0o755)  # nginx's workers run as an unprivileged user
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(work, "data")
    demo = len(sys.argv) <= 1
    procs = []
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
        print(f"machine: {os.cpu_count()} cores, {cpu}; wrk and the servers share them; {DURATION} s per run\n")
        server, base, startup = serve(data, *(["--demo"] if demo else []))
        procs.append(server)
        db = sqlite3.connect(f"file:{data}/khobor.db?mode=ro", uri=True)
        stories = db.execute("SELECT COUNT(*) FROM articles WHERE status = 'published'").fetchone()[0]
        print(f"stories: {stories:,}; start-up to first answered request: {startup:.2f} s; "
              f"RSS after start: {rss(server.pid)}\n")
        article = re.sub(r"^https?://[^/]+", "", json.loads(get(base + "/api/v1/articles?limit=1"))["articles"][0]["url"])
        section = "/" + article.split("/")[1]
        body = get(base + article)
        nginx, nginx_url = nginx_serving(body, os.path.join(work, "nginx"))
        procs.append(nginx)

        print("| page | concurrency | requests/s | p50 ms | p99 ms | errors | note |")
        print("|---|---|---|---|---|---|---|")
        for conc in (1, 16, 64):
            k = wrk(base + article, conc)
            n = wrk(nginx_url, conc)
            row(f"article, cache warm ({len(body):,} bytes)", conc, k, f"Khobor/nginx = {k[0] / n[0]:.2f}")
            row("same bytes from nginx (static file)", conc, n)

        # Cold: a server with its cache off, on a demo paper of its own.
        cold_data = os.path.join(work, "cold")
        with open(os.path.join(work, "nocache.toml"), "w") as f:
            f.write("[cache]\nmemory_mb = 0\n")
        cold, cold_base, _ = serve(cold_data, "--demo", "--config", os.path.join(work, "nocache.toml"))
        procs.append(cold)
        cold_article = re.sub(r"^https?://[^/]+", "", json.loads(get(cold_base + "/api/v1/articles?limit=1"))["articles"][0]["url"])
        for conc in (1, 16, 64):
            row("article, cache off (every request renders)", conc, wrk(cold_base + cold_article, conc))
        cold.terminate()
        procs.remove(cold)

        if stories >= 20000:
            paths = os.path.join(work, "paths.txt")
            story_paths(db, paths, "ASC")
            for conc in (16, 64):
                row("article, a new story every request", conc,
                    wrk(base, conc, os.path.join(ROOT, "bench", "rotate.lua"), {"PATHS": paths}))
            with open(paths, "w") as f:
                for (d,) in db.execute(
                        "SELECT DISTINCT strftime('/archive/%Y/%m/%d', published_at, 'unixepoch', '+6 hours') "
                        "FROM articles WHERE status = 'published' ORDER BY published_at LIMIT 5000"):
                    f.write(d + "\n")
            row("date archive, a new day every request", 16,
                wrk(base, 16, os.path.join(ROOT, "bench", "rotate.lua"), {"PATHS": paths}))

        for label, path in (("home", "/"), (f"section {section}", section),
                            ("search ?q=ঢাকা (not cached)", "/search?q=%E0%A6%A2%E0%A6%BE%E0%A6%95%E0%A6%BE"),
                            ("feed /feed.xml", "/feed.xml")):
            for conc in (1, 16, 64):
                row(label, conc, wrk(base + path, conc))
        print(f"\nRSS after the runs: {rss(server.pid)}")
        nginx.terminate()
        procs.remove(nginx)
        server.terminate()
        server.wait()
        procs.remove(server)
        publish_during_load(data, article, section)
    finally:
        for p in procs:
            p.terminate()
        shutil.rmtree(work, ignore_errors=True)


def publish_during_load(data, article, section):
    email = f"spike-{time.time_ns()}@khobor.test"  # a data directory may be benchmarked again
    run(BIN, "user", "add", "--email", email, "--name", "স্পাইক ডেস্ক", "--role", "admin",
        "--initials", "স্ডে", "--password-stdin", "--data", data, stdin=PASSWORD + "\n")
    token = run(BIN, "user", "token", "--email", email, "--name", "spike",
                "--role", "editor", "--data", data).strip()
    server, base, _ = serve(data)
    try:
        auth = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}

        def call(method, path, body):
            req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method=method, headers=auth)
            with urllib.request.urlopen(req, timeout=30) as r:
                return json.loads(r.read())

        readers = []
        results = {}

        def read(path):
            results[path] = wrk(base + path, 32)
        saved = DURATION
        globals()["DURATION"] = PUBLISHES + 3
        for path in (article, "/"):
            t = threading.Thread(target=read, args=(path,))
            t.start()
            readers.append(t)
        time.sleep(1)
        slug = urllib.parse.unquote(section.strip("/"))
        worst = []
        for n in range(PUBLISHES):
            tick = time.monotonic()
            headline = f"স্পাইকের সময় প্রকাশিত খবর {n} {time.time_ns()}"
            a = call("POST", "/api/v1/admin/articles",
                     {"headline": headline, "body_html": "<p>চাপের মধ্যে প্রকাশিত খবর।</p>", "section": slug})["article"]
            call("POST", f"/api/v1/admin/articles/{a['id']}/transitions", {"action": "publish"})
            published = time.monotonic()
            pages = [f"{section}/{a['id']}", "/", section, "/latest", "/feed.xml", f"/api/v1/articles/{a['id']}"]
            seen = {}
            while len(seen) < len(pages):
                for p in pages:
                    if p not in seen:
                        try:
                            if headline.encode() in get(base + p):
                                seen[p] = time.monotonic() - published
                        except OSError:
                            pass
            worst.append(max(seen.values()))
            time.sleep(max(0.0, 1 - (time.monotonic() - tick)))
        for t in readers:
            t.join()
        globals()["DURATION"] = saved
    finally:
        server.terminate()
        server.wait()
    print(f"\npublish during load: {PUBLISHES} stories, one a second, readers at concurrency 64 "
          f"(32 on the article page, 32 on the home page)")
    print("| readers on | requests/s | p50 ms | p99 ms | errors |")
    print("|---|---|---|---|---|")
    for path, r in results.items():
        print(f"| {path} | {r[0]:,.0f} | {r[1]:.2f} | {r[2]:.2f} | {r[3]} |")
    worst.sort()
    print(f"time from publish answered to visible on all 6 pages: median {worst[len(worst) // 2] * 1000:.0f} ms, "
          f"worst {worst[-1] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
