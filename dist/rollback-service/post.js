import { runGitHubPost } from '../main/index.js';
await runGitHubPost('rollback-service');
