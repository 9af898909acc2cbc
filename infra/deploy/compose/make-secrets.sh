#!/bin/sh
# Creates the secret files docker-compose.yml mounts (./secrets/<name>), each only if missing:
# random passwords, API tokens and a 256-bit encryption key. Keep a copy of vigil-encryption-key
# somewhere else: without it no backup can be restored.
set -eu
cd "$(dirname "$0")"
umask 077
mkdir -p secrets
random() { head -c "$1" /dev/urandom | base64 | tr -d '\n/+=' | cut -c1-"$2"; }
make() {
  if [ ! -s "secrets/$1" ]; then
    printf '%s' "$2" > "secrets/$1"
    echo "created secrets/$1"
  fi
}
make postgres-superuser-password "$(random 48 32)"
make temporal-db-password "$(random 48 32)"
make catalog-db-password "$(random 48 32)"
make minio-root-user "vigiladmin"
make minio-root-password "$(random 48 40)"
make s3-access-key-id "vigil$(random 24 15)"
make s3-secret-access-key "$(random 48 40)"
make vigil-encryption-key "$(head -c 32 /dev/urandom | base64)"
make api-token-operator "$(random 48 40)"
make api-token-viewer "$(random 48 40)"
make grafana-admin-password "$(random 48 24)"
# Not random: replace it with your Slack-compatible incoming webhook URL (see alertmanager.yml).
make alertmanager-slack-url "http://127.0.0.1:9/replace-with-your-slack-compatible-webhook-url"
# Compose bind-mounts secret files with their host owner and mode; the containers run as other
# users (vigil 10001, postgres 999, grafana 472), so the files must be readable by them. The
# directory stays private to you (0700).
chmod 0700 secrets
chmod 0644 secrets/*
