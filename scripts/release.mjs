// Prepares a release commit: the reusable workflows run the actions and call each other at the release's own tag.
//   node scripts/release.mjs --version v1.2.3 [--repository owner/name]
// On main the workflows use `actions-ref: main` and a local `./.github/workflows/rollback.yml`; in the commit a
// tag points at, both name that tag, so `uses: …/rollback.yml@v1` (or @v1.2.3, or the commit's SHA) runs the
// actions of exactly that release. Refuses a malformed version and a version CHANGELOG.md does not describe.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const WORKFLOWS = ['.github/workflows/rollback.yml', '.github/workflows/auto-rollback.yml'];

/** Returns the rewritten text of one workflow, or throws naming what is wrong. */
export function releaseWorkflow(text, version, repository) {
  const actionsRef = /(actions-ref: \{ type: (?:string|choice), required: false, default: )main(,)/g;
  const localCall = /uses: \.\/\.github\/workflows\/([a-z-]+\.yml)/g;
  if (!actionsRef.test(text)) throw new Error('no `actions-ref` input with default main: the workflow changed shape; update scripts/release.mjs');
  return text.replace(actionsRef, `$1${version}$2`).replace(localCall, `uses: ${repository}/.github/workflows/$1@${version}`);
}

export function checkRelease(root, version) {
  if (!/^v\d+\.\d+\.\d+$/.test(version)) throw new Error(`--version must look like v1.2.3, got "${version}"`);
  const changelog = fs.readFileSync(path.join(root, 'CHANGELOG.md'), 'utf8');
  if (!new RegExp(`^## ${version.replace(/\./g, '\\.')}( |$)`, 'm').test(changelog))
    throw new Error(`CHANGELOG.md has no "## ${version}" section: describe the release first`);
}

export function prepareRelease(root, version, repository) {
  checkRelease(root, version);
  for (const file of WORKFLOWS) {
    const full = path.join(root, file);
    fs.writeFileSync(full, releaseWorkflow(fs.readFileSync(full, 'utf8'), version, repository));
  }
  return WORKFLOWS;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const flag = (name, fallback) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? (args[i + 1] ?? '') : fallback;
  };
  try {
    const changed = prepareRelease(process.cwd(), flag('version', ''), flag('repository', 'keiko/rollback-actions'));
    console.log(`release ${flag('version', '')}: ${changed.join(', ')} now name the release's own tag`);
  } catch (error) {
    console.error(`error: ${error.message}`);
    process.exit(1);
  }
}
