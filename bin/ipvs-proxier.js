#!/usr/bin/env node
// Runs the built CLI (dist/, for the container image and npm installs, where Node refuses to strip
// types under node_modules) or, in a source checkout, the TypeScript directly on Node 24.
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli/main.js', import.meta.url);
const entry = existsSync(built) ? built : new URL('../src/cli/main.ts', import.meta.url);
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
