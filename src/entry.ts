/**
 * The one bundle every action and the CLI load (dist/main/index.js). Each action's
 * dist/<name>/index.js only calls runGitHubAction with its name.
 */

import { ACTIONS, type ActionName } from './actions/registry.js';
import { runCli } from './cli/index.js';
import { githubHost } from './core/github-host.js';

/**
 * Once the outcome is written, nothing may keep the step alive: a hung server's socket would hold
 * the event loop open past the `timeout`. The timer is unref'd, so a clean run exits as usual.
 */
export function exitWhenDone(): void {
  setTimeout(() => process.exit(), 300).unref();
}

export async function runGitHubAction(name: ActionName): Promise<void> {
  await ACTIONS[name].run(githubHost(process.env, `${name} failed`));
  exitWhenDone();
}

export async function runGitHubPost(name: ActionName): Promise<void> {
  await ACTIONS[name].post(githubHost(process.env, `${name} (post) failed`));
  exitWhenDone();
}

export { runCli };
