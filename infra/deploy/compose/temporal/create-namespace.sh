#!/bin/sh
# One-shot once the Temporal server is up (compose service temporal-namespace): creates the
# namespace vigil.yaml names (temporal.namespace), unless it exists. temporalio/server does not
# create one by itself, as auto-setup did.
set -eu
address="${TEMPORAL_ADDRESS:-temporal:7233}"
namespace="${VIGIL_NAMESPACE:-default}"
retention="${NAMESPACE_RETENTION:-72h}"

attempt=1
until temporal operator cluster health --address "$address"; do
  if [ "$attempt" -ge "${HEALTH_ATTEMPTS:-30}" ]; then
    echo "Temporal at $address is not serving after $attempt attempts" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep "${HEALTH_INTERVAL:-2}"
done

if temporal operator namespace describe --namespace "$namespace" --address "$address" >/dev/null 2>&1; then
  echo "namespace $namespace exists"
else
  temporal operator namespace create --namespace "$namespace" --retention "$retention" --address "$address"
  echo "namespace $namespace created (retention $retention)"
fi
