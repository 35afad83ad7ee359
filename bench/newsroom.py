#!/usr/bin/env python3
"""Newsroom numbers against the release binary, on loopback:

  * save latency (p50/p99) of stories that already have 20 revisions, through the admin API;
  * time from upload to ready variants for one 4000x3000 JPEG;
  * the server's resident memory while 5 such images are processed.

Usage: python3 bench/newsroom.py [STORIES]   (builds nothing; run `cargo build --release` and
`cargo build --release --example photo` first, or use bench/newsroom.sh which does).
"""
import json, os, statistics, subprocess, sys, tempfile, threading, time, urllib.request, uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
BIN = os.path.join(TARGET, "release", "khobor")
PHOTO = os.path.join(TARGET, "release", "examples", "photo")
STORIES = int(sys.argv[1]) if len(sys.argv) > 1 else 100
PASSWORD = "bench password 12345"


def run(*args, stdin=None):
    return subprocess.run(args, input=stdin, capture_output=True, text=True, check=True).stdout


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    data = tempfile.mkdtemp(prefix="khobor-bench-")
    run(BIN, "user", "add", "--email", "bench@khobor.test", "--name", "বেঞ্চ", "--role", "admin",
        "--initials", "বে", "--password-stdin", "--data", data, stdin=PASSWORD + "\n")
    token = run(BIN, "user", "token", "--email", "bench@khobor.test", "--name", "bench",
                "--role", "editor", "--data", data).strip()
    server = subprocess.Popen([BIN, "serve", "--addr", "127.0.0.1:0", "--data", data],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    base = server.stdout.readline().split("http://")[1].strip().rstrip("/")
    base = "http://" + base
    auth = {"Authorization": "Bearer " + token}

    def call(method, path, body=None, headers=None, raw=None, ctype="application/json"):
        data_ = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        h = dict(auth, **(headers or {}))
        if data_ is not None:
            h["Content-Type"] = ctype
        req = urllib.request.Request(base + path, data=data_, method=method, headers=h)
        with urllib.request.urlopen(req, timeout=120) as r:
            return json.loads(r.read() or b"null")

    try:
        body = "<p>" + "ঢাকায় আজ সকাল থেকে বৃষ্টি হচ্ছে। " * 40 + "</p>"
        story = lambda n, i: {"headline": f"বেঞ্চমার্কের খবর {n} সংস্করণ {i}", "body_html": body * 4,
                              "section": "national", "tags": ["বেঞ্চমার্ক", "ঢাকা"]}
        ids = []
        for n in range(STORIES):
            a = call("POST", "/api/v1/admin/articles", story(n, 0))["article"]
            for i in range(1, 20):
                a = call("PUT", f"/api/v1/admin/articles/{a['id']}", dict(story(n, i), version=a["version"]))["article"]
            ids.append((a["id"], a["version"]))
        revs = len(call("GET", f"/api/v1/admin/articles/{ids[0][0]}/revisions")["revisions"])
        latencies = []
        for n, (id_, version) in enumerate(ids):
            t = time.perf_counter()
            call("PUT", f"/api/v1/admin/articles/{id_}", dict(story(n, 20), version=version))
            latencies.append((time.perf_counter() - t) * 1000)
        latencies.sort()
        p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
        print(f"save (PUT /api/v1/admin/articles/ID, ~{len((body*4).encode())//1024} KB body, story with {revs} revisions), "
              f"{len(latencies)} saves: p50 {statistics.median(latencies):.1f} ms, p99 {p(0.99):.1f} ms, max {latencies[-1]:.1f} ms")

        photo = os.path.join(data, "photo.jpg")
        subprocess.run([PHOTO, "4000", "3000", photo], check=True)
        jpeg = open(photo, "rb").read()

        def upload(alt):
            boundary = uuid.uuid4().hex
            parts = [f"--{boundary}\r\nContent-Disposition: form-data; name=\"alt\"\r\n\r\n{alt}\r\n".encode(),
                     f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.jpg\"\r\n\r\n".encode(),
                     jpeg, f"\r\n--{boundary}--\r\n".encode()]
            return call("POST", "/api/v1/admin/media", raw=b"".join(parts),
                        ctype=f"multipart/form-data; boundary={boundary}")["media"]["id"]

        def wait_ready(ids_, on_tick=None):
            while True:
                states = [call("GET", f"/api/v1/admin/media/{i}")["media"]["status"] for i in ids_]
                if on_tick:
                    on_tick()
                if all(s != "processing" for s in states):
                    return states
                time.sleep(0.02)

        t = time.perf_counter()
        one = upload("একটি ছবি")
        upload_ms = (time.perf_counter() - t) * 1000
        states = wait_ready([one])
        total = (time.perf_counter() - t) * 1000
        print(f"one {len(jpeg)//1024} KB 4000x3000 JPEG: upload answered in {upload_ms:.0f} ms (checks, EXIF removal, "
              f"re-encode), ready with all variants after {total:.0f} ms ({states[0]})")

        idle = rss_kib(server.pid)
        peak = [idle]
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                peak[0] = max(peak[0], rss_kib(server.pid))
                time.sleep(0.01)

        sampler = threading.Thread(target=sample)
        sampler.start()
        t = time.perf_counter()
        threads, five = [], []
        for k in range(5):
            th = threading.Thread(target=lambda k=k: five.append(upload(f"ছবি {k}")))
            th.start()
            threads.append(th)
        for th in threads:
            th.join()
        states = wait_ready(five)
        total = (time.perf_counter() - t) * 1000
        stop.set()
        sampler.join()
        print(f"five 4000x3000 JPEGs uploaded at once: all {set(states)} after {total:.0f} ms; server RSS "
              f"{idle/1024:.0f} MB before, peak {peak[0]/1024:.0f} MB while processing")
    finally:
        server.terminate()
        server.wait()
        subprocess.run(["rm", "-rf", data])


if __name__ == "__main__":
    main()
