#!/usr/bin/env bash
# Makes a development CA and a serving certificate for AdmissionGuard with openssl.
#   certs-dev/make-certs.sh [OUT_DIR] [SERVICE_NAMESPACE]
# Writes ca.crt, ca.key, tls.crt, tls.key into OUT_DIR (default: this folder). The serving
# certificate is valid for 127.0.0.1, localhost and the in-cluster Service names
# admissionguard.<ns>.svc and admissionguard.<ns>.svc.cluster.local (ns default: admissionguard).
# For a cluster, paste the CA into the webhook's caBundle:  base64 -w0 OUT_DIR/ca.crt
set -euo pipefail
out=${1:-$(dirname "$0")}
ns=${2:-admissionguard}
mkdir -p "$out"
cd "$out"
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 365 -keyout ca.key -out ca.crt \
  -subj "/CN=admissionguard-dev-ca" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -sha256 -keyout tls.key -out tls.csr \
  -subj "/CN=admissionguard.$ns.svc" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:admissionguard.%s.svc,DNS:admissionguard.%s.svc.cluster.local\nextendedKeyUsage=serverAuth\n' "$ns" "$ns" > tls.ext
openssl x509 -req -sha256 -days 365 -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
  -out tls.crt -extfile tls.ext 2>/dev/null
rm -f tls.csr tls.ext ca.srl
chmod 600 ca.key tls.key
echo "certs-dev: wrote $(pwd)/{ca.crt,ca.key,tls.crt,tls.key} for 127.0.0.1, localhost, admissionguard.$ns.svc"
