#!/usr/bin/env bash
# Installs the Debian packages ovseg builds against, if any is missing.
set -euo pipefail
packages=(libopenblas-dev libpng-dev libjson-c-dev libssl-dev libtiff-dev libturbojpeg0-dev pkg-config)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
echo "installing ${missing[*]} …" >&2
if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
elif command -v sudo >/dev/null; then
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
    echo "ovseg needs these Debian packages: ${missing[*]} (run as root or install them)" >&2
    exit 1
fi
