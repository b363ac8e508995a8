#!/usr/bin/env bash
# The floor for create benchmarks: boot a fresh VM from IMAGE_DIR and do what
# provisioning does (wait for SSH, detect, install docker.io, certificates, daemon
# configuration, TLS check) with a plain shell script over ssh. Prints shell
# assignments (ssh_floor=... total_floor=...) of seconds since the VM was launched.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
image="$1"
work=$(mktemp -d)
trap 'tests/testbed/vm.sh rm "$work/vm" >/dev/null 2>&1; rm -rf "$work"' EXIT
tests/testbed/vm.sh start "$work/vm" "$image" >/dev/null
source "$work/vm/env"
s() { ssh -q -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes \
  -o ConnectTimeout=5 -i "$SSH_KEY" -p "$SSH_PORT" "$SSH_USER@127.0.0.1" "$@"; }
c="$work/certs"; mkdir -p "$c"
T0=$(now)
until s true 2>/dev/null; do sleep 1; done
s 'cloud-init status --wait >/dev/null 2>&1 || true'
ssh_floor=$(since "$T0")
s 'cat /etc/os-release' >/dev/null
detect_floor=$(since "$T0")
s 'sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io apparmor >/dev/null'
install_floor=$(since "$T0")
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$c/ca-key.pem" -out "$c/ca.pem" -days 2 -subj /O=floor 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$c/server-key.pem" -out "$c/server.csr" -subj /O=floor.g2 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > "$c/ext"
openssl x509 -req -in "$c/server.csr" -CA "$c/ca.pem" -CAkey "$c/ca-key.pem" -CAcreateserial -days 2 -extfile "$c/ext" -out "$c/server.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$c/key.pem" -out "$c/client.csr" -subj /O=floor.client 2>/dev/null
printf 'extendedKeyUsage=clientAuth\n' > "$c/cext"
openssl x509 -req -in "$c/client.csr" -CA "$c/ca.pem" -CAkey "$c/ca-key.pem" -CAcreateserial -days 2 -extfile "$c/cext" -out "$c/cert.pem" 2>/dev/null
for f in ca.pem server.pem server-key.pem; do s "sudo mkdir -p /etc/docker && sudo tee /etc/docker/$f >/dev/null" < "$c/$f"; done
s 'sudo mkdir -p /etc/systemd/system/docker.service.d && printf "[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd -H tcp://0.0.0.0:2376 -H unix:///var/run/docker.sock --tlsverify --tlscacert /etc/docker/ca.pem --tlscert /etc/docker/server.pem --tlskey /etc/docker/server-key.pem\n" | sudo tee /etc/systemd/system/docker.service.d/10-machine.conf >/dev/null && sudo systemctl daemon-reload && sudo systemctl restart docker'
until s 'ss -tln | grep -q :2376'; do sleep 1; done
configure_floor=$(since "$T0")
until docker --tlsverify --tlscacert "$c/ca.pem" --tlscert "$c/cert.pem" --tlskey "$c/key.pem" -H "tcp://127.0.0.1:$DOCKER_PORT" version >/dev/null 2>&1; do sleep 1; done
total_floor=$(since "$T0")

for v in ssh_floor detect_floor install_floor configure_floor total_floor; do echo "$v=${!v}"; done
