import { cpSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JsonObject } from '../../core/types.js';
import { readSpecDir, SpecLoader } from '../../reconciler/load/index.js';
import type { Workspace } from './engines.js';

/** The sample prompts shipped with the repository (with prompts/support-prompt.yaml, the experiment between them). */
export const PROMPT_SAMPLES = fileURLToPath(new URL('../../prompts', import.meta.url));

function declaresPrompts(dir: string): boolean {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const p = join(dir, e.name);
    if (e.isDirectory() ? declaresPrompts(p) : /\.ya?ml$/.test(e.name) && statSync(p).size < 1_000_000 && /^kind:\s*Prompt\b/m.test(readFileSync(p, 'utf8'))) return true;
  }
  return false;
}

/**
 * Copy the sample prompts into <workspace>/prompts, unless the workspace already declares prompts
 * (a workspace helper that copies them itself), so the sample experiment's references resolve.
 */
export function addPromptSamples(ws: Workspace): void {
  if (existsSync(join(ws.dir, 'prompts')) || declaresPrompts(ws.dir)) return;
  cpSync(PROMPT_SAMPLES, join(ws.dir, 'prompts'), { recursive: true });
}

/** The desired normalised specs under dir, by "Kind/name" (fails on validation errors). */
export async function desiredSpecs(dir: string): Promise<Map<string, JsonObject>> {
  const state = new SpecLoader().load(await readSpecDir(dir));
  const errors = state.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`specs under ${dir} do not validate: ${errors.map((d) => `${d.code}: ${d.summary}`).join('; ')}`);
  return new Map(state.resources.map((r) => [`${r.kind}/${r.name}`, r.spec]));
}

/** The content version of one declared prompt under dir. */
export async function promptVersionIn(dir: string, name: string): Promise<string> {
  const spec = (await desiredSpecs(dir)).get(`Prompt/${name}`);
  if (!spec) throw new Error(`no Prompt ${name} under ${dir}`);
  return spec.version as string;
}

export { planBlock } from './cli.js';
