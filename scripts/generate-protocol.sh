#!/usr/bin/env bash
# Regenerates the code for schemas/protocol.capnp: capnp-ts (CommonJS, used by the Node host) and
# capnp-es (ESM TypeScript, used by the Deno sandbox). Needs Debian's `capnproto` compiler.
# Usage: scripts/generate-protocol.sh [--help]
set -euo pipefail
if [[ "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then
  sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if ! command -v capnp >/dev/null; then
  echo "generate-protocol: the 'capnp' compiler is missing; install it with: apt-get install -y capnproto" >&2
  exit 1
fi
# capnpc-ts 0.7 only works with TypeScript 4.2, so it lives in its own pinned package.
if [[ ! -x scripts/codegen/node_modules/.bin/capnpc-ts ]]; then
  echo "generate-protocol: installing the pinned capnpc-ts generator (scripts/codegen)..." >&2
  npm --prefix scripts/codegen install --no-audit --no-fund --silent
fi
out_ts=schemas/generated/capnp-ts
out_es=schemas/generated/capnp-es
mkdir -p "$out_ts" "$out_es"
capnp compile -o "scripts/codegen/node_modules/.bin/capnpc-ts:$out_ts" --src-prefix=schemas schemas/protocol.capnp
capnp compile -o "node_modules/.bin/capnpc-ts:$out_es" --src-prefix=schemas schemas/protocol.capnp
# capnpc-ts emits CommonJS; the project is ESM, so mark that folder as CommonJS for Node.
echo '{ "type": "commonjs" }' > "$out_ts/package.json"
echo "generate-protocol: wrote $out_ts/protocol.capnp.{js,d.ts} and $out_es/protocol.ts" >&2
