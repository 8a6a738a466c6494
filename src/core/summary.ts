/** Markdown builders for job summaries (the same text the CLI prints and the drill writes). */

export function escapeCell(value: string): string {
  return value.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

/**
 * Markdown, not core.summary.addTable (HTML): the same summary is printed to a terminal by the CLI and appended
 * to GITHUB_STEP_SUMMARY by the actions, and stays readable in both.
 */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const head = `| ${headers.map(escapeCell).join(' | ')} |`;
  const rule = `| ${headers.map(() => '---').join(' | ')} |`;
  const body = rows.map((row) => `| ${row.map(escapeCell).join(' | ')} |`);
  return [head, rule, ...body].join('\n');
}

export function statusIcon(ok: boolean | 'neutral'): string {
  if (ok === 'neutral') return '➖';
  return ok ? '✅' : '❌';
}

export function failureSummary(title: string, line: string): string {
  return `## ${statusIcon(false)} ${title} failed\n\n${line}\n`;
}

export function details(summaryText: string, body: string): string {
  return `<details><summary>${summaryText}</summary>\n\n${body}\n\n</details>`;
}
