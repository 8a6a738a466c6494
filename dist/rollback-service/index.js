import { runGitHubAction } from '../main/index.js';
await runGitHubAction('rollback-service');
