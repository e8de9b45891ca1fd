#!/usr/bin/env node
// Thin launcher so `npx codectx` works from a checkout: the CLI itself is compiled to dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('codectx: not built yet; run `npm run build` first\n');
  process.exit(2);
}
await import(entry.href);
