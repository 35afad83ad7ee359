#!/usr/bin/env bash
# A real S3 server for the media tests: SeaweedFS (`weed mini`, installed by scripts/setup.sh
# into .tools/schemathesis) on loopback ports nobody else holds, with one identity and one
# bucket, its anonymous statistics reporting turned off (it would call out to the internet).
#   start  start it in the background (data under .tools/s3, or $KHOBOR_S3_DIR), wait until
#          its S3 port answers, create the bucket, and write the settings the tests read to
#          .tools/s3/env: KHOBOR_TEST_S3 (the endpoint), KHOBOR_TEST_S3_BUCKET,
#          KHOBOR_TEST_S3_ACCESS_KEY, KHOBOR_TEST_S3_SECRET_KEY (source it). The same
#          server answers HTTPS too, on KHOBOR_TEST_S3_HTTPS, with a certificate signed by a
#          certificate authority made here for the run (KHOBOR_TEST_S3_CA, a PEM file):
#          how a paper's own S3 service behind a company CA is reached.
#   stop   stop the server this script started (by its pid) and remove its data
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${KHOBOR_S3_DIR:-$root/.tools/s3}"
weed="${KHOBOR_WEED:-$root/.tools/schemathesis/bin/weed}"
bucket="khobor-test"
access_key="khobor-test-access"
secret_key="khobor-test-secret-0123456789"

# A free loopback TCP port whose +10000 neighbour (SeaweedFS's gRPC port) is free too.
free_port() {
    python3 - <<'EOF'
import random, socket
def free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
        return True
    except OSError:
        return False
    finally:
        s.close()
for _ in range(200):
    p = random.randint(20000, 45000)
    if free(p) and free(p + 10000):
        print(p)
        break
else:
    raise SystemExit("no free port pair found")
EOF
}

case "${1:-}" in
start)
    [ -x "$weed" ] || { echo "SeaweedFS is missing ($weed): run scripts/setup.sh" >&2; exit 1; }
    if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
        echo "SeaweedFS already runs (pid $(cat "$dir/pid")); scripts/s3.sh stop first" >&2
        exit 1
    fi
    rm -rf "$dir"
    mkdir -p "$dir/data"
    cat >"$dir/s3.json" <<EOF
{"identities": [{"name": "khobor", "credentials": [{"accessKey": "$access_key", "secretKey": "$secret_key"}],
  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
EOF
    # A certificate authority of this run's own and the server's certificate (for 127.0.0.1)
    # signed by it: nothing else trusts it, so a client reaches the HTTPS port only if it is
    # given the CA (AWS_CA_BUNDLE, [media] ca_bundle).
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7 \
        -subj "/CN=Khobor test CA" -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
        >"$dir/server.ext"
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
        -CAcreateserial -days 7 -extfile "$dir/server.ext" -out "$dir/server.pem" 2>/dev/null
    # Each port is taken (with its gRPC neighbour) just before use; a clash with another
    # program starting at the same moment shows up as a failed start below.
    s3=$(free_port); s3_https=$(free_port); master=$(free_port); volume=$(free_port); filer=$(free_port)
    admin=$(free_port); debug=$(free_port); iceberg=$(free_port); lance=$(free_port)
    "$weed" mini -dir="$dir/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
        -s3.port="$s3" -s3.port.https="$s3_https" \
        -s3.cert.file="$dir/server.pem" -s3.key.file="$dir/server.key" -master.port="$master" -volume.port="$volume" -filer.port="$filer" \
        -admin.port="$admin" -debug.port="$debug" \
        -s3.port.iceberg="$iceberg" -s3.port.lance="$lance" -webdav=false -admin.ui=false \
        -master.telemetry=false \
        -s3.config="$dir/s3.json" >"$dir/weed.log" 2>&1 &
    echo $! >"$dir/pid"
    endpoint="http://127.0.0.1:$s3"
    # Ready when the S3 port answers and a signed bucket creation succeeds (it fails until the
    # filer and a volume are up).
    deadline=$((SECONDS + 90))
    until python3 - "$endpoint" "$bucket" "$access_key" "$secret_key" <<'EOF' 2>>"$dir/ready.log"
import datetime, hashlib, hmac, sys, urllib.request, urllib.error
endpoint, bucket, ak, sk = sys.argv[1:5]
host = endpoint.split("//", 1)[1]
now = datetime.datetime.now(datetime.timezone.utc)
amz, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
payload = hashlib.sha256(b"").hexdigest()
canonical = f"PUT\n/{bucket}\n\nhost:{host}\nx-amz-content-sha256:{payload}\nx-amz-date:{amz}\n\nhost;x-amz-content-sha256;x-amz-date\n{payload}"
scope = f"{day}/us-east-1/s3/aws4_request"
to_sign = f"AWS4-HMAC-SHA256\n{amz}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
k = f"AWS4{sk}".encode()
for part in (day, "us-east-1", "s3", "aws4_request"):
    k = hmac.new(k, part.encode(), hashlib.sha256).digest()
sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
req = urllib.request.Request(f"{endpoint}/{bucket}", method="PUT", headers={
    "x-amz-date": amz, "x-amz-content-sha256": payload,
    "Authorization": f"AWS4-HMAC-SHA256 Credential={ak}/{scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={sig}"})
try:
    urllib.request.urlopen(req, timeout=2)
except urllib.error.HTTPError as e:
    body = e.read().decode(errors="replace")
    if "BucketAlreadyOwnedByYou" in body or "BucketAlreadyExists" in body:
        sys.exit(0)
    print(e.code, body[:200], file=sys.stderr)
    sys.exit(1)
except Exception as e:
    print(e, file=sys.stderr)
    sys.exit(1)
EOF
    do
        if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
            echo "SeaweedFS stopped while starting; its log:" >&2
            tail -20 "$dir/weed.log" >&2
            exit 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "SeaweedFS did not answer at $endpoint within 90 s; its log: $dir/weed.log" >&2
            tail -5 "$dir/ready.log" >&2 || true
            exit 1
        fi
        sleep 0.2
    done
    cat >"$dir/env" <<EOF
export KHOBOR_TEST_S3=$endpoint
export KHOBOR_TEST_S3_BUCKET=$bucket
export KHOBOR_TEST_S3_ACCESS_KEY=$access_key
export KHOBOR_TEST_S3_SECRET_KEY=$secret_key
export KHOBOR_TEST_S3_HTTPS=https://127.0.0.1:$s3_https
export KHOBOR_TEST_S3_CA=$dir/ca.pem
EOF
    echo "SeaweedFS S3 at $endpoint (bucket $bucket, pid $(cat "$dir/pid")); settings in $dir/env"
    ;;
stop)
    if [ -f "$dir/pid" ]; then
        pid="$(cat "$dir/pid")"
        if kill "$pid" 2>/dev/null; then
            # Wait (bounded) for it to exit before its data is removed.
            for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -9 "$pid" 2>/dev/null || true
        fi
        rm -rf "$dir"
    fi
    ;;
*)
    echo "usage: scripts/s3.sh start|stop" >&2
    exit 2
    ;;
esac
