#!/usr/bin/env bash
# Installs a headless Chromium for the UI test (test/ui/) into .tools/chromium from Debian's own
# packages, as root or not and without changing the system: apt works on a private copy of the
# package lists, `apt-get download` fetches chromium-headless-shell with whatever libraries this
# machine lacks (apt's own simulated install decides which) and `dpkg -x` unpacks them.
# Does nothing when it is already there. Prints the path of the executable (a wrapper that points
# the dynamic loader at the unpacked libraries), and nothing else on success.
set -euo pipefail
cd "$(dirname "$0")/.."
dest="$PWD/.tools/chromium"
exe="$dest/chromium"
if [ -x "$exe" ]; then
  echo "$exe"
  exit 0
fi

mkdir -p "$PWD/.tools"
# Beside $dest, so the final rename stays on one filesystem and is atomic.
work="$(mktemp -d "$PWD/.tools/chromium.tmp.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs" "$work/tree"
apt_options=(
  -qq
  -o Dir::State::Lists="$work/lists"
  -o Dir::Cache="$work/cache"
  -o Debug::NoLocking=1
  # As root apt would download as _apt, which cannot write to our private directories.
  -o APT::Sandbox::User="$(id -un)"
)
apt-get "${apt_options[@]}" update
# The two chromium packages always (even if installed system-wide), plus what apt would install.
packages="$(
  {
    echo chromium-headless-shell
    echo chromium-common
    apt-get "${apt_options[@]}" --simulate --no-install-recommends install chromium-headless-shell |
      awk '$1 == "Inst" { print $2 }'
  } | sort -u
)"
# shellcheck disable=SC2086 # one package name a word
(cd "$work/debs" && apt-get "${apt_options[@]}" download $packages)
for deb in "$work"/debs/*.deb; do dpkg -x "$deb" "$work/tree"; done

cat >"$work/tree/chromium" <<'WRAPPER'
#!/bin/sh
# chromium-headless-shell with the libraries unpacked beside it (scripts/install-chromium.sh).
here="$(dirname "$(readlink -f "$0")")"
lib="$here/usr/lib/x86_64-linux-gnu:$here/usr/lib/x86_64-linux-gnu/pulseaudio:$here/lib/x86_64-linux-gnu"
LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "$here/usr/lib/chromium/chromium-headless-shell" "$@"
WRAPPER
chmod +x "$work/tree/chromium"
"$work/tree/chromium" --version >/dev/null # fails here, not in the test, if a library is missing

[ -x "$exe" ] || rm -rf "$dest" # an unfinished or older layout
# -T: if a concurrent run finished first, fail instead of moving ours inside its directory.
if ! mv -T "$work/tree" "$dest" 2>/dev/null && [ ! -x "$exe" ]; then
  echo "install-chromium: could not move the unpacked tree to $dest" >&2
  exit 1
fi
echo "$exe"
