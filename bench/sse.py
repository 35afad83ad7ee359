#!/usr/bin/env python3
"""How many live-page event streams (`/live/{id}/events`) Khobor holds per MB of memory.

Starts `khobor serve` with the demo paper on a fresh data directory, makes one demo story a
live page (a row in `live_pages`, as starting it in the newsroom writes), then for each count
given opens that many more streams (plain sockets, each a `GET` with `Accept:
text/event-stream`, held open after its `200` head) and reads the server's memory from
/proc/PID/status before and after: VmRSS and RssAnon (the heap). Prints the streams opened,
the memory they added, and streams per MB. Then adds an entry's worth of change — a row in the
change feed — and counts the streams that hear the event, so the streams measured are live
ones.

Usage: python3 bench/sse.py [COUNT ...]   (default: 2000 5000, i.e. 2,000 then 7,000 held)
BIN (default target/release/khobor, else target/debug/khobor) picks the binary.
"""
import os, selectors, socket, sqlite3, subprocess, sys, tempfile, time, resource, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
BIN = os.environ.get("BIN") or next(
    (p for p in (os.path.join(TARGET, b, "khobor") for b in ("release", "debug")) if os.path.exists(p)),
    None)


def status_kib(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon"):
                out[key] = int(value.split()[0])
    return out


def serve(data, config):
    p = subprocess.Popen([BIN, "serve", "--demo", "--addr", "127.0.0.1:0", "--data", data, "--config", config],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    base = "http://" + p.stdout.readline().split("http://")[1].strip().rstrip("/")
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


def open_stream(host, port, path):
    s = socket.create_connection((host, port))
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk:
            raise RuntimeError("closed before its head")
        head += chunk
    status = head.split(b"\r\n", 1)[0]
    if b" 200 " not in status:
        raise RuntimeError(status.decode())
    s.setblocking(False)
    return s


def main():
    counts = [int(c) for c in sys.argv[1:]] or [2000, 5000]
    if not BIN:
        sys.exit("no khobor binary: cargo build --release first")
    total = sum(counts)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = total + 1000
    if hard < want:
        sys.exit(f"the open-file limit is {hard}; {want} are needed")
    # The server (a child) inherits the raised limit too.
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), hard))
    print(f"binary: {BIN}")
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data")
        config = os.path.join(tmp, "khobor.toml")
        with open(config, "w") as f:
            f.write(f"[server]\nmax_connections = {2 * total + 100}\nmax_event_streams = {total + 10}\n")
        p, base = serve(data, config)
        try:
            db = sqlite3.connect(os.path.join(data, "khobor.db"), timeout=30)
            (story,) = db.execute("SELECT id FROM articles WHERE status = 'published' ORDER BY id DESC LIMIT 1").fetchone()
            db.execute("INSERT INTO live_pages (article_id, started_at) VALUES (?, ?)", (story, int(time.time())))
            db.commit()
            host, port = base.removeprefix("http://").rsplit(":", 1)
            path = f"/live/{story}/events"
            # One stream first, so what every stream shares (the follower, the broadcast) is
            # counted before.
            streams = [open_stream(host, int(port), path)]
            time.sleep(1)
            print(f"{'streams':>8} {'added':>8} {'VmRSS MB':>9} {'RssAnon MB':>10} {'+RssAnon MB':>11} {'streams/MB':>10}")
            before = status_kib(p.pid)
            print(f"{len(streams):>8} {'':>8} {before['VmRSS']/1024:>9.1f} {before['RssAnon']/1024:>10.1f}")
            for n in counts:
                start = status_kib(p.pid)
                for _ in range(n):
                    streams.append(open_stream(host, int(port), path))
                time.sleep(1)
                after = status_kib(p.pid)
                added = (after["RssAnon"] - start["RssAnon"]) / 1024
                print(f"{len(streams):>8} {n:>8} {after['VmRSS']/1024:>9.1f} {after['RssAnon']/1024:>10.1f} "
                      f"{added:>11.1f} {n / added if added > 0 else float('inf'):>10.0f}")
            overall = (status_kib(p.pid)["RssAnon"] - before["RssAnon"]) / 1024
            print(f"overall: {len(streams) - 1} streams in {overall:.1f} MB of heap: "
                  f"{(len(streams) - 1) / overall:.0f} streams per MB ({overall * 1024 / (len(streams) - 1):.2f} KB each)")
            # A change to the story: every stream must hear it.
            db.execute("UPDATE live_pages SET revision = revision + 1, added = added + 1 WHERE article_id = ?", (story,))
            db.execute("INSERT INTO changes (kind, entity, entity_id, created_at) VALUES ('article.updated', 'article', ?, ?)",
                       (story, int(time.time())))
            db.commit()
            heard, got = set(), {}
            sel = selectors.DefaultSelector()
            for s in streams:
                sel.register(s, selectors.EVENT_READ)
            deadline = time.monotonic() + 30
            while len(heard) < len(streams) and time.monotonic() < deadline:
                for key, _ in sel.select(timeout=1):
                    s = key.fileobj
                    try:
                        got[s] = got.get(s, b"") + s.recv(65536)
                    except BlockingIOError:
                        continue
                    if b"event: update" in got[s]:
                        heard.add(s)
                        sel.unregister(s)
            print(f"streams that heard the change: {len(heard)} of {len(streams)}")
            for s in streams:
                s.close()
        finally:
            p.terminate()
            p.wait()


if __name__ == "__main__":
    main()
