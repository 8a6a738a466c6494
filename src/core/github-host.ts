import os from 'node:os';
import * as core from '@actions/core';
import type { ActionHost, RunContext } from './action.js';
import type { Logger } from './logger.js';

export function githubLogger(): Logger {
  return {
    info: (m) => core.info(m),
    warning: (m) => core.warning(m),
    debug: (m) => core.debug(m),
    group: (name, body) => core.group(name, body),
  };
}

let cancellation: AbortController | undefined;

/**
 * One signal for the whole process, aborted on the first SIGINT or SIGTERM (the runner sends SIGINT,
 * then SIGTERM, when a job is cancelled); a second one ends the process at once.
 */
export function processCancellation(): AbortSignal {
  if (!cancellation) {
    const controller = new AbortController();
    cancellation = controller;
    const onSignal = (name: NodeJS.Signals): void => {
      if (controller.signal.aborted) process.exit(name === 'SIGINT' ? 130 : 143);
      const error = new Error(`cancelled (${name})`);
      error.name = 'CancelledError';
      controller.abort(Object.assign(error, { signal: name }));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  return cancellation.signal;
}

/** Identity of this run, from the runner's environment (or the terminal's, for the CLI). */
export function runContextFromEnv(env: NodeJS.ProcessEnv, saveState: (name: string, value: string) => void = () => undefined): RunContext {
  const repository = env.GITHUB_REPOSITORY;
  const runId = env.GITHUB_RUN_ID;
  const inActions = Boolean(repository && runId);
  return {
    env,
    runId: inActions ? `${repository}/${runId}/${env.GITHUB_RUN_ATTEMPT ?? '1'}/${env.GITHUB_JOB ?? 'job'}` : `local/${os.hostname()}/${process.pid}`,
    runUrl: inActions ? `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${repository}/actions/runs/${runId}` : undefined,
    actor: env.GITHUB_ACTOR ?? env.KEIKO_ACTOR ?? env.USER ?? 'unknown',
    workspace: env.GITHUB_WORKSPACE ?? process.cwd(),
    tempDir: env.RUNNER_TEMP ?? os.tmpdir(),
    cancel: processCancellation(),
    saveState,
  };
}

/** `title` heads the failure annotation (`::error title=…::`), so the run's annotation list says which step failed. */
export function githubHost(env: NodeJS.ProcessEnv = process.env, title?: string): ActionHost {
  return {
    log: githubLogger(),
    context: runContextFromEnv(env, (name, value) => core.saveState(name, value)),
    getInput: (name) => core.getInput(name),
    getState: (name) => core.getState(name),
    maskSecret: (value) => core.setSecret(value),
    setOutput: (name, value) => core.setOutput(name, value),
    async writeSummary(markdown) {
      if (env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(markdown, true).write();
      else core.info(markdown);
    },
    fail(line, error) {
      if (error instanceof Error && (core.isDebug() || env.ACTIONS_STEP_DEBUG === 'true')) {
        core.debug(error.stack ?? error.message);
      }
      core.error(line, title ? { title } : {});
      process.exitCode = core.ExitCode.Failure;
    },
  };
}
