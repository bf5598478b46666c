#!/bin/sh
# Bundles the backup's two entry points into OUT_DIR (default /out), as serverless-esbuild bundles the functions:
# ESM, node22, a require() for the CommonJS dependencies, source maps.
#   backup-database.mjs  the Lambda handler (backup-database.handler)
#   backup-task.mjs      the Fargate task's entrypoint (scripts/backup-task.ts)
# Run from the repository root (the Dockerfile's build stage; tests/unit/backup-dockerfile.test.ts runs it too).
set -eu
OUT_DIR="${1:-/out}"
for entry in functions/backup-database.ts scripts/backup-task.ts; do
  npx esbuild "$entry" --bundle --platform=node --target=node22 --format=esm --sourcemap \
    --log-level=warning --outfile="$OUT_DIR/$(basename "$entry" .ts).mjs" \
    "--banner:js=import { createRequire as __fmCreateRequire } from 'node:module'; const require = __fmCreateRequire(import.meta.url);"
done
