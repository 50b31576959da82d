#!/usr/bin/env bash
# Creates a local Debian 12 (bookworm) base image for aeromancy's Dockerfile,
# for machines that reach a Debian mirror but no image registry:
#
#   debootstrap --variant=minbase bookworm ROOTFS MIRROR
#   tar -C ROOTFS -c . | docker import - aeromancy-base:bookworm
#
# The mirror is the one apt on this machine already uses (read from
# /etc/apt/sources.list and the deb822 files in /etc/apt/sources.list.d/),
# never a hard-coded address. Does nothing when the image already exists.
#
# Usage: cmake/make-base-image.sh [IMAGE]   (default aeromancy-base:bookworm)
# Environment: AEROMANCY_ENGINE (docker or podman, default docker),
#              AEROMANCY_MIRROR (overrides the mirror read from apt).
# Needs root (debootstrap). Prints the image name on stdout.
set -euo pipefail

image=${1:-aeromancy-base:bookworm}
engine=${AEROMANCY_ENGINE:-docker}
suite=bookworm

say() { echo "make-base-image: $*" >&2; }
die() {
  say "$*"
  exit 1
}

if "$engine" image inspect "$image" >/dev/null 2>&1; then
  echo "$image"
  exit 0
fi

# apt_entries: prints "URI SUITE COMPONENTS..." for every enabled deb source
# of this machine, one-line style and deb822 style alike.
apt_entries() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    # "deb [options] URI SUITE COMPONENTS..."
    awk '$1 == "deb" {
           i = 2
           if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
           line = $i; for (j = i + 1; j <= NF; j++) line = line " " $j
           print line
         }' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    # deb822: paragraphs of "Key: value"; comments start with #.
    awk 'function flush() {
           if (types ~ /(^| )deb( |$)/ && enabled != "no")
             for (u = 1; u <= nu; u++)
               for (s = 1; s <= ns; s++) print uris[u], suites[s], comps
           types = ""; enabled = ""; comps = ""; nu = 0; ns = 0
         }
         /^[ \t]*#/ { next }
         /^[ \t]*$/ { flush(); next }
         {
           key = tolower($1); sub(/:$/, "", key)
           val = $0; sub(/^[^:]*:[ \t]*/, "", val)
           if (key == "types") types = val
           else if (key == "enabled") enabled = tolower(val)
           else if (key == "components") comps = val
           else if (key == "uris") nu = split(val, uris, /[ \t]+/)
           else if (key == "suites") ns = split(val, suites, /[ \t]+/)
         }
         END { flush() }' "$f"
  done
}

entries=$(apt_entries)
mirror=${AEROMANCY_MIRROR:-}
if [[ -z $mirror ]]; then
  mirror=$(awk -v s="$suite" '$2 == s { print $1; exit }' <<<"$entries")
fi
[[ -n $mirror ]] ||
  die "no apt source for Debian '$suite' in /etc/apt/sources.list or /etc/apt/sources.list.d/; set AEROMANCY_MIRROR=URL"

((EUID == 0)) || die "debootstrap needs root: run this script as root (sudo $0)"
command -v debootstrap >/dev/null ||
  die "debootstrap is not installed: apt-get install debootstrap"
"$engine" version >/dev/null 2>&1 ||
  die "the container engine '$engine' is not reachable (is the daemon running?)"

work=$(mktemp -d "${TMPDIR:-/var/tmp}/aeromancy-base.XXXXXX")
rootfs=$work/rootfs
# An interrupted debootstrap can leave /proc or /sys mounted in the rootfs:
# unmount them before removing anything, and never cross into a mount.
cleanup() {
  { findmnt -rn -o TARGET | grep -F "$rootfs/" | sort -r | xargs -r umount -l; } 2>/dev/null || true
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

say "debootstrap --variant=minbase $suite from $mirror (a few minutes)"
debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 20 "$work/debootstrap.log" >&2
  die "debootstrap failed (log above)"
}

# The image's apt uses the same sources as this machine for the bookworm
# family (bookworm, -updates, -security), so that packages installed in the
# image come from where the host's come from.
awk -v s="$suite" '$2 == s || index($2, s "-") == 1 { print "deb " $0 }' \
  <<<"$entries" | awk '!seen[$0]++' >"$rootfs/etc/apt/sources.list"
# A frozen mirror (a snapshot) serves Release files past their Valid-Until:
# carry over the host's settings for that, and keep images small.
cat >"$rootfs/etc/apt/apt.conf.d/90aeromancy" <<EOF
Acquire::Check-Valid-Until "$(apt-config dump Acquire::Check-Valid-Until --format '%v' 2>/dev/null || true)";
Acquire::Languages "none";
APT::Install-Recommends "false";
EOF
sed -i '/Check-Valid-Until "";/d' "$rootfs/etc/apt/apt.conf.d/90aeromancy"
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb

say "importing $image"
tar --numeric-owner -C "$rootfs" -c . |
  "$engine" import --change 'CMD ["/bin/bash"]' --change 'ENV LANG=C.UTF-8' - "$image" >/dev/null
echo "$image"
