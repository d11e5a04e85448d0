import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cli } from '../helpers/cli.js';

const DIR = fileURLToPath(new URL('../../docs/ci/', import.meta.url));
const recipes = readdirSync(DIR).filter((f) => f.endsWith('.yml'));

/** Every `labctl <command> --flag` the recipe runs. */
function invocations(text: string): Array<{ command: string; flags: string[] }> {
  return [...text.matchAll(/npx labctl (\w+)([^\n;|&>]*)/g)].map((m) => ({ command: m[1]!, flags: [...m[2]!.matchAll(/--[a-z-]+/g)].map((f) => f[0]) }));
}

describe('CI recipes in docs/ci', () => {
  it('ships the three recipes', () => {
    expect(recipes.sort()).toEqual(['github-apply.yml', 'github-plan.yml', 'gitlab-ci.yml']);
  });

  it.each(recipes)('%s is valid YAML', (file) => {
    expect(() => parse(readFileSync(DIR + file, 'utf8'))).not.toThrow();
  });

  it.each(recipes)('%s only uses commands and flags that labctl has', async (file) => {
    const calls = invocations(readFileSync(DIR + file, 'utf8'));
    expect(calls.length).toBeGreaterThan(0);
    for (const { command, flags } of calls) {
      const help = await cli([command, '--help'], { cwd: DIR });
      expect(help.code, `${command} --help`).toBe(0);
      for (const flag of flags) expect(help.stdout, `${file}: labctl ${command} ${flag}`).toContain(flag);
    }
  });
});
