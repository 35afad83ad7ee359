#!/usr/bin/env python3
"""Webhook delivery latency: `khobor serve` (the demo paper) with one webhook registered on the
newsroom's page, pointing at a receiver in this script on a loopback port; PUBLISHES (default
200) stories published one after another through the admin API, each timed from the publish
call's answer until the receiver has the `published` delivery for it (its signature checked):
p50, p99, worst. Then the deliveries the node counted (/metrics).

Usage: python3 bench/webhooks.py [release|debug]   (default release; bench/webhooks.sh builds
it first).
"""
import hashlib, hmac, http.cookiejar, http.server, json, os, re, shutil, socket, subprocess
import sys, tempfile, threading, time, urllib.parse, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
PROFILE = sys.argv[1] if len(sys.argv) > 1 else "release"
BIN = os.path.join(TARGET, PROFILE, "khobor")
PUBLISHES = int(os.environ.get("PUBLISHES", "200"))
PASSWORD = "bench password 12345"

received = {}          # story id -> monotonic time the delivery arrived
bad_signatures = []
arrived = threading.Condition()
secret_box = {}


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        at = time.monotonic()
        sig = dict(p.split("=", 1) for p in self.headers.get("Khobor-Signature", "").split(","))
        want = hmac.new(secret_box.get("secret", "").encode(), sig.get("t", "").encode() + b"." + body,
                        hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, sig.get("v1", "")):
            bad_signatures.append(self.headers.get("Khobor-Delivery"))
        event = json.loads(body)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
        if event.get("event") == "published":
            with arrived:
                received[event["story"]["id"]] = at
                arrived.notify_all()

    def log_message(self, *args):
        pass


def run(*args, stdin=None):
    return subprocess.run(args, input=stdin, capture_output=True, text=True, check=True).stdout


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(url):
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main():
    work = tempfile.mkdtemp(prefix="khobor-webhooks-")
    data = os.path.join(work, "data")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook_url = f"http://127.0.0.1:{server.server_address[1]}/hooks/khobor"
    node_port = free_port()
    node = f"http://127.0.0.1:{node_port}"
    proc = subprocess.Popen([BIN, "serve", "--demo", "--addr", f"127.0.0.1:{node_port}",
                             "--data", data], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(node + "/readyz")
        email = f"hooks-{time.time_ns()}@khobor.test"
        run(BIN, "user", "add", "--email", email, "--name", "ওয়েবহুক ডেস্ক", "--role", "admin",
            "--initials", "ওয়ে", "--password-stdin", "--data", data, stdin=PASSWORD + "\n")
        token = run(BIN, "user", "token", "--email", email, "--name", "webhook bench", "--role",
                    "editor", "--data", data).strip()

        # The webhook, registered on the newsroom page as an admin would.
        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        csrf = lambda html: re.search(r'name="csrf" value="([^"]+)"', html).group(1)
        form = browser.open(node + "/newsroom/login").read().decode()
        browser.open(node + "/newsroom/login", urllib.parse.urlencode(
            {"csrf": csrf(form), "email": email, "password": PASSWORD}).encode())
        page = browser.open(node + "/newsroom/webhooks").read().decode()
        made = browser.open(node + "/newsroom/webhooks", urllib.parse.urlencode(
            {"csrf": csrf(page), "url": hook_url, "ev_published": "on"}).encode()).read().decode()
        secret_box["secret"] = re.search(r'<code id="new-secret">([^<]+)</code>', made).group(1)

        auth = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}

        def call(path, body):
            req = urllib.request.Request(node + path, data=json.dumps(body).encode(),
                                         method="POST", headers=auth)
            with urllib.request.urlopen(req, timeout=30) as r:
                return json.loads(r.read())

        lags = []
        for n in range(PUBLISHES):
            s = call("/api/v1/admin/articles", {"headline": f"ওয়েবহুক পরীক্ষার খবর {n}",
                                                "section": "national",
                                                "body_html": "<p>ওয়েবহুকের পরীক্ষা।</p>"})["article"]
            call(f"/api/v1/admin/articles/{s['id']}/transitions", {"action": "publish"})
            published = time.monotonic()
            with arrived:
                if not arrived.wait_for(lambda: s["id"] in received, timeout=30):
                    raise SystemExit(f"story {s['id']}: no delivery within 30 s")
                lags.append(max(0.0, received[s["id"]] - published))
        print(f"publish answered -> receiver has the signed delivery ({PUBLISHES} publishes, "
              f"{PROFILE} build): p50 {percentile(lags, 50) * 1000:.1f} ms, "
              f"p99 {percentile(lags, 99) * 1000:.1f} ms, worst {max(lags) * 1000:.1f} ms")
        if bad_signatures:
            raise SystemExit(f"{len(bad_signatures)} deliveries with a bad signature")
        with urllib.request.urlopen(node + "/metrics") as r:
            metrics = r.read().decode()
        done = re.search(r'khobor_jobs_total\{job="webhooks",outcome="done"\} (\d+)', metrics)
        failed = re.search(r'khobor_jobs_total\{job="webhooks",outcome="failed"\} (\d+)', metrics)
        print(f"deliveries the node counted: {done.group(1) if done else '?'} done, "
              f"{failed.group(1) if failed else '?'} failed; every signature checked")
    finally:
        proc.terminate()
        proc.wait()
        server.shutdown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
