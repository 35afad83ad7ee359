#!/usr/bin/env python3
"""Upload abuse against the release binary, on loopback: what a hostile (or careless) API
client costs the server while readers keep reading.

  * 3 uploads at once of a 16-bit RGBA PNG of 6000x6600 pixels (a few hundred KB that decode
    to 317 MB at 16 bits, 158 MB at 8), made here with zlib;
  * 24 uploads at once of 20 MB that are not images (a zip);
  * meanwhile GET /latest in a loop.

Prints the server's peak resident memory (VmHWM from /proc/PID/status) before and after the
attack, what each upload was answered, and the latency of /latest during the attack (p50, p99,
max), until the uploads are answered and until the accepted images have their variants.

Usage: python3 bench/upload_abuse.py [PATH_TO_KHOBOR]   (default target/release/khobor; builds
nothing: run `cargo build --release` first). Standard library only.
"""
import http.client, json, os, struct, subprocess, sys, tempfile, threading, time, uuid, zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(TARGET, "release", "khobor")
PASSWORD = "bench password 12345"
PNG_UPLOADS, JUNK_UPLOADS = 3, 24
JUNK_BYTES = 20 * 1000 * 1000
WIDTH, HEIGHT = 6000, 6600


def run(*args, stdin=None):
    return subprocess.run(args, input=stdin, capture_output=True, text=True, check=True).stdout


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def png_16bit_rgba(width, height):
    """A valid 16-bit RGBA PNG: one row of a gradient, then every row 'same as above' (filter
    Up over zero differences), so the zlib stream is tiny and the decoded image is not."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    row = bytearray(width * 8)
    for x in range(width):
        v = x * 65535 // (width - 1)
        row[x * 8:x * 8 + 8] = struct.pack(">HHHH", v, 65535 - v, 32768, 65535)
    z = zlib.compressobj(9)
    parts = [z.compress(b"\x00" + bytes(row))]
    same = b"\x02" + bytes(width * 8)
    for _ in range(height - 1):
        parts.append(z.compress(same))
    parts.append(z.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 16, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"".join(parts))
            + chunk(b"IEND", b""))


def percentile(sorted_ms, q):
    if not sorted_ms:
        return float("nan")
    return sorted_ms[min(len(sorted_ms) - 1, int(q * len(sorted_ms)))]


def main():
    data = tempfile.mkdtemp(prefix="khobor-bench-")
    run(BIN, "user", "add", "--email", "bench@khobor.test", "--name", "বেঞ্চ", "--role", "admin",
        "--initials", "বে", "--password-stdin", "--data", data, stdin=PASSWORD + "\n")
    token = run(BIN, "user", "token", "--email", "bench@khobor.test", "--name", "bench",
                "--role", "editor", "--data", data).strip()
    server = subprocess.Popen([BIN, "serve", "--addr", "127.0.0.1:0", "--data", data],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    host, port = server.stdout.readline().split("http://")[1].strip().rstrip("/").split(":")
    port = int(port)
    try:
        t = time.perf_counter()
        png = png_16bit_rgba(WIDTH, HEIGHT)
        print(f"attack PNG: {WIDTH}x{HEIGHT} 16-bit RGBA, {len(png) // 1024} KB "
              f"(made in {time.perf_counter() - t:.1f} s); junk: {JUNK_UPLOADS} x {JUNK_BYTES // 1000 // 1000} MB")
        junk = b"PK\x03\x04" + os.urandom(JUNK_BYTES - 4)

        def upload(name, payload, answers):
            boundary = uuid.uuid4().hex
            head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"alt\"\r\n\r\nবেঞ্চ\r\n"
                    f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n").encode()
            tail = f"\r\n--{boundary}--\r\n".encode()
            conn = http.client.HTTPConnection(host, port, timeout=900)
            conn.putrequest("POST", "/api/v1/admin/media")
            conn.putheader("Authorization", "Bearer " + token)
            conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
            conn.putheader("Content-Length", str(len(head) + len(payload) + len(tail)))
            conn.endheaders()
            sent_all = True
            try:
                conn.send(head)
                view = memoryview(payload)
                for i in range(0, len(payload), 64 * 1024):
                    conn.send(view[i:i + 64 * 1024])
                conn.send(tail)
            except (BrokenPipeError, ConnectionResetError):
                sent_all = False  # answered before the body was read: the point of streaming
            try:
                r = conn.getresponse()
                body = r.read()
                code = json.loads(body).get("error", {}).get("code", "") if r.status >= 400 else ""
                media_id = json.loads(body)["media"]["id"] if r.status == 202 else None
                answers.append((r.status, code, sent_all, media_id))
            except (ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError):
                answers.append(("reset", "", sent_all, None))
            finally:
                conn.close()

        def latest_once(conn):
            t0 = time.perf_counter()
            conn.request("GET", "/latest")
            r = conn.getresponse()
            r.read()
            return (time.perf_counter() - t0) * 1000, r.status

        warm = http.client.HTTPConnection(host, port, timeout=60)
        for _ in range(50):
            latest_once(warm)
        warm.close()
        before = status_kib(server.pid, "VmHWM")

        phase = ["uploads"]
        latencies = {"uploads": [], "variants": []}
        stop = threading.Event()

        def probe():
            conn = http.client.HTTPConnection(host, port, timeout=60)
            while not stop.is_set():
                try:
                    ms, st = latest_once(conn)
                    latencies[phase[0]].append(ms if st == 200 else float("inf"))
                except (OSError, http.client.HTTPException):
                    latencies[phase[0]].append(float("inf"))
                    conn.close()
                    conn = http.client.HTTPConnection(host, port, timeout=60)
            conn.close()

        prober = threading.Thread(target=probe)
        prober.start()
        started = time.perf_counter()
        png_answers, junk_answers = [], []
        threads = [threading.Thread(target=upload, args=(f"bomb{k}.png", png, png_answers))
                   for k in range(PNG_UPLOADS)]
        threads += [threading.Thread(target=upload, args=(f"chobi{k}.jpg", junk, junk_answers))
                    for k in range(JUNK_UPLOADS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        answered = time.perf_counter() - started
        after_uploads = status_kib(server.pid, "VmHWM")

        # Accepted images get their variants in the background; keep reading until they exist.
        phase[0] = "variants"
        ids = [a[3] for a in png_answers if a[3] is not None]
        api = http.client.HTTPConnection(host, port, timeout=60)
        deadline = time.perf_counter() + 900
        states = []
        while ids and time.perf_counter() < deadline:
            states = []
            for i in ids:
                api.request("GET", f"/api/v1/admin/media/{i}", headers={"Authorization": "Bearer " + token})
                states.append(json.loads(api.getresponse().read())["media"]["status"])
            if all(s != "processing" for s in states):
                break
            time.sleep(0.2)
        api.close()
        finished = time.perf_counter() - started
        stop.set()
        prober.join()
        peak = status_kib(server.pid, "VmHWM")

        def summary(answers):
            counts = {}
            for status, code, sent_all, _ in answers:
                key = f"{status} {code}".strip() + ("" if sent_all else " (before the body was sent)")
                counts[key] = counts.get(key, 0) + 1
            return ", ".join(f"{n} x {k}" for k, n in sorted(counts.items()))

        print(f"binary: {BIN}")
        print(f"PNG uploads answered: {summary(png_answers)}")
        print(f"junk uploads answered: {summary(junk_answers)}")
        print(f"all uploads answered after {answered:.1f} s; variants "
              f"{'done (' + ', '.join(states) + ')' if ids else 'not needed'} after {finished:.1f} s")
        for name in ("uploads", "variants"):
            ms = sorted(latencies[name])
            if ms:
                print(f"GET /latest while {'uploading' if name == 'uploads' else 'making variants'}: "
                      f"{len(ms)} requests, p50 {percentile(ms, 0.5):.1f} ms, p99 {percentile(ms, 0.99):.1f} ms, "
                      f"max {ms[-1]:.1f} ms")
        every = sorted(latencies["uploads"] + latencies["variants"])
        print(f"GET /latest during the whole attack: p99 {percentile(every, 0.99):.1f} ms")
        print(f"server peak RSS (VmHWM): {before / 1024:.0f} MB before the attack, "
              f"{after_uploads / 1024:.0f} MB once the uploads were answered, {peak / 1024:.0f} MB at the end")
    finally:
        server.terminate()
        server.wait()
        subprocess.run(["rm", "-rf", data])


if __name__ == "__main__":
    main()
