#!/usr/bin/env python3
"""What polling agency wires costs: the release binary polls SOURCES feeds (default 200) of
ITEMS items each (default 50) served from loopback by Python's http.server (which answers
If-Modified-Since with 304), first from empty, then again after every source was marked due
(nothing changed: conditional GETs). Prints wall time and the server's CPU time per source for
both rounds, and the items queued.

    python3 bench/wires.py [KHOBOR_BINARY]
"""
import http.server
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

SOURCES = int(os.environ.get("SOURCES", "200"))
ITEMS = int(os.environ.get("ITEMS", "50"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def feed(n):
    items = []
    for i in range(ITEMS):
        items.append(
            f"<item><guid isPermaLink=\"false\">src{n}-item{i}</guid>"
            f"<title>পরীক্ষার ওয়্যার খবর {n}-{i}: ঢাকায় বৃষ্টি, যানজট</title>"
            f"<link>https://wire.example/{n}/{i}</link>"
            f"<pubDate>Mon, 07 Dec 2026 08:{i % 60:02d}:00 +0600</pubDate>"
            f"<description><![CDATA[<p>সকাল থেকে রাজধানীতে বৃষ্টি হচ্ছে। {i} নম্বর খবরের প্রথম অনুচ্ছেদ।</p>"
            f"<p>দ্বিতীয় অনুচ্ছেদে আরও বিস্তারিত: আবহাওয়া অধিদপ্তর বলছে বৃষ্টি চলবে আরও দুই দিন।</p>]]></description></item>"
        )
    return (
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>ওয়্যার</title>"
        "<link>https://wire.example/</link><description>বেঞ্চমার্ক</description>"
        + "".join(items)
        + "</channel></rss>"
    )


def wait_polled(db, since, deadline=600):
    end = time.time() + deadline
    while time.time() < end:
        with sqlite3.connect(db, timeout=10) as c:
            n = c.execute(
                "SELECT COUNT(*) FROM wire_sources WHERE last_polled_at >= ? AND next_poll_at > ?",
                (since, since),
            ).fetchone()[0]
        if n == SOURCES:
            return
        time.sleep(0.05)
    raise SystemExit(f"only {n} of {SOURCES} sources polled")


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.environ.get("CARGO_TARGET_DIR", "target"), "release", "khobor")
    work = tempfile.mkdtemp()
    feeds = os.path.join(work, "feeds")
    os.makedirs(feeds)
    for n in range(SOURCES):
        with open(os.path.join(feeds, f"feed-{n}.xml"), "w") as f:
            f.write(feed(n))
    size = os.path.getsize(os.path.join(feeds, "feed-0.xml"))
    port = free_port()
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=feeds)
    http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    data = os.path.join(work, "data")
    subprocess.run([binary, "migrate", "--data", data], check=True, capture_output=True)
    db = os.path.join(data, "khobor.db")
    with sqlite3.connect(db) as c:
        c.executemany(
            "INSERT INTO wire_sources (agency, url, format, poll_seconds, created_at) VALUES (?, ?, 'feed', 3600, 0)",
            [(f"সংস্থা {n}", f"http://127.0.0.1:{port}/feed-{n}.xml") for n in range(SOURCES)],
        )
    khobor_port = free_port()
    start_all = time.time()
    server = subprocess.Popen(
        [binary, "serve", "--addr", f"127.0.0.1:{khobor_port}", "--data", data],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        print(f"{SOURCES} sources, {ITEMS} items each ({size / 1024:.0f} KB a feed), {binary}, {os.cpu_count()} cores")
        for label in ["first poll (every item new)", "again, nothing changed (304)"]:
            start_cpu = cpu_seconds(server.pid) if label.startswith("again") else 0.0
            start = time.time() if label.startswith("again") else start_all
            since = int(start)
            if label.startswith("again"):
                with sqlite3.connect(db, timeout=10) as c:
                    c.execute("UPDATE wire_sources SET next_poll_at = 0")
            wait_polled(db, since)
            wall = time.time() - start
            cpu = cpu_seconds(server.pid) - start_cpu
            print(f"{label:32s} {wall:6.2f} s wall, {wall / SOURCES * 1000:6.1f} ms/source; "
                  f"server CPU {cpu:6.2f} s, {cpu / SOURCES * 1000:6.2f} ms/source")
        with sqlite3.connect(db, timeout=10) as c:
            items = c.execute("SELECT COUNT(*) FROM wire_items").fetchone()[0]
            errors = c.execute("SELECT COUNT(*) FROM wire_sources WHERE last_error IS NOT NULL").fetchone()[0]
        print(f"items queued: {items} (expected {SOURCES * ITEMS}); sources with errors: {errors}")
    finally:
        server.terminate()
        server.wait()
        httpd.shutdown()


if __name__ == "__main__":
    main()
