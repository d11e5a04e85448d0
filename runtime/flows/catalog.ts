import type { JsonObject } from '../../core/types.js';
import type { Snapshot } from '../../engine/assignment/snapshot.js';
import { compileFlow, promptsOf, type CompiledFlow, type PromptSource } from '../../engine/flows/index.js';
import { HttpError } from '../../core/http.js';
import { suggestHint } from '../../core/suggest.js';

/**
 * The flows of one snapshot, compiled on first use: the current version of each with the current
 * prompts, and the versions sessions pinned, with the prompt versions those sessions pinned, so an
 * apply mid-conversation changes nothing for a conversation already under way.
 */
export class FlowCatalog {
  private readonly compiled = new Map<string, CompiledFlow>();

  constructor(private readonly snapshot: Snapshot) {}

  /** The current version of a flow (404 when the snapshot has none). */
  current(name: string): CompiledFlow {
    return this.compile(name, this.currentSpec(name), {});
  }

  /** A flow at a version (full, or a unique prefix of at least 6 characters), its prompts at the pinned versions where given. */
  load(name: string, version: string | undefined, promptPins: Readonly<Record<string, string>>): CompiledFlow {
    if (version === undefined) return Object.keys(promptPins).length === 0 ? this.current(name) : this.compile(name, this.currentSpec(name), promptPins);
    return this.compile(name, this.versionSpec(name, version), promptPins);
  }

  private currentSpec(name: string): JsonObject {
    const flows = this.snapshot.resources.get('Flow');
    const spec = flows?.get(name);
    if (!spec) throw new HttpError(404, 'unknown_flow', `flow "${name}" does not exist in revision ${this.snapshot.revision}; ${suggestHint(name, [...(flows?.keys() ?? [])], flows?.size ? `flows: ${[...flows.keys()].slice(0, 10).join(', ')}` : 'it has no flows')}`);
    return spec;
  }

  private versionSpec(name: string, version: string): JsonObject {
    const current = this.snapshot.resources.get('Flow')?.get(name);
    if (current && typeof current.version === 'string' && current.version.startsWith(version) && version.length >= 6) return current;
    const matches = (this.snapshot.flowVersions?.get(name) ?? []).filter((v) => version.length >= 6 && v.version.startsWith(version));
    if (matches.length === 1) return matches[0]!.spec;
    if (matches.length > 1) throw new HttpError(400, 'ambiguous_version', `version prefix ${version} matches ${matches.length} versions of flow "${name}"; give more characters`);
    if (!current && !this.snapshot.flowVersions?.has(name)) throw new HttpError(404, 'unknown_flow', `flow "${name}" does not exist in revision ${this.snapshot.revision}`);
    throw new HttpError(404, 'unknown_flow_version', `flow "${name}" has no applied version ${version}${version.length < 6 ? ' (give at least 6 characters)' : ''}`);
  }

  private compile(name: string, spec: JsonObject, promptPins: Readonly<Record<string, string>>): CompiledFlow {
    const prompts: Record<string, PromptSource> = {};
    for (const p of promptsOf(spec)) prompts[p] = this.prompt(p, promptPins[p]);
    const key = `${name}@${spec.version as string}|${Object.entries(prompts).map(([p, s]) => `${p}@${s.version}`).join(',')}`;
    let flow = this.compiled.get(key);
    if (!flow) this.compiled.set(key, (flow = compileFlow(name, spec, prompts)));
    return flow;
  }

  private prompt(name: string, pinned: string | undefined): PromptSource {
    const current = this.snapshot.resources.get('Prompt')?.get(name);
    if (pinned === undefined || current?.version === pinned) {
      if (!current) throw new HttpError(409, 'unknown_prompt', `the flow uses prompt "${name}", which revision ${this.snapshot.revision} does not have`);
      return { version: current.version as string, spec: current };
    }
    const v = (this.snapshot.promptVersions?.get(name) ?? []).find((x) => x.version === pinned);
    if (!v) throw new HttpError(409, 'unknown_prompt_version', `the session pinned prompt "${name}" at version ${pinned}, which the state store no longer has`);
    return { version: v.version, spec: v.spec };
  }
}

const catalogs = new WeakMap<Snapshot, FlowCatalog>();

/** The flow catalog of a snapshot, built once per snapshot. */
export function flowCatalog(snapshot: Snapshot): FlowCatalog {
  let c = catalogs.get(snapshot);
  if (!c) catalogs.set(snapshot, (c = new FlowCatalog(snapshot)));
  return c;
}
