#!/usr/bin/env bash
# Headless Chromium (Debian's package), for the test that opens the MLflow
# UI once. Idempotent.
set -euo pipefail
if command -v chromium >/dev/null; then exit 0; fi
if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
echo "==> installing chromium (headless UI check)"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
