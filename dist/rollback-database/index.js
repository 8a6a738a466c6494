import { enableCompileCache } from 'node:module';
enableCompileCache?.();
const { runGitHubAction } = await import('../main/index.js');
await runGitHubAction('rollback-database');
