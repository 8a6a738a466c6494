import { diffLines } from 'diff';

/** Every line ends in a newline, so the last line compares like the others. */
const terminated = (text: string): string => (text === '' || text.endsWith('\n') ? text : `${text}\n`);

/** A line diff (jsdiff's Myers diff) as `- old` / `+ new` / `  same` lines, for showing what will change. */
export function lineDiff(before: string, after: string): string[] {
  return diffLines(terminated(before), terminated(after)).flatMap((change) => {
    const mark = change.added ? '+ ' : change.removed ? '- ' : '  ';
    return change.value
      .replace(/\n$/, '')
      .split('\n')
      .map((line) => `${mark}${line}`);
  });
}
