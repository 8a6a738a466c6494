import { expect, it } from 'vitest';
import { lineDiff } from '../src/core/text-diff.js';

it('shows what changes line by line, keeping what stays', () => {
  expect(lineDiff('a: 1\nb: 2\nc: 3', 'a: 1\nb: 5\nc: 3\nd: 4')).toEqual(['  a: 1', '- b: 2', '+ b: 5', '  c: 3', '+ d: 4']);
  expect(lineDiff('same', 'same')).toEqual(['  same']);
  expect(lineDiff('', 'new')).toEqual(['+ new']);
});
