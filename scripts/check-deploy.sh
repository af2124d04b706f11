#!/usr/bin/env bash
# The upload `wrangler deploy` would make, built and measured offline (--dry-run): fails
# when it is over the platform's 1 MiB (gzip) limit for a Worker on the free plan, so a
# feature that bloats the edge is caught here rather than at deploy time.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
LIMIT_KIB=1024
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
report="$(LEADFORM_PREBUILT=1 wrangler deploy --dry-run --outdir "$out" 2>&1)"
line="$(grep -o 'Total Upload: .*' <<<"$report" || true)"
if [ -z "$line" ]; then
  echo "$report" >&2
  echo "check-deploy: wrangler printed no upload size" >&2
  exit 1
fi
gzip_kib="$(sed -E 's/.*gzip: ([0-9.]+) KiB.*/\1/' <<<"$line")"
echo "deploy upload: $line (limit ${LIMIT_KIB} KiB gzip)"
awk -v size="$gzip_kib" -v limit="$LIMIT_KIB" 'BEGIN { exit !(size <= limit) }' || {
  echo "check-deploy: the upload is ${gzip_kib} KiB gzip, over ${LIMIT_KIB} KiB" >&2
  exit 1
}
