// The fingerprint of everything dist/ is built from: the sources, the lockfile, the build script and the
// TypeScript settings. build.mjs records it in dist/source-hash.txt; scripts/test.sh compares it, so a test
// can never run against a bundle older than the source.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const INPUTS = ['src', 'package-lock.json', 'scripts/build.mjs', 'tsconfig.json', 'tsconfig.build.json'];

function files(relative) {
  const full = path.join(root, relative);
  if (!fs.statSync(full).isDirectory()) return [relative];
  return fs
    .readdirSync(full)
    .sort()
    .flatMap((entry) => files(path.join(relative, entry)));
}

export function sourceHash() {
  const hash = createHash('sha256');
  for (const file of INPUTS.flatMap(files).sort()) {
    hash.update(`${file.split(path.sep).join('/')}\0`);
    hash.update(fs.readFileSync(path.join(root, file)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.stdout.write(`${sourceHash()}\n`);
