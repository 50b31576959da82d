#!/usr/bin/env bash
# Puts scikit-learn's diabetes data set (442 patients, 10 baseline
# measurements, and a measure of disease progression one year later) into
# DEST, taken from Debian's python3-sklearn package: copied from the
# installed package when there is one, otherwise unpacked from its .deb,
# downloaded with `apt-get download` (nothing is installed, no root needed
# once apt's lists are there). Writes DEST/SOURCE naming the package version.
#
# Usage: examples/diabetes/fetch-data.sh DEST
set -euo pipefail
dest=${1:?usage: fetch-data.sh DEST}
pkg=python3-sklearn
inner=usr/lib/python3/dist-packages/sklearn/datasets/data
files=(diabetes_data_raw.csv.gz diabetes_target.csv.gz)

have_all() {
  local f
  for f in "${files[@]}"; do [[ -s $1/$f ]] || return 1; done
}

mkdir -p "$dest"
have_all "$dest" && [[ -s $dest/SOURCE ]] && exit 0

if have_all "/$inner"; then
  for f in "${files[@]}"; do cp "/$inner/$f" "$dest/$f"; done
  dpkg-query -W -f='${Package} ${Version} (installed)\n' "$pkg" >"$dest/SOURCE"
  exit 0
fi

for tool in apt-get dpkg-deb tar; do
  command -v "$tool" >/dev/null ||
    { echo "fetch-data.sh: $tool not found: this script needs Debian's apt" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
download() {
  (cd "$tmp" && apt-get download -q "$pkg") >"$tmp/apt.log" 2>&1
}
# A machine that never ran apt-get update has no package lists: as root,
# fetch them once and retry.
if ! download && ! { ((EUID == 0)) && apt-get update -q >>"$tmp/apt.log" 2>&1 && download; }; then
  echo "fetch-data.sh: apt-get download $pkg failed (run apt-get update first?):" \
       "$(grep -E '^(E|Err|W):' "$tmp/apt.log" | head -1)" >&2
  exit 1
fi
debs=("$tmp"/*.deb)
deb=${debs[0]}
members=()
for f in "${files[@]}"; do members+=("./$inner/$f"); done
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" "${members[@]}"
for f in "${files[@]}"; do cp "$tmp/$inner/$f" "$dest/$f"; done
echo "$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)" >"$dest/SOURCE"
