import { enableCompileCache } from 'node:module';
enableCompileCache?.();
const { runGitHubPost } = await import('../main/index.js');
await runGitHubPost('emergency-reroute');
