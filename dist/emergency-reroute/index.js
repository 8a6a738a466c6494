import { runGitHubAction } from '../main/index.js';
await runGitHubAction('emergency-reroute');
