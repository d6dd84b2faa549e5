#!/usr/bin/env bash
# Creates the skeleton of a workspace package: tools/new-package.sh NAME "description" [deps...]
# Each package gets package.json (exports with the @equissl/source condition for
# in-repo use, dist for publishing), tsconfig for typecheck and build, a vitest
# config that reuses vitest.shared.ts, and a README.
set -euo pipefail
name=$1; desc=$2; shift 2
dir=packages/$name
mkdir -p "$dir/src"
deps=""
for d in "$@"; do deps="$deps\"$d\": \"*\","; done
deps=${deps%,}
cat > "$dir/package.json" <<JSON
{
  "name": "@equissl/$name",
  "version": "0.1.0",
  "description": "$desc",
  "type": "module",
  "license": "MIT",
  "main": "./dist/index.js",
  "types": "./dist/index.d.ts",
  "exports": {
    ".": {
      "@equissl/source": "./src/index.ts",
      "types": "./dist/index.d.ts",
      "default": "./dist/index.js"
    }
  },
  "files": ["dist", "README.md"],
  "scripts": {
    "build": "node -e \"require('node:fs').rmSync('dist', { recursive: true, force: true })\" && tsc -p tsconfig.build.json",
    "test": "vitest run"
  },
  "dependencies": {$deps}
}
JSON
cat > "$dir/tsconfig.json" <<JSON
{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": { "noEmit": true },
  "include": ["src/**/*.ts", "test/**/*.ts", "vitest.config.ts"]
}
JSON
cat > "$dir/tsconfig.build.json" <<JSON
{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": { "outDir": "dist", "rootDir": "src", "customConditions": [] },
  "include": ["src/**/*.ts"],
  "exclude": ["src/**/*.test.ts"]
}
JSON
cat > "$dir/vitest.config.ts" <<TS
import { sharedConfig } from '../../vitest.shared.js';
export default sharedConfig;
TS
[ -f "$dir/README.md" ] || printf '# @equissl/%s\n\n%s\n' "$name" "$desc" > "$dir/README.md"
