import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SOURCE_DIRS } from './source-dirs.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function* sources(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* sources(p);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') && !e.name.endsWith('.test.ts')) yield p;
  }
}

/**
 * Tests that spawn dist/ (the CLI, helper scripts) need a build of the current sources. `npm test`
 * builds first; otherwise run `npx tsc -p .`. A missing build fails; an older one warns (sources
 * may be edited while tests run), naming the files so a confusing failure can be traced to it.
 */
export function assertFreshBuild(): void {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'bin.js'))) throw new Error('dist/cli/bin.js is missing; run `npx tsc -p .` first');
  const stale: string[] = [];
  for (const top of SOURCE_DIRS) {
    const dir = join(ROOT, top);
    if (!existsSync(dir)) continue;
    for (const src of sources(dir)) {
      const out = join(ROOT, 'dist', relative(ROOT, src)).replace(/\.ts$/, '.js');
      if (!existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs) stale.push(relative(ROOT, src));
    }
  }
  if (stale.length > 0) {
    console.warn(`warning: dist/ is older than ${stale.length} source file(s) (${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ', …' : ''}); run \`npx tsc -p .\` first`);
  }
}
