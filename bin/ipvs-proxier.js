#!/usr/bin/env -S node --max-semi-space-size=4
// Runs the built CLI (dist/, for the container image and npm installs, where Node refuses to strip
// types under node_modules) or, in a source checkout, the TypeScript directly on Node 24.
// The V8 flag in the shebang is src/cli/node-flags.ts's DAEMON_NODE_FLAGS (a unit test keeps them equal).
import { existsSync } from 'node:fs';

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(`ipvs-proxier needs Node.js 24 or newer, not ${process.version}: run it with npx ipvs-proxier (the project pins Node 24)\n`);
  process.exit(1);
}
const built = new URL('../dist/cli/main.js', import.meta.url);
const entry = existsSync(built) ? built : new URL('../src/cli/main.ts', import.meta.url);
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
