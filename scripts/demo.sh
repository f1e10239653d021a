#!/usr/bin/env bash
# `make demo`: start the emulator, schedule a spot notice, run every language's demo
# program against it, print a side-by-side summary, and stop the emulator.
#
# Each demo prints the same six lines (`instance-id:`, `region:`, `credentials:`,
# `user-data:`, `spot:`, `signature:`), so the summary shows at a glance that every
# language gets the same answers from the same core.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
emulator_bin=${IMDS_EMULATOR_BIN:-$target/debug/imds-emulator}
imds_bin=${IMDS_BIN:-$target/debug/imds}
work=$(mktemp -d)

# The emulator exits when its stdin closes, so nothing is left running even if this
# script is killed; the trap also stops it on a normal exit.
exec {emulator_in}> >(exec "$emulator_bin" --port 0 --admin-port 0 --exit-on-stdin-eof \
  --log-level warn >"$work/ready" 2>"$work/emulator.log")
cleanup() {
  exec {emulator_in}>&-
  rm -rf "$work"
}
trap cleanup EXIT

for _ in $(seq 100); do
  [ -s "$work/ready" ] && break
  sleep 0.1
done
ready=$(head -n 1 "$work/ready")
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$ready" "$1"; }
endpoint=$(field endpoint)
admin=$(field admin)

export AWS_EC2_METADATA_SERVICE_ENDPOINT=$endpoint
export IMDS_EMULATOR_ADMIN=$admin
export IMDS_EMULATOR_CERT=$work/emulator-cert.pem
export AWS_CONFIG_FILE=$work/no-aws-config
curl -fsS "$admin/certificate" -o "$IMDS_EMULATOR_CERT"
# Every demo waits for this notice, which appears a few seconds from now.
curl -fsS -X POST "$admin/events/spot" -d '{"action":"terminate","in_seconds":3}' >/dev/null

echo "emulator: metadata $endpoint, admin $admin"
echo

demo_cli() {
  local document region creds user_data_bytes spot
  document=$("$imds_bin" identity --json)
  region=$("$imds_bin" region)
  creds=$("$imds_bin" credentials --json)
  user_data_bytes=$("$imds_bin" user-data | wc -c)
  spot=$("$imds_bin" watch spot --interval 1 --exit-on-notice --max-wait 30 | head -n 1)
  "$imds_bin" identity --verify --cert "$IMDS_EMULATOR_CERT" >/dev/null
  python3 -c 'import json,sys; print("instance-id:", json.loads(sys.argv[1])["instanceId"])' \
    "$document"
  echo "region: $region"
  python3 - "$creds" <<'PY'
import json, sys
c = json.loads(sys.argv[1])
print(f"credentials: role={c['role']} access_key_id={c['access_key_id']} "
      f"secret=<redacted> expires={c['expiration']}")
PY
  echo "user-data: $((user_data_bytes)) bytes"
  echo "spot: ${spot#spot }"
  echo "signature: verified"
}

languages=(cli)
for lang in rust python java go c; do
  if make -C "$root" -n "demo-$lang" >/dev/null 2>&1; then
    languages+=("$lang")
  fi
done

status=0
for lang in "${languages[@]}"; do
  echo "== $lang"
  if [ "$lang" = cli ]; then
    demo_cli | tee "$work/$lang.out" || status=1
  else
    make -C "$root" -s "demo-$lang" | tee "$work/$lang.out" || status=1
  fi
  echo
done

python3 - "$work" "${languages[@]}" <<'PY'
import sys
work, languages = sys.argv[1], sys.argv[2:]
keys = ["instance-id", "region", "credentials", "user-data", "spot", "signature"]
rows = {}
for lang in languages:
    try:
        lines = open(f"{work}/{lang}.out").read().splitlines()
    except OSError:
        lines = []
    values = dict(line.split(": ", 1) for line in lines if ": " in line)
    for key in keys:
        value = values.get(key, "MISSING")
        if key == "credentials":
            # Compare what matters side by side: the role and that the secret stayed hidden.
            parts = dict(p.split("=", 1) for p in value.split() if "=" in p)
            value = f"{parts.get('role', '?')} {parts.get('secret', '?')}"
        rows.setdefault(key, []).append(value)
width = max(len(k) for k in keys)
col = 34
print("summary".ljust(width), *(lang.ljust(col) for lang in languages))
for key in keys:
    print(key.ljust(width), *(v[:col - 1].ljust(col) for v in rows[key]))
same = all(len(set(v)) == 1 and "MISSING" not in v for k, v in rows.items() if k != "spot")
print()
print("every language agrees" if same else "LANGUAGES DISAGREE: see the table above")
sys.exit(0 if same else 1)
PY
exit $status
