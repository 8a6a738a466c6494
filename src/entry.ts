/**
 * The one bundle every action and the CLI load (dist/main/index.js). Each action's
 * dist/<name>/index.js only calls runGitHubAction with its name.
 */
import type { ActionName } from './core/action.js';
import { githubHost } from './core/github-host.js';
import { ACTIONS } from './actions/registry.js';
import { runCli } from './cli/index.js';

export async function runGitHubAction(name: ActionName): Promise<void> {
  await ACTIONS[name].run(githubHost());
}

export { runCli };
