#!/usr/bin/env bash
# Makes a `busybox:latest` Docker image from Debian's busybox-static package,
# so guests can run containers without any registry (the test bed has no
# internet access besides Debian's mirror).
#
# Output (outside the repo, never overwritten once published):
#   ${TESTBED_CACHE:-/var/cache/docker-machine-testbed}/busybox-<key>/
#     busybox.tar         `docker save` format (manifest.json, repositories,
#                         <config>.json, one layer) -> `docker load -i busybox.tar`
#     busybox-rootfs.tar  the same filesystem as a plain tarball
#                         -> `docker import busybox-rootfs.tar busybox:latest`
#     info                busybox-static version, digests
#     done                marker: the directory is complete
# <key> is a short sha256 of this script. The output directory is printed as
# the last line of stdout.
set -euo pipefail

TAG=busybox:latest

log() { printf '[busybox-image %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

for tool in apt-get dpkg-deb tar python3 sha256sum flock; do
  command -v "$tool" >/dev/null || die "$tool missing: run tests/testbed/install-deps.sh"
done

SELF=$(readlink -f "${BASH_SOURCE[0]}")
CACHE=${TESTBED_CACHE:-/var/cache/docker-machine-testbed}
KEY=busybox-$(sha256sum "$SELF" | cut -c1-16)
OUT=$CACHE/$KEY

if [[ -f $OUT/done ]]; then
  echo "$OUT"
  exit 0
fi
mkdir -p "$CACHE"
exec 9>"$CACHE/$KEY.lock"
flock 9
if [[ -f $OUT/done ]]; then
  echo "$OUT"
  exit 0
fi
# Holding the lock: leftovers for this key are from a killed run.
rm -rf "$CACHE/.tmp-$KEY".* "$OUT"

TMP=$(mktemp -d "$CACHE/.tmp-$KEY.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"

# Only the .deb is fetched (from the host's configured Debian mirror); it
# is unpacked without installing anything on the host. Sandbox user root:
# the 0700 temp dir is not writable for apt's _apt user.
apt-get -q -o APT::Sandbox::User=root download busybox-static >&2
debs=(busybox-static_*.deb)
[[ -f ${debs[0]} ]] || die "apt-get download busybox-static produced no .deb"
version=$(dpkg-deb -f "${debs[0]}" Version)
dpkg-deb -x "${debs[0]}" deb
[[ -x deb/bin/busybox ]] || die "no bin/busybox in ${debs[0]}"

# Root filesystem: the static binary plus one symlink per applet, at the
# paths busybox itself reports (bin/sh, usr/bin/env, sbin/ip, ...).
mkdir -p rootfs/bin
cp deb/bin/busybox rootfs/bin/busybox
chmod 755 rootfs/bin/busybox
n=0
while read -r applet; do
  [[ -n $applet && $applet != bin/busybox ]] || continue
  [[ -e rootfs/$applet || -L rootfs/$applet ]] && continue
  mkdir -p "rootfs/$(dirname "$applet")"
  ln -s /bin/busybox "rootfs/$applet"
  n=$((n + 1))
done < <(rootfs/bin/busybox --list-full)
[[ -L rootfs/bin/sh ]] || die "busybox has no sh applet"
mkdir -p rootfs/{etc,dev,proc,sys,root,home,var/spool/mail,usr/sbin}
mkdir -m 1777 rootfs/tmp
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >rootfs/etc/passwd
printf 'root:x:0:\nnogroup:x:65534:\n' >rootfs/etc/group
chmod 700 rootfs/root

# Reproducible layer: sorted, fixed owner and mtime, no "./" prefixes.
TAR_OPTS=(--sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu)
mapfile -t top < <(find rootfs -mindepth 1 -maxdepth 1 -printf '%P\n' | LC_ALL=C sort)
tar "${TAR_OPTS[@]}" -C rootfs -cf layer.tar -- "${top[@]}"

# docker save layout (the format `docker load` reads):
#   manifest.json  [{"Config": "<sha>.json", "RepoTags": [...], "Layers": ["<id>/layer.tar"]}]
#   repositories   {"busybox": {"latest": "<id>"}}  (legacy, still honoured)
#   <sha>.json     image config; rootfs.diff_ids = sha256 of the layer tar
#   <id>/layer.tar, <id>/VERSION, <id>/json  (v1 layer metadata)
mkdir image
python3 - "$TAG" "$version" "$n" <<'PY'
import hashlib, json, os, shutil, sys
tag, version, napplets = sys.argv[1:]
repo, _, ref = tag.partition(":")
with open("layer.tar", "rb") as f:
    diff_id = hashlib.sha256(f.read()).hexdigest()
created = "1970-01-01T00:00:00Z"
container_cfg = {
    "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    "Cmd": ["sh"],
}
config = {
    "architecture": "amd64",
    "os": "linux",
    "created": created,
    "config": container_cfg,
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff_id]},
    "history": [{
        "created": created,
        "created_by": f"tests/testbed/busybox-image.sh: Debian busybox-static {version}, {napplets} applets",
    }],
}
def canon(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()
cfg_bytes = canon(config)
cfg_id = hashlib.sha256(cfg_bytes).hexdigest()
layer_id = diff_id  # any 64-hex id works for a single-layer image
os.makedirs(f"image/{layer_id}")
shutil.copyfile("layer.tar", f"image/{layer_id}/layer.tar")
with open(f"image/{layer_id}/VERSION", "w") as f:
    f.write("1.0")
with open(f"image/{layer_id}/json", "wb") as f:
    f.write(canon({"id": layer_id, "created": created, "os": "linux",
                   "architecture": "amd64", "config": container_cfg,
                   "container_config": container_cfg}))
with open(f"image/{cfg_id}.json", "wb") as f:
    f.write(cfg_bytes)
with open("image/manifest.json", "wb") as f:
    f.write(canon([{"Config": f"{cfg_id}.json", "RepoTags": [tag],
                    "Layers": [f"{layer_id}/layer.tar"]}]))
with open("image/repositories", "wb") as f:
    f.write(canon({repo: {ref: layer_id}}))
with open("ids", "w") as f:
    f.write(f"image_id=sha256:{cfg_id}\ndiff_id=sha256:{diff_id}\n")
PY

mkdir out
mapfile -t entries < <(find image -mindepth 1 -maxdepth 1 -printf '%P\n' | LC_ALL=C sort)
tar "${TAR_OPTS[@]}" -C image -cf out/busybox.tar -- "${entries[@]}"
cp layer.tar out/busybox-rootfs.tar
{
  echo "key=$KEY"
  echo "tag=$TAG"
  echo "busybox_static=$version"
  echo "applets=$n"
  cat ids
} >out/info
touch out/done
mv -T out "$OUT"
log "published $OUT (busybox-static $version, $n applets, $(du -h "$OUT/busybox.tar" | cut -f1))"
echo "$OUT"
