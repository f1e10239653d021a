#!/usr/bin/env bash
# Runs a command against an emulator, for the C, Go and Java demos.
#
#   with-emulator.sh [--spot-in SECONDS] -- COMMAND [ARG...]
#
# When `make demo` already runs one (AWS_EC2_METADATA_SERVICE_ENDPOINT and
# IMDS_EMULATOR_ADMIN set), the command runs against it as it is. Otherwise this starts
# $IMDS_EMULATOR_BIN on free loopback ports, exports AWS_EC2_METADATA_SERVICE_ENDPOINT (so
# the command finds it the way it would find IMDS configured anywhere), IMDS_EMULATOR_ADMIN
# and IMDS_EMULATOR_CERT (a file holding the certificate that signs the identity document),
# optionally schedules a spot interruption notice, runs the command, and stops the emulator
# whatever happens.
set -euo pipefail

spot_in=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --spot-in) spot_in=$2; shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
[[ $# -gt 0 ]] || { echo "usage: $0 [--spot-in SECONDS] -- COMMAND..." >&2; exit 2; }
if [[ -n ${AWS_EC2_METADATA_SERVICE_ENDPOINT:-} && -n ${IMDS_EMULATOR_ADMIN:-} ]]; then
  exec "$@"
fi
: "${IMDS_EMULATOR_BIN:?set IMDS_EMULATOR_BIN to the imds-emulator binary (make does)}"

coproc EMULATOR { exec "$IMDS_EMULATOR_BIN" --port 0 --admin-port 0 --exit-on-stdin-eof \
  --log-level warn; }
emulator_pid=$EMULATOR_PID
emulator_in=${EMULATOR[1]}
stop() {
  # Closing its stdin ends the emulator; SIGTERM is the fallback.
  eval "exec ${emulator_in}>&-" 2>/dev/null || true
  sleep 0.2
  kill "$emulator_pid" 2>/dev/null || true
  wait "$emulator_pid" 2>/dev/null || true
  rm -rf "$work"
}
work=$(mktemp -d)
trap stop EXIT

read -r ready <&"${EMULATOR[0]}"
endpoint=$(sed -E 's/.*"endpoint":"([^"]+)".*/\1/' <<<"$ready")
admin=$(sed -E 's/.*"admin":"([^"]+)".*/\1/' <<<"$ready")
export AWS_EC2_METADATA_SERVICE_ENDPOINT=$endpoint IMDS_EMULATOR_ADMIN=$admin
echo "emulator: metadata at $endpoint, admin at $admin" >&2

# One request to the admin API over bash's /dev/tcp, its response body on stdout; fails
# unless it answers 200. (Connection: close, so the body ends where the stream does.)
admin_request() {
  local method=$1 path=$2 body=${3:-} hostport=${admin#http://} status line
  exec 9<>"/dev/tcp/${hostport%:*}/${hostport##*:}"
  printf '%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
    "$method" "$path" "${hostport%:*}" "${#body}" "$body" >&9
  read -r _ status _ <&9
  while IFS= read -r line <&9 && [[ $line != $'\r' ]]; do :; done
  cat <&9
  exec 9>&-
  [[ $status == 200 ]] || { echo "admin $method $path answered $status" >&2; return 1; }
}

export IMDS_EMULATOR_CERT=$work/emulator-cert.pem
admin_request GET /certificate >"$IMDS_EMULATOR_CERT"

if [[ -n $spot_in ]]; then
  admin_request POST /events/spot "{\"action\":\"terminate\",\"in_seconds\":$spot_in}" >/dev/null
  echo "emulator: spot interruption notice due in ${spot_in}s" >&2
fi

"$@"
