import { readFileSync } from 'node:fs';
import { SpecLoader } from '../../reconciler/load/validate.js';
import type { Diagnostic, JsonObject, Resource } from '../../core/types.js';
import { compileFlow, promptsOf, type CompiledFlow } from '../../engine/flows/index.js';

const loader = new SpecLoader();

/** Spec files of the repository, by path (the samples under flows/ and prompts/). */
export function repoFile(path: string): string {
  return readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
}

/** Load YAML documents (files by path) as the CLI does: diagnostics and normalised resources. */
export function loadSpecs(files: Record<string, string>): { resources: Resource[]; diagnostics: Diagnostic[] } {
  const state = loader.load(Object.entries(files).map(([path, text]) => ({ path, bytes: Buffer.from(text) })));
  return { resources: state.resources, diagnostics: state.diagnostics };
}

/** Compile a loaded flow with the current versions of the prompts it uses. */
export function compileLoaded(resources: readonly Resource[], name: string, promptOverrides: Record<string, JsonObject> = {}): CompiledFlow {
  const flow = resources.find((r) => r.kind === 'Flow' && r.name === name);
  if (!flow) throw new Error(`no Flow ${name} among the loaded specs`);
  const prompts: Record<string, { version: string; spec: JsonObject }> = {};
  for (const p of promptsOf(flow.spec)) {
    const spec = promptOverrides[p] ?? resources.find((r) => r.kind === 'Prompt' && r.name === p)?.spec;
    if (spec) prompts[p] = { version: spec.version as string, spec };
  }
  return compileFlow(name, flow.spec, prompts);
}

/** Load specs that must be valid (errors fail the test) and compile every flow among them. */
export function flowsOf(files: Record<string, string>): { flows: Record<string, CompiledFlow>; resources: Resource[] } {
  const { resources, diagnostics } = loadSpecs(files);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`specs are invalid:\n${errors.map((d) => `${d.code} ${d.range?.filename}:${d.range?.start.line} ${d.summary}`).join('\n')}`);
  const flows: Record<string, CompiledFlow> = {};
  for (const r of resources) if (r.kind === 'Flow') flows[r.name] = compileLoaded(resources, r.name);
  return { flows, resources };
}
