#!/usr/bin/env python3
"""A publish through a real Varnish (Debian's, with xkey, running docs/cdn/khobor.vcl) in front
of the release binary, purged by surrogate key:

  * every page of the paper (home, every section, every story) fetched through Varnish until
    it is a hit;
  * PUBLISHES (default 100) stories published through the admin API, each timed from the
    API's answer until Varnish serves the home page, the latest list, the section and the
    story itself with the new headline: p50, p99, worst;
  * then every page that did not change (each older story, each other section): the share
    still answered from Varnish (X-Cache: HIT);
  * the purge requests the node sent (/metrics).

Usage: python3 bench/cdn.py [DATA_DIR]   (bench/cdn.sh builds and installs what it needs).
Without DATA_DIR, the demo paper in a fresh data directory; with one, that paper (SQLite;
stories are added to it).
"""
import json, os, re, shutil, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
BIN = os.path.join(TARGET, "release", "khobor")
PUBLISHES = int(os.environ.get("PUBLISHES", "100"))
PASSWORD = "bench password 12345"


def run(*args, stdin=None):
    return subprocess.run(args, input=stdin, capture_output=True, text=True, check=True).stdout


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(url, timeout=30):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.headers.get("X-Cache", ""), r.read()


def wait_for(url):
    while True:
        try:
            if get(url, timeout=5)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main():
    work = tempfile.mkdtemp(prefix="khobor-cdn-")
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(work, "data")
    procs = []
    try:
        node_port, varnish_port = free_port(), free_port()
        node, varnish = f"http://127.0.0.1:{node_port}", f"http://127.0.0.1:{varnish_port}"
        with open(os.path.join(ROOT, "docs", "cdn", "khobor.vcl")) as f:
            vcl = f.read().replace('.port = "8080";', f'.port = "{node_port}";')
        with open(os.path.join(work, "khobor.vcl"), "w") as f:
            f.write(vcl)
        config = os.path.join(work, "khobor.toml")
        with open(config, "w") as f:
            f.write(f'[cache]\ns_maxage = 86400\n\n[cdn]\npurger = "varnish"\nurls = ["{varnish}"]\n')
        procs.append(subprocess.Popen(
            ["varnishd", "-F", "-j", "none", "-n", os.path.join(work, "varnish"),
             "-a", f"127.0.0.1:{varnish_port}", "-T", "127.0.0.1:0", "-f",
             os.path.join(work, "khobor.vcl"), "-s", "malloc,256m"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        procs.append(subprocess.Popen(
            [BIN, "serve", "--demo", "--addr", f"127.0.0.1:{node_port}", "--data", data,
             "--config", config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_for(node + "/readyz")
        wait_for(varnish + "/robots.txt")

        email = f"cdn-{time.time_ns()}@khobor.test"
        run(BIN, "user", "add", "--email", email, "--name", "সিডিএন ডেস্ক", "--role", "admin",
            "--initials", "সিডি", "--password-stdin", "--data", data, "--config", config,
            stdin=PASSWORD + "\n")
        token = run(BIN, "user", "token", "--email", email, "--name", "cdn bench", "--role",
                    "editor", "--data", data, "--config", config).strip()
        auth = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}

        def call(path, body):
            req = urllib.request.Request(node + path, data=json.dumps(body).encode(),
                                         method="POST", headers=auth)
            with urllib.request.urlopen(req, timeout=30) as r:
                return json.loads(r.read())

        # Every page of the paper, through Varnish, until it is a hit.
        sections = json.loads(get(node + "/api/v1/sections")[2])["sections"]
        stories, page = [], 1
        while True:
            batch = json.loads(get(node + f"/api/v1/articles?limit=100&page={page}")[2])["articles"]
            stories += [re.sub(r"^https?://[^/]+", "", a["url"]) for a in batch]
            if len(batch) < 100 or len(stories) >= 2000:
                break
            page += 1
        target = sections[0]
        lists = ["/", "/latest", f"/{target['slug']}"]
        others = [f"/{s['slug']}" for s in sections[1:]]
        unrelated = stories + others
        for p in lists + unrelated:
            for _ in range(2):
                get(varnish + p)
            assert get(varnish + p)[1] == "HIT", p
        print(f"{len(lists + unrelated)} pages cached in Varnish ({len(stories)} stories, "
              f"{len(sections)} sections)")

        lags = []
        for n in range(PUBLISHES):
            headline = f"সিডিএন পরীক্ষার খবর {n} {time.time_ns()}"
            s = call("/api/v1/admin/articles", {"headline": headline, "section": target["slug"],
                                                "body_html": "<p>বার্নিশের পরীক্ষা।</p>"})["article"]
            call(f"/api/v1/admin/articles/{s['id']}/transitions", {"action": "publish"})
            published = time.monotonic()
            pages = lists + [f"/{target['slug']}/{s['id']}"]
            seen = set()
            while len(seen) < len(pages):
                for p in pages:
                    if p not in seen:
                        status, _, body = get(varnish + p)
                        if status == 200 and headline.encode() in body:
                            seen.add(p)
            lags.append(time.monotonic() - published)
        print(f"publish -> Varnish serves the home page, latest list, section and story "
              f"({PUBLISHES} publishes): p50 {percentile(lags, 50) * 1000:.0f} ms, "
              f"p99 {percentile(lags, 99) * 1000:.0f} ms, worst {max(lags) * 1000:.0f} ms")

        hits = sum(1 for p in unrelated if get(varnish + p)[1] == "HIT")
        print(f"unrelated pages still hits after {PUBLISHES} publishes: {hits}/{len(unrelated)} "
              f"({100 * hits / len(unrelated):.1f} %)")
        metrics = get(node + "/metrics")[2].decode()
        sent = re.search(r'khobor_jobs_total\{job="cdn_purge",outcome="done"\} (\d+)', metrics)
        failed = re.search(r'khobor_jobs_total\{job="cdn_purge",outcome="failed"\} (\d+)', metrics)
        print(f"purge requests sent: {sent.group(1) if sent else '?'}, failed rounds: "
              f"{failed.group(1) if failed else '?'}")
    finally:
        for p in procs:
            p.terminate()
            p.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
