
/** The GitHub REST calls this project makes, over Octokit (base URL from GITHUB_API_URL, as on runners and GHES). */
export interface GitHubApi {
  request<T>(method: string, path: string, body?: object): Promise<T>;
}

export function githubApi(token: string, baseUrl = process.env.GITHUB_API_URL ?? 'https://api.github.com'): GitHubApi {
  return {
    async request<T>(method: string, path: string, body?: object): Promise<T> {
      const { getOctokit } = await import('@actions/github');
      const octokit = getOctokit(token, { baseUrl });
      const response = await octokit.request(`${method} ${path}`, { ...(body ?? {}), headers: { 'x-github-api-version': '2022-11-28' } });
      return response.data as T;
    },
  };
}
