import { runGitHubPost } from '../main/index.js';
await runGitHubPost('emergency-reroute');
