import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';

const PROMPTS = fileURLToPath(new URL('../../prompts', import.meta.url));

describe('an unusable MLFLOW_TRACKING_URI', () => {
  it.each(['file:///tmp/mlruns', 'databricks', 'not a url'])('%s: apply refuses before opening the database', async (uri) => {
    const dir = mkdtempSync(join(tmpdir(), 'labctl-mlflow-config-'));
    cpSync(PROMPTS, join(dir, 'prompts'), { recursive: true });
    const r = await cli(['apply'], { cwd: dir, env: { MLFLOW_TRACKING_URI: uri, DATABASE_URL: '' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('MLFLOW_TRACKING_URI');
    expect(r.stderr).toContain('nothing was applied');
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(join(dir, '.labctl'))).toBe(false);
  });
});
