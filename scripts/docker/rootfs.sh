# shellcheck shell=bash
# What the local stand-in images share (make-base-image.sh, make-haproxy-image.sh): a
# host binary's shared libraries copied into a root directory at the paths the loader
# finds them at, and the root packed into an image reproducibly.
#
#   rootfs_libs <binary>...              -> every shared object they need, one path a line
#   rootfs_copy_libs <root> <path>...    -> copies those files (links resolved) into <root>
#   rootfs_tag <name> <version> < inputs -> <name>:<version>-<hash of the inputs on stdin>
#   rootfs_reuse <tag> <log tag>         -> if the image exists: prints its tag and exits
#   rootfs_resolver_files <root>         -> nsswitch.conf, empty hosts and resolv.conf
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

# The tag carries a hash of every input, so an existing image is reused as is and any
# change on the host makes a new one.
rootfs_tag() { echo "$1:$2-$(sha256sum | cut -c1-12)"; }

rootfs_reuse() {
  if "$DOCKER" image inspect "$1" >/dev/null 2>&1; then
    echo "[$2] reusing $1" >&2
    echo "$1"
    exit 0
  fi
}

# What a process needs to look names up (the kubelet mounts its own hosts and resolv.conf).
rootfs_resolver_files() {
  cat >"$1/etc/nsswitch.conf" <<'EOF'
passwd: files
group:  files
hosts:  files dns
EOF
  : >"$1/etc/hosts"
  : >"$1/etc/resolv.conf"
}

# A reproducible tarball: sorted, fixed times and owners.
rootfs_import() {
  local root=$1 tag=$2 message=$3
  shift 3
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$root" -c . |
    "$DOCKER" import "$@" --message "$message" - "$tag" >/dev/null
}
