#!/usr/bin/env bash
# Installs every Debian 12 package that osprey's build, tests, fuzzers and benchmarks need.
# Idempotent: packages already present are skipped, and apt is not touched when nothing is missing.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang clang-14 libclang-rt-14-dev clang-format
  # libraries (see DESIGN.md)
  libboost-dev libssl-dev libc-ares-dev libsqlite3-dev libexpected-dev libtomlplusplus-dev
  libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
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
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "bootstrap: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
