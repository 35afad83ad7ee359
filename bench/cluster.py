#!/usr/bin/env python3
"""Khobor past one machine, on loopback, against the release binary:

  * the same paper on SQLite and on PostgreSQL (one node each): the cached article page, a
    story not cached yet on every request (cache on), and the article page rendered on every
    request (cache off), with wrk, side by side, with the server's CPU per request;
  * node A and node B on one PostgreSQL database behind nginx (Debian's package) as the load
    balancer: home page through nginx at concurrency 64, then again while node A is stopped
    half-way (nginx passes the requests A cannot answer to B);
  * publish on A -> visible on B: PUBLISHES (default 100) stories published through A's admin
    API, each timed from A's answer until B serves its API entry, its page and the home page
    with it: p50, p99, worst;
  * a fresh node joining: time until its /readyz answers 200 (its own search index built).

Usage: python3 bench/cluster.py [CORPUS.jsonl.gz]   (bench/cluster.sh builds and installs what
it needs). With a corpus, STORIES (default 100000) archive stories are made with `khobor
archive`; without one, the demo paper; SQLITE_DATA=DIR uses an SQLite data directory made
before (it is only read). The PostgreSQL database (on 127.0.0.1:5432, user
postgres; PGURL to change) is made for the run and dropped after. DURATION (seconds per wrk
run, default 10).
"""
import json, os, re, shutil, subprocess, sys, tempfile, time, urllib.parse, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
BIN = os.path.join(TARGET, "release", "khobor")
DURATION = int(os.environ.get("DURATION", "10"))
PUBLISHES = int(os.environ.get("PUBLISHES", "100"))
STORIES = int(os.environ.get("STORIES", "100000"))
SERVER = os.environ.get("PGURL", "postgres://postgres@127.0.0.1:5432")
PASSWORD = "bench password 12345"


def run(*args, stdin=None):
    return subprocess.run(args, input=stdin, capture_output=True, text=True, check=True).stdout


def psql(sql):
    run("psql", f"{SERVER}/postgres", "-Atqc", sql)


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(url, timeout=30):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


def serve(data, *extra, ready="/robots.txt"):
    """Starts `khobor serve`; returns (process, base URL, seconds until `ready` answers 200)."""
    started = time.monotonic()
    p = subprocess.Popen([BIN, "serve", "--addr", "127.0.0.1:0", "--data", data, *extra],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    base = "http://" + p.stdout.readline().split("http://")[1].strip().rstrip("/")
    while True:
        try:
            if get(base + ready, timeout=5)[0] == 200:
                break
        except OSError:
            pass
        time.sleep(0.05)
    return p, base, time.monotonic() - started


def wrk(url, conc, duration=None, paths=None):
    """Runs wrk (over the request paths in the file `paths`, one after another, if given);
    returns (requests/s, p50 ms, p99 ms, errors)."""
    threads = min(2, conc)
    script = ["-s", os.path.join(ROOT, "bench", "rotate.lua")] if paths else []
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{conc}", f"-d{duration or DURATION}s",
                          "--latency", *script, url], capture_output=True, text=True, check=True,
                         env=dict(os.environ, THREADS=str(threads), PATHS=paths or "")).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def ms(p):
        v = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        n, unit = float(v.group(1)), v.group(2)
        return n / 1000 if unit == "us" else n * 1000 if unit == "s" else n
    errors = sum(int(x) for x in re.findall(
        r"(?:Non-2xx or 3xx responses|connect|read|write|timeout):? (\d+)", out))
    return rps, ms(50), ms(99), errors


def cpu(pid):
    """CPU seconds the process has used (user + system)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(proc, url, conc, paths=None):
    """wrk against `proc`'s `url`, with the server's CPU time per request in ms."""
    before = cpu(proc.pid)
    r = wrk(url, conc, paths=paths)
    used = cpu(proc.pid) - before
    return r + (used / max(1, r[0] * DURATION) * 1000,)


def cache_off(work, name):
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write("[cache]\nmemory_mb = 0\n")
    return path


def nginx(work, backends):
    root = os.path.join(work, "nginx")
    os.makedirs(os.path.join(root, "tmp"), exist_ok=True)
    port = free_port()
    t = os.path.join(root, "tmp")
    servers = "\n".join(f"    server {b.split('//')[1]} max_fails=1 fail_timeout=5s;" for b in backends)
    conf = f"""worker_processes 2; pid {root}/nginx.pid; error_log {root}/error.log; daemon off;
events {{ worker_connections 4096; }}
http {{ access_log off; keepalive_requests 1000000;
  client_body_temp_path {t}; proxy_temp_path {t}; fastcgi_temp_path {t}; uwsgi_temp_path {t}; scgi_temp_path {t};
  upstream khobor {{
{servers}
    keepalive 64;
  }}
  server {{ listen 127.0.0.1:{port};
    location / {{ proxy_pass http://khobor; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header Host $host; proxy_next_upstream error timeout http_502 http_503;
      proxy_connect_timeout 1s; }} }} }}
"""
    with open(os.path.join(root, "nginx.conf"), "w") as f:
        f.write(conf)
    p = subprocess.Popen(["nginx", "-c", os.path.join(root, "nginx.conf"), "-p", root],
                         stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    while True:
        try:
            if get(base + "/readyz", timeout=5)[0] == 200:
                return p, base
        except OSError:
            time.sleep(0.05)


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main():
    corpus = sys.argv[1] if len(sys.argv) > 1 else None
    work = tempfile.mkdtemp(prefix="khobor-cluster-")
    db = f"khobor_bench_{os.getpid()}"
    url = f"{SERVER}/{db}"
    procs = []
    try:
        psql(f"CREATE DATABASE {db}")
        sqlite_data = os.environ.get("SQLITE_DATA") or os.path.join(work, "sqlite")
        pg_args = ["--database-url", url]
        # The same paper in both stores: made on SQLite, copied with migrate-store.
        if os.environ.get("SQLITE_DATA"):
            print(f"the SQLite store in {sqlite_data} (SQLITE_DATA)")
        elif corpus:
            t = time.monotonic()
            run(BIN, "archive", "--from", corpus, "--stories", str(STORIES), "--data", sqlite_data)
            print(f"archive of {STORIES:,} stories on SQLite: {time.monotonic() - t:.1f} s")
        else:
            p, _, _ = serve(sqlite_data, "--demo")
            p.terminate()
            p.wait()
        t = time.monotonic()
        out = run(BIN, "migrate-store", "--from", sqlite_data, "--to", url)
        print(f"migrate-store: {time.monotonic() - t:.1f} s; {out.strip().splitlines()[-1] if out.strip() else ''}")
        stories = int(subprocess.run(["psql", url, "-Atqc",
                                      "SELECT COUNT(*) FROM articles WHERE status = 'published'"],
                                     capture_output=True, text=True, check=True).stdout)
        print(f"stories: {stories:,}\n")

        # One node on each store.
        sq, sq_base, sq_start = serve(sqlite_data, ready="/readyz")
        procs.append(sq)
        a_data = os.path.join(work, "node-a")
        a, a_base, a_start = serve(a_data, *pg_args, ready="/readyz")
        procs.append(a)
        print(f"time to ready (own search index built): SQLite node {sq_start:.1f} s, "
              f"fresh PostgreSQL node {a_start:.1f} s")
        latest = json.loads(get(sq_base + "/api/v1/articles?limit=1")[1])["articles"][0]
        article = latest["url"].split("://", 1)[1].split("/", 1)[1]
        article = "/" + article
        print(f"\narticle page {article}, wrk {DURATION} s per run")
        print("| store | page | concurrency | requests/s | p50 ms | p99 ms | errors | server CPU ms/request |")
        print("|---|---|---|---|---|---|---|---|")
        for conc in (1, 16, 64):
            for name, proc, base in (("SQLite", sq, sq_base), ("PostgreSQL", a, a_base)):
                get(base + article)
                r = measured(proc, base + article, conc)
                print(f"| {name} | cached | {conc} | {r[0]:,.0f} | {r[1]:.2f} | {r[2]:.2f} | {r[3]} | {r[4]:.3f} |", flush=True)
        # A story not in the cache yet on every request (the cache on: sections, the latest
        # list and the menu come from it, as on a real night), oldest stories first.
        import sqlite3
        paths = os.path.join(work, "paths.txt")
        lite = sqlite3.connect(f"file:{os.path.join(sqlite_data, 'khobor.db')}?mode=ro", uri=True)
        with open(paths, "w") as f:
            for sid, slug in lite.execute(
                    "SELECT a.id, s.slug FROM articles a JOIN sections s ON s.id = a.section_id "
                    "WHERE a.status = 'published' ORDER BY a.published_at LIMIT 100000"):
                f.write(f"/{urllib.parse.quote(slug)}/{sid}\n")
        lite.close()
        for conc in (1, 16):
            for name, proc, base in (("SQLite", sq, sq_base), ("PostgreSQL", a, a_base)):
                r = measured(proc, base, conc, paths)
                print(f"| {name} | a new story every request | {conc} | {r[0]:,.0f} | {r[1]:.2f} | {r[2]:.2f} | {r[3]} | {r[4]:.3f} |", flush=True)

        # Cache off: every request renders the page from the store (same data directories,
        # their indexes built: the nodes above are stopped first).
        for p in (sq, a):
            p.terminate()
            p.wait()
            procs.remove(p)
        for name, data, extra in (("SQLite", sqlite_data, []), ("PostgreSQL", a_data, pg_args)):
            p, base, _ = serve(data, *extra, "--config", cache_off(work, f"{name}.toml"), ready="/readyz")
            for conc in (1, 16):
                r = measured(p, base + article, conc)
                print(f"| {name} | rendered | {conc} | {r[0]:,.0f} | {r[1]:.2f} | {r[2]:.2f} | {r[3]} | {r[4]:.3f} |", flush=True)
            p.terminate()
            p.wait()
        a, a_base, _ = serve(a_data, *pg_args, ready="/readyz")
        procs.append(a)

        # Node B and nginx in front of both.
        b, b_base, b_start = serve(os.path.join(work, "node-b"), *pg_args, ready="/readyz")
        procs.append(b)
        ng, lb = nginx(work, [a_base, b_base])
        procs.append(ng)
        print(f"\nnode B ready in {b_start:.1f} s; nginx at {lb} in front of A and B")
        r = wrk(lb + "/", 64)
        print(f"home page through nginx, concurrency 64: {r[0]:,.0f} requests/s, p50 {r[1]:.2f} ms, "
              f"p99 {r[2]:.2f} ms, errors {r[3]}")

        # Publish on A, visible on B.
        email = f"cluster-{time.time_ns()}@khobor.test"
        run(BIN, "user", "add", "--email", email, "--name", "ক্লাস্টার ডেস্ক", "--role", "admin",
            "--initials", "ক্ডে", "--password-stdin", "--data", a_data, *pg_args, stdin=PASSWORD + "\n")
        token = run(BIN, "user", "token", "--email", email, "--name", "cluster", "--role", "editor",
                    "--data", a_data, *pg_args).strip()
        auth = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}

        def call(path, body):
            req = urllib.request.Request(a_base + path, data=json.dumps(body).encode(), method="POST",
                                         headers=auth)
            with urllib.request.urlopen(req, timeout=30) as r:
                return json.loads(r.read())

        lags = []
        cpu_before = cpu(a.pid) + cpu(b.pid)
        for n in range(PUBLISHES):
            headline = f"নোড এ থেকে প্রকাশিত খবর {n} {time.time_ns()}"
            s = call("/api/v1/admin/articles", {"headline": headline, "section": "national",
                                                "body_html": "<p>দুই নোডের পরীক্ষা।</p>"})["article"]
            call(f"/api/v1/admin/articles/{s['id']}/transitions", {"action": "publish"})
            published = time.monotonic()
            pages = [f"/api/v1/articles/{s['id']}", f"/national/{s['id']}", "/"]
            seen = set()
            while len(seen) < len(pages):
                for p in pages:
                    if p in seen:
                        continue
                    try:
                        status, body = get(b_base + p, timeout=5)
                        if status == 200 and headline.encode() in body:
                            seen.add(p)
                    except OSError:
                        pass
            lags.append(time.monotonic() - published)
        cpu_used = cpu(a.pid) + cpu(b.pid) - cpu_before
        print(f"\npublish on A -> on B (its API entry, page and home page), {PUBLISHES} publishes: "
              f"p50 {percentile(lags, 50) * 1000:.0f} ms, p99 {percentile(lags, 99) * 1000:.0f} ms, "
              f"worst {max(lags) * 1000:.0f} ms; CPU of both nodes per publish (with B's reads): "
              f"{cpu_used / PUBLISHES * 1000:.1f} ms")

        # Node A stops half-way through a run through nginx.
        import threading
        result = {}
        th = threading.Thread(target=lambda: result.update(r=wrk(lb + "/", 64)))
        th.start()
        time.sleep(DURATION / 2)
        a.terminate()
        a.wait()
        procs.remove(a)
        th.join()
        r = result["r"]
        print(f"home page through nginx with node A stopped half-way: {r[0]:,.0f} requests/s, "
              f"p99 {r[2]:.2f} ms, errors {r[3]}")
    finally:
        for p in procs:
            p.terminate()
            p.wait()
        shutil.rmtree(work, ignore_errors=True)
        psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


if __name__ == "__main__":
    main()
