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

# Every language, named: a demo target that goes missing fails the run (its column reads
# MISSING) instead of quietly dropping out of the comparison.
languages=(cli rust python java go c)

failed=()
for lang in "${languages[@]}"; do
  echo "== $lang"
  if [ "$lang" = cli ]; then
    demo_cli | tee "$work/$lang.out" || failed+=("$lang")
  else
    make -C "$root" -s --no-print-directory "demo-$lang" | tee "$work/$lang.out" \
      || failed+=("$lang")
  fi
  echo
done

disagree=0
python3 - "$work" "${languages[@]}" <<'PY' || disagree=1
import re
import sys

work, languages = sys.argv[1], sys.argv[2:]
keys = ["instance-id", "region", "credentials", "user-data", "spot", "signature"]
# What each line must say in every language, beyond agreeing: the notice this script
# scheduled (a demo that gave up waiting prints something else), a verified signature,
# a hidden secret.
second = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
expected = {
    "instance-id": r"i-[0-9a-f]+",
    "credentials": r"role=\S+ access_key_id=\S+ secret=<redacted> expires=" + second,
    "user-data": r"\d+ bytes",
    "spot": r"terminate at " + second,
    "signature": r"verified",
}
rows = {}
problems = []
for lang in languages:
    try:
        lines = open(f"{work}/{lang}.out").read().splitlines()
    except OSError:
        lines = []
    pairs = [line.split(": ", 1) for line in lines if line.split(": ", 1)[0] in keys]
    if [key for key, _ in pairs] != keys:
        problems.append(f"{lang}: printed {[key for key, _ in pairs]}, not the six lines in order")
    values = dict(pairs)
    for key in keys:
        value = values.get(key, "MISSING")
        if key in expected and not re.fullmatch(expected[key], value):
            problems.append(f"{lang}: '{key}: {value}' is not the line the contract asks for")
        if key == "credentials":
            # Compare what matters side by side: the role and that the secret stayed hidden.
            parts = dict(p.split("=", 1) for p in value.split() if "=" in p)
            value = f"{parts.get('role', '?')} {parts.get('secret', '?')}"
        rows.setdefault(key, []).append(value)
for key in keys:
    if len(set(rows[key])) != 1:
        problems.append(f"{key}: the languages print different values")
width = max(len(k) for k in keys)
col = 2 + max(len(v) for key in keys for v in rows[key] + [key])
print("summary".ljust(width), *(lang.ljust(col) for lang in languages))
for key in keys:
    print(key.ljust(width), *(v.ljust(col) for v in rows[key]))
print()
if problems:
    print("LANGUAGES DISAGREE:", *problems, sep="\n  ")
    sys.exit(1)
print("every language agrees")
PY
if [ ${#failed[@]} -gt 0 ]; then
  echo "the demo failed in: ${failed[*]}" >&2
  exit 1
fi
exit $disagree
