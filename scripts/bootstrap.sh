#!/usr/bin/env bash
# Installs every Debian 12 package that osprey's build, tests, fuzzers and benchmarks need, and
# the JavaScript SIP libraries of tests/interop/js (npm ci, pinned by its package-lock.json).
# Idempotent: packages already present are skipped, apt is not touched when nothing is missing,
# and npm runs only when tests/interop/js/node_modules does not match the lock file.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang clang-14 libclang-rt-14-dev clang-format
  # libraries (see DESIGN.md)
  libboost-dev libssl-dev libc-ares-dev libsqlite3-dev libexpected-dev libtomlplusplus-dev
  libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  # SBC header rules: regular expressions in linear time (DESIGN.md)
  libre2-dev
  # the server's allocator in release builds (CMakeLists.txt: OSPREY_MIMALLOC)
  libmimalloc-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev googletest libbenchmark-dev libosip2-dev libsofia-sip-ua-dev
  # real peers and tools used by tests
  sip-tester sipsak sipvicious openssl python3 procps
  # a local DNS server with NAPTR/SRV records for the RFC 3263 resolver tests
  dnsmasq-base
  # real softphones driven headless by tests/interop/test_softphones_*.py (console clients only)
  baresip-core linphone-cli twinkle-console
  # a real browser, headless, for JsSIP over its own WebSocket (tests/interop/test_websocket_browser.py)
  chromium
)

# Node.js and npm run JsSIP and SIP.js in tests/interop/test_websocket_js.py. A Node that is
# already there is used as it is: NodeSource's nodejs bundles npm, and Debian's npm package
# would conflict with it.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then
    sudo_cmd=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The JavaScript SIP libraries, exactly as package-lock.json pins them. The lock file's hash is
# kept in node_modules once `npm ci` succeeded: the next run sees it matches and needs no
# network; a changed lock file (or no node_modules) installs again.
js_dir="$root/tests/interop/js"
lock_hash="$(sha256sum "$js_dir/package-lock.json" | cut -d' ' -f1)"
stamp="$js_dir/node_modules/.osprey-package-lock.sha256"
if [ "$(cat "$stamp" 2>/dev/null)" != "$lock_hash" ]; then
  echo "bootstrap: npm ci in tests/interop/js"
  (cd "$js_dir" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_hash" >"$stamp"
fi
