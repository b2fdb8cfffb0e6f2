# shellcheck shell=bash
# What the local stand-in images share (make-base-image.sh, make-haproxy-image.sh): a
# host binary's shared libraries copied into a root directory at the paths the loader
# finds them at, and the root packed into an image reproducibly.
#
#   rootfs_libs <binary>...              -> every shared object they need, one path a line
#   rootfs_copy_libs <root> <path>...    -> copies those files (links resolved) into <root>
#   rootfs_import <root> <tag> <message> [--change ...]...   (needs DOCKER)

rootfs_libs() { ldd "$@" | awk '/=> \//{print $3} /^[[:space:]]*\/[^ ]+ \(/{print $1}' | sort -u; }

rootfs_copy_libs() {
  local root=$1 lib
  shift
  for lib in "$@"; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}

# A reproducible tarball: sorted, fixed times and owners.
rootfs_import() {
  local root=$1 tag=$2 message=$3
  shift 3
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$root" -c . |
    "$DOCKER" import "$@" --message "$message" - "$tag" >/dev/null
}
