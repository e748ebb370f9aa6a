#!/usr/bin/env bash
# Installs the Debian packages ragsql needs and builds pgvector from Debian's
# source package (not packaged for bookworm). Idempotent: each step checks
# first, so a second run takes a second.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=.build
PG_MAJOR=${PG_MAJOR:-15}
PG_CONFIG=/usr/lib/postgresql/$PG_MAJOR/bin/pg_config
PKGS="postgresql-$PG_MAJOR postgresql-client-$PG_MAJOR postgresql-plpython3-$PG_MAJOR
      postgresql-server-dev-$PG_MAJOR postgresql-$PG_MAJOR-cron build-essential dpkg-dev python3-venv python3-dev"

if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi

missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "==> installing Debian packages:$missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

# A distro-managed cluster would hold the default port and run as a service we
# do not want; ragsql runs its own project-local cluster instead.
if command -v pg_lsclusters >/dev/null && pg_lsclusters -h 2>/dev/null | grep -q "^$PG_MAJOR main"; then
  $SUDO pg_ctlcluster "$PG_MAJOR" main stop 2>/dev/null || true
fi

ext_dir=$($PG_CONFIG --sharedir)/extension
if [ -f "$ext_dir/vector.control" ] && [ -f "$($PG_CONFIG --pkglibdir)/vector.so" ]; then
  exit 0
fi

echo "==> building pgvector from Debian's trixie source package"
mkdir -p "$BUILD/apt/lists/partial" "$BUILD/apt/cache/archives/partial" "$BUILD/src"
# Same mirror as the system already uses; a private sources list and state
# directories leave the system's apt configuration untouched.
mirror=$(grep -rhoE '^URIs:[[:space:]]*[^[:space:]]+' /etc/apt/sources.list.d/*.sources 2>/dev/null \
           | awk '{print $2}' | grep -v -- '-security' | head -n1 || true)
if [ -z "$mirror" ]; then
  mirror=$(grep -hoE '^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?[^[:space:]]+' /etc/apt/sources.list 2>/dev/null \
             | awk '{print $NF}' | grep -v -- '-security' | head -n1 || true)
fi
[ -n "$mirror" ] || { echo "cannot find a Debian mirror in the system's apt sources" >&2; exit 1; }
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" > "$BUILD/apt/sources.list"
APT_OPTS=(-o Dir::Etc::SourceList="$PWD/$BUILD/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
          -o Dir::State::Lists="$PWD/$BUILD/apt/lists" -o Dir::Cache="$PWD/$BUILD/apt/cache"
          -o APT::Sandbox::User=root)
apt-get "${APT_OPTS[@]}" update -qq
( cd "$BUILD/src" && rm -rf pgvector-* && apt-get "${APT_OPTS[@]}" source -qq pgvector >/dev/null )
srcdir=$(find "$BUILD/src" -maxdepth 1 -type d -name 'pgvector-*' | head -n1)
make -s -C "$srcdir" PG_CONFIG="$PG_CONFIG" >/dev/null
$SUDO make -s -C "$srcdir" PG_CONFIG="$PG_CONFIG" install >/dev/null
echo "==> pgvector $(grep default_version "$ext_dir/vector.control" | cut -d"'" -f2) installed"
