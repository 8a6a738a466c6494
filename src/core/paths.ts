import fs from 'node:fs';
import path from 'node:path';
import { ConfigurationError } from './errors.js';

function realpathOrSelf(target: string): string {
  try {
    return fs.realpathSync(target);
  } catch {
    return path.resolve(target);
  }
}

/** Resolves `relative` against the workspace and refuses anything that ends up outside it (`../`, symlinks). */
export function insideWorkspace(workspace: string, relative: string, input: string): string {
  const root = realpathOrSelf(workspace);
  const resolved = realpathOrSelf(path.resolve(root, relative));
  const rel = path.relative(root, resolved);
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new ConfigurationError(`must stay inside the workspace (${root}): "${relative}" resolves to ${resolved}`, input);
  }
  return resolved;
}
