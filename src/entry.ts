/**
 * The one bundle every action and the CLI load (dist/main/index.js). Each action's
 * dist/<name>/index.js only calls runGitHubAction with its name.
 */
import type { ActionName } from './core/action.js';
import { githubHost } from './core/github-host.js';
import { ACTIONS } from './actions/registry.js';
import { runCli } from './cli/index.js';
import { runPostStep } from './actions/post.js';

export async function runGitHubAction(name: ActionName): Promise<void> {
  await ACTIONS[name].run(githubHost());
}

export async function runGitHubPost(name: ActionName): Promise<void> {
  await runPostStep(name, githubHost());
}

export { runCli };
