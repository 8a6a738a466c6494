/**
 * The one bundle every action and the CLI load (dist/main/index.js). Each action's
 * dist/<name>/index.js only calls runGitHubAction with its name; only that action's code is then loaded.
 */

import { type CatalogName, runCatalogAction, runCatalogPost } from './actions/catalog.js';
import type { CliStreams } from './cli/cli-host.js';
import { githubHost } from './core/github-host.js';
import { markStartup } from './core/startup.js';

markStartup('bundle');

/**
 * Once the outcome is written, nothing may keep the step alive: a hung server's socket would hold
 * the event loop open past the `timeout`. The timer is unref'd, so a clean run exits as usual.
 */
export function exitWhenDone(): void {
  setTimeout(() => process.exit(), 300).unref();
}

export async function runGitHubAction(name: CatalogName): Promise<void> {
  await runCatalogAction(name, githubHost(process.env, `${name} failed`));
  exitWhenDone();
}

export async function runGitHubPost(name: CatalogName): Promise<void> {
  await runCatalogPost(name, githubHost(process.env, `${name} (post) failed`));
  exitWhenDone();
}

/** The CLI, loaded only when the CLI runs. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env, streams?: CliStreams): Promise<number> {
  const cli = await import('./cli/index.js');
  return streams ? cli.runCli(argv, env, streams) : cli.runCli(argv, env);
}
