import type { Json, JsonObject } from '../../core/types.js';
import type { Snapshot } from '../../engine/assignment/snapshot.js';
import { contentOf } from '../../engine/prompts/content.js';
import { parseTemplate, renderSegments, type Segment } from '../../engine/prompts/template.js';
import { resolveVariables, type VariableDecl } from '../../engine/prompts/variables.js';

/** A rendered prompt: text, or chat messages. */
export type RenderedPrompt = { type: 'text'; text: string } | { type: 'chat'; messages: Array<{ role: string; content: string }> };

/** A prompt version ready to render: templates parsed once. */
export interface CompiledPrompt {
  readonly name: string;
  readonly version: string;
  readonly spec: JsonObject;
  readonly variables: Readonly<Record<string, VariableDecl>>;
  readonly model: Json | null;
  render(variables: Readonly<Record<string, unknown>>): RenderedPrompt;
}

/** Compile a prompt spec (normalised, with its version). */
export function compilePrompt(name: string, spec: JsonObject): CompiledPrompt {
  const content = contentOf(spec);
  const text: Segment[] | undefined = content.template !== undefined ? parseTemplate(content.template).segments : undefined;
  const messages = content.messages?.map((m) => ({ role: m.role, segments: parseTemplate(m.content).segments }));
  return {
    name,
    version: spec.version as string,
    spec,
    variables: content.variables,
    model: (spec.model ?? null) as Json,
    render(given) {
      const values = resolveVariables(content.variables, given);
      if (text) return { type: 'text', text: renderSegments(text, values) };
      return { type: 'chat', messages: messages!.map((m) => ({ role: m.role, content: renderSegments(m.segments, values) })) };
    },
  };
}

/** Resolution of a version reference that matches nothing or several versions. */
export class PromptLookupError extends Error {
  constructor(readonly code: 'unknown_prompt' | 'unknown_version' | 'ambiguous_version', message: string) {
    super(message);
  }
}

/** The prompts of one snapshot: current versions compiled up front, older ones on first use. */
export class PromptCatalog {
  private readonly current = new Map<string, CompiledPrompt>();
  private readonly older = new Map<string, CompiledPrompt>();

  constructor(private readonly snapshot: Snapshot) {
    for (const [name, spec] of snapshot.resources.get('Prompt') ?? []) this.current.set(name, compilePrompt(name, spec));
  }

  /** The current version of a prompt. */
  get(name: string): CompiledPrompt {
    const p = this.current.get(name);
    if (!p) throw new PromptLookupError('unknown_prompt', `prompt "${name}" does not exist in revision ${this.snapshot.revision}`);
    return p;
  }

  /** A version by full hash or unique prefix (at least 6 characters). */
  version(name: string, prefix: string): CompiledPrompt {
    const cur = this.get(name);
    const all = this.snapshot.promptVersions?.get(name) ?? [];
    const matches = prefix.length >= 6 ? all.filter((v) => v.version.startsWith(prefix)) : [];
    // The current version, also when the snapshot lists no versions (a directory snapshot); a prefix
    // that an older version shares is ambiguous below.
    if (prefix.length >= 6 && cur.version.startsWith(prefix) && matches.every((v) => v.version === cur.version)) return cur;
    if (matches.length === 0) throw new PromptLookupError('unknown_version', `prompt "${name}" has no applied version ${prefix}${prefix.length < 6 ? ' (give at least 6 characters)' : ''}`);
    if (matches.length > 1) throw new PromptLookupError('ambiguous_version', `version prefix ${prefix} matches ${matches.length} versions of "${name}"; give more characters`);
    const key = `${name}@${matches[0]!.version}`;
    let p = this.older.get(key);
    if (!p) this.older.set(key, (p = compilePrompt(name, matches[0]!.spec)));
    return p;
  }
}

const catalogs = new WeakMap<Snapshot, PromptCatalog>();

/** The prompt catalog of a snapshot, built once per snapshot. */
export function promptCatalog(snapshot: Snapshot): PromptCatalog {
  let c = catalogs.get(snapshot);
  if (!c) catalogs.set(snapshot, (c = new PromptCatalog(snapshot)));
  return c;
}
