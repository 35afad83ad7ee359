#!/usr/bin/env python3
"""What one hostile client costs readers, on loopback, against a release binary:

  1. tag floods: two admin-API saves at a time of a story with 60,000 tags, twice;
  2. slow heads: 300 connections that send a request head one byte a second, for 15 s;
  3. password guessing: 200 wrong passwords for one account from 200 loopback addresses
     (127.0.1.x), then the right password from a new address.

Meanwhile a reader asks for /latest (a different query each time, so the page is rendered)
in a loop. Prints, per attack, the reader's p50/p99/max latency and how many requests it made,
what the attack got, and the server's peak resident memory (VmHWM).

Usage: python3 bench/abuse.py [PATH_TO_KHOBOR]   (default target/release/khobor; builds
nothing). Run it for two binaries to compare them; ABUSE=guessing (or floods, heads) runs one
attack. Standard library only.
"""
import http.client, json, os, socket, subprocess, sys, tempfile, threading, time, urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(TARGET, "release", "khobor")
PASSWORD = "bench password 12345"
EMAIL = "bench@khobor.test"


def run(*args, stdin=None):
    return subprocess.run(args, input=stdin, capture_output=True, text=True, check=True).stdout


def vm_hwm_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Reader(threading.Thread):
    """GET /latest?r=N until stopped; latencies in ms."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.stop, self.ms, self.errors = port, False, [], 0

    def run(self):
        n = 0
        while not self.stop:
            n += 1
            t = time.perf_counter()
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                c.request("GET", f"/latest?r={n}")
                r = c.getresponse()
                r.read()
                c.close()
                if r.status != 200:
                    self.errors += 1
            except OSError:
                self.errors += 1
            self.ms.append((time.perf_counter() - t) * 1000)

    def report(self):
        s = sorted(self.ms)
        if not s:
            return "reader made no request"
        q = lambda p: s[min(len(s) - 1, int(p * len(s)))]
        return (f"reader: {len(s)} requests, p50 {q(0.5):.1f} ms, p99 {q(0.99):.1f} ms, "
                f"max {s[-1]:.1f} ms, errors {self.errors}")


def with_reader(port, attack):
    reader = Reader(port)
    reader.start()
    try:
        outcome = attack()
    finally:
        reader.stop = True
        reader.join()
    return outcome, reader.report()


def tag_floods(port, token):
    body = json.dumps({"headline": "ট্যাগ", "section": "national",
                       "tags": [f"t{i}" for i in range(60_000)]})
    statuses, took = [], []

    def save():
        t = time.perf_counter()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        c.request("POST", "/api/v1/admin/articles", body=body,
                  headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        statuses.append(r.status)
        took.append(time.perf_counter() - t)

    for _ in range(2):
        pair = [threading.Thread(target=save) for _ in range(2)]
        for th in pair:
            th.start()
        for th in pair:
            th.join()
    return f"4 saves answered {sorted(set(statuses))}, slowest {max(took):.2f} s"


def slow_heads(port):
    conns = []
    for _ in range(300):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        conns.append(s)
    start = time.time()
    while time.time() - start < 15:
        for s in conns:
            try:
                s.sendall(b"a")
            except OSError:
                pass
        time.sleep(1)
    closed = 0
    for s in conns:
        s.setblocking(False)
        try:
            closed += s.recv(1) == b""
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
        s.close()
    return f"300 connections trickling a head for 15 s: {closed} closed by the server"


def login_once(port, source, password, cookies=()):
    """The login form as a browser from `source` holding `cookies` would post it; the status
    and the cookies the answer set."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(source, 0))
    c.request("GET", "/newsroom/login")
    r = c.getresponse()
    page = r.read().decode()
    csrf_cookie = [v.split(";")[0] for k, v in r.getheaders() if k.lower() == "set-cookie"][0]
    csrf = page.split('name="csrf" value="')[1].split('"')[0]
    form = urllib.parse.urlencode({"csrf": csrf, "email": EMAIL, "password": password})
    c.request("POST", "/newsroom/login", body=form,
              headers={"Cookie": "; ".join([csrf_cookie, *cookies]),
                       "Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse()
    r.read()
    c.close()
    set_cookies = [v.split(";")[0] for k, v in r.getheaders() if k.lower() == "set-cookie"]
    return r.status, set_cookies


def guessing(port):
    # The owner logged in from this browser yesterday: it holds the cookie a login leaves
    # (a known-browser cookie where the server gives one).
    _, owner = login_once(port, "127.0.2.1", PASSWORD)
    owner = [c for c in owner if "device" in c]
    seen = {}
    for i in range(200):
        status, _ = login_once(port, f"127.0.1.{i % 250 + 1}", f"wrong guess {i}")
        seen[status] = seen.get(status, 0) + 1
    stranger, _ = login_once(port, "127.0.2.2", PASSWORD)
    known, _ = login_once(port, "127.0.2.1", PASSWORD, owner)
    checked = seen.get(401, 0)
    return (f"200 guesses from 200 addresses: {checked} had their password checked, "
            f"answers {seen}; then the right password from a new browser: {stranger}, "
            f"from the owner's browser: {known} (302/303 = logged in)")


def main():
    data = tempfile.mkdtemp(prefix="khobor-abuse-")
    run(BIN, "user", "add", "--email", EMAIL, "--name", "বেঞ্চ", "--role", "admin",
        "--initials", "বে", "--password-stdin", "--data", data, stdin=PASSWORD + "\n")
    token = run(BIN, "user", "token", "--email", EMAIL, "--name", "bench",
                "--role", "editor", "--data", data).strip()
    server = subprocess.Popen([BIN, "serve", "--demo", "--addr", "127.0.0.1:0", "--data", data],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = int(server.stdout.readline().split("http://")[1].strip().rstrip("/").split(":")[1])
    print(f"binary: {BIN}")
    try:
        print("baseline (1 s of reading): ", end="")
        r = Reader(port)
        r.start()
        time.sleep(1)
        r.stop = True
        r.join()
        print(r.report())
        only = os.environ.get("ABUSE", "")
        for name, attack in [("tag floods", lambda: tag_floods(port, token)),
                             ("slow heads", lambda: slow_heads(port)),
                             ("password guessing", lambda: guessing(port))]:
            if only and only not in name:
                continue
            outcome, reader = with_reader(port, attack)
            print(f"{name}: {outcome}\n  {reader}\n  peak RSS so far {vm_hwm_mib(server.pid):.0f} MiB")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
