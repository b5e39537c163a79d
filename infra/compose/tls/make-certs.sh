#!/bin/sh
# Makes what infra/compose/docker-compose.tls.yml mounts, in this directory: a private CA, the exporters' server
# certificate (for the compose service names, localhost and 127.0.0.1), a client certificate for the scrapers, and
# the scrapers' basic-auth password file. For a lab: a real deployment brings its own CA and secrets.
set -eu
cd "$(dirname "$0")"
days=${DAYS:-825}
ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
# shellcheck disable=SC2086
openssl req -x509 $ec -keyout ca.key -out ca.crt -days "$days" -subj /CN=power-exporters-ca \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
leaf() { # name cn sans usage
  printf 'subjectAltName=%s\nextendedKeyUsage=%s\nbasicConstraints=CA:FALSE\n' "$3" "$4" > "$1.ext"
  # shellcheck disable=SC2086
  openssl req $ec -keyout "$1.key" -out "$1.csr" -subj "/CN=$2"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days "$days" -extfile "$1.ext"
  rm -f "$1.csr" "$1.ext"
}
leaf exporter power-exporters DNS:cpu-exporter,DNS:gpu-exporter,DNS:localhost,IP:127.0.0.1 serverAuth
leaf scraper scraper DNS:scraper clientAuth
# exporter-toolkit's example user: alice / alice123 (web.yml holds its bcrypt hash). Change both together.
printf '%s' alice123 > scraper.password
chmod 0644 ./*.key scraper.password # read by the exporters' and the stores' non-root users in the containers
