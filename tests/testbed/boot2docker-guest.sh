#!/usr/bin/env bash
# Makes a running test-bed VM (vm.sh start DIR <docker-ready image dir>) present itself as
# boot2docker, for the boot2docker provisioner's end-to-end test: boot2docker's
# /etc/os-release (ID=boot2docker), /usr/bin/sethostname, an /etc/init.d/docker that reads
# /var/lib/boot2docker/profile (stand-ins in boot2docker/, see their headers), systemd's
# docker units masked (boot2docker has no systemd), and the daemon started by the init
# script with a self-signed TLS setup in /var/lib/boot2docker/tls, as boot2docker's
# DOCKER_TLS=auto left it at first boot. No real boot2docker ISO can be fetched here.
#
# Usage: tests/testbed/boot2docker-guest.sh VM_DIR
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
dir=${1:?usage: boot2docker-guest.sh VM_DIR}
vm() { bash "$HERE/vm.sh" "$@"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(
  cd "$tmp"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 2 \
    -subj /CN=boot2docker-ca 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout serverkey.pem -out server.csr \
    -subj /CN=boot2docker 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > san.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
    -out server.pem -days 2 -extfile san.ext 2>/dev/null
)
for f in os-release sethostname init.d-docker; do
  vm put "$dir" "$HERE/boot2docker/$f" "/tmp/b2d-$f"
done
for f in ca.pem server.pem serverkey.pem; do
  vm put "$dir" "$tmp/$f" "/tmp/b2d-$f"
done
vm ssh "$dir" 'sudo sh -c "set -e
systemctl disable --now docker.service docker.socket >/dev/null 2>&1 || true
systemctl mask docker.service docker.socket >/dev/null 2>&1
rm -f /etc/os-release && install -m 644 /tmp/b2d-os-release /etc/os-release
install -m 755 /tmp/b2d-sethostname /usr/bin/sethostname
install -m 755 /tmp/b2d-init.d-docker /etc/init.d/docker
mkdir -p /var/lib/boot2docker/tls
install -m 644 /tmp/b2d-ca.pem /var/lib/boot2docker/tls/ca.pem
install -m 644 /tmp/b2d-server.pem /var/lib/boot2docker/tls/server.pem
install -m 600 /tmp/b2d-serverkey.pem /var/lib/boot2docker/tls/serverkey.pem
rm -f /tmp/b2d-*
/etc/init.d/docker start"'
