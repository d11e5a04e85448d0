import { createTwoFilesPatch } from 'diff';

/**
 * A unified diff (3 lines of context) between the texts of two content-addressed versions, headed
 * by their short version ids; undefined when the texts are equal. Shown under an update in plans.
 */
export function versionDiff(before: { version: unknown; text: string }, after: { version: unknown; text: string }): string | undefined {
  if (before.text === after.text) return undefined;
  const short = (v: unknown) => (typeof v === 'string' ? v.slice(0, 12) : 'none');
  return createTwoFilesPatch(`version ${short(before.version)}`, `version ${short(after.version)}`, before.text, after.text, undefined, undefined, { context: 3 })
    .split('\n')
    .slice(1)
    .join('\n')
    .trimEnd();
}
