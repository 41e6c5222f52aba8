#!/usr/bin/env bash
# Rebuilds session.sztc: one garage's TCP session as SZTC frames, made with
# `parksim proto encode` from the JSON data files beside this script.
set -euo pipefail
cd "$(dirname "$0")"
bin=${PARKSIM:-../../target/release/parksim}
ts=1793577661   # 2026-11-02 08:01:01 UTC
n=1
: > session.sztc
for code in 1004 3001 5003 5004 1006 5008 5005 5003; do
  "$bin" proto encode --command "$code" --packet-no "$n" --timestamp "$ts" < "$code.json" >> session.sztc
  n=$((n + 1)); ts=$((ts + 60))
done
echo "session.sztc: $(wc -c < session.sztc) bytes, $((n - 1)) frames"
