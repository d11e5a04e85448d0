import type { LlmMessage } from '../../core/llm.js';
import type { Json, JsonObject } from '../../core/types.js';
import { contentOf } from '../prompts/content.js';
import { parseTemplate, renderSegments, type Segment } from '../prompts/template.js';
import { resolveVariables, VariableError } from '../prompts/variables.js';

/** A rendered prompt as a model call takes it: the system text apart, then the conversation. */
export interface RenderedPrompt {
  system?: string;
  messages: LlmMessage[];
}

/** A failure while stepping that the flow's author can fix (a missing slot, a bad value): it ends the session or takes onError. */
export class StepFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'StepFailure';
  }
}

/** A `{{slot}}` template parsed once. */
export interface SlotTemplate {
  readonly segments: readonly Segment[];
  /** The slot when the template is exactly one placeholder (its value is then copied with its type). */
  readonly only?: string;
}

/** Parse a template over slots. */
export function slotTemplate(text: string): SlotTemplate {
  const { segments } = parseTemplate(text);
  const first = segments[0];
  return segments.length === 1 && first && 'variable' in first ? { segments, only: first.variable } : { segments };
}

function asText(v: Json | undefined): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** Render a template as text; unset slots render empty, `encode` escapes each value (URL parts). */
export function renderText(t: SlotTemplate, slots: Readonly<JsonObject>, encode: (s: string) => string = (s) => s): string {
  const values: Record<string, string> = {};
  for (const s of t.segments) if ('variable' in s) values[s.variable] = encode(asText(Object.hasOwn(slots, s.variable) ? slots[s.variable] : undefined));
  return renderSegments(t.segments, values);
}

/** Render a template as a value: a lone placeholder copies the slot (null when unset), anything else is text. */
export function renderValue(t: SlotTemplate, slots: Readonly<JsonObject>): Json {
  if (t.only !== undefined) return Object.hasOwn(slots, t.only) ? slots[t.only]! : null;
  return renderText(t, slots);
}

/** A JSON value whose string leaves are templates (a tool body, `set` values). */
export type JsonTemplate = { text: SlotTemplate } | { literal: Json } | { list: JsonTemplate[] } | { object: Array<[string, JsonTemplate]> };

/** Parse the string leaves of a JSON value as templates. */
export function jsonTemplate(v: Json): JsonTemplate {
  if (typeof v === 'string') return v.includes('{{') ? { text: slotTemplate(v) } : { literal: v };
  if (Array.isArray(v)) return { list: v.map(jsonTemplate) };
  if (v !== null && typeof v === 'object') return { object: Object.entries(v).map(([k, x]) => [k, jsonTemplate(x)]) };
  return { literal: v };
}

/** Render a JSON template over the slots. */
export function renderJson(t: JsonTemplate, slots: Readonly<JsonObject>): Json {
  if ('text' in t) return renderValue(t.text, slots);
  if ('literal' in t) return t.literal;
  if ('list' in t) return t.list.map((x) => renderJson(x, slots));
  const out: JsonObject = {};
  for (const [k, x] of t.object) out[k] = renderJson(x, slots);
  return out;
}

/** A prompt version bound into a flow: renders chat messages from slot values. */
export interface BoundPrompt {
  readonly name: string;
  readonly version: string;
  /** The prompt's model settings (provider, name, temperature …), null without. */
  readonly model: Json;
  /** The call's text: a text prompt becomes one user message, system messages the system text. Throws StepFailure on a missing or mistyped variable. */
  render(slots: Readonly<JsonObject>, inputs: Readonly<Record<string, string>> | undefined): RenderedPrompt;
}

/** Bind a normalised prompt spec (with its version) for use in flows. */
export function bindPrompt(name: string, spec: JsonObject): BoundPrompt {
  const content = contentOf(spec);
  const parts = content.template !== undefined ? [{ role: 'user' as const, segments: parseTemplate(content.template).segments }] : (content.messages ?? []).map((m) => ({ role: m.role, segments: parseTemplate(m.content).segments }));
  return {
    name,
    version: spec.version as string,
    model: (spec.model ?? null) as Json,
    render(slots, inputs) {
      // Each prompt variable reads the slot of its own name, or the one `inputs` maps it to.
      const given: Record<string, unknown> = {};
      for (const v of Object.keys(content.variables)) {
        const slot = inputs?.[v] ?? v;
        if (Object.hasOwn(slots, slot) && slots[slot] !== null) given[v] = slots[slot];
      }
      let values: Record<string, string>;
      try {
        values = resolveVariables(content.variables, given);
      } catch (e) {
        if (e instanceof VariableError) {
          const slot = inputs?.[e.variable] ?? e.variable;
          throw new StepFailure(e.reason === 'missing' ? 'missing_slot' : 'invalid_slot', `prompt "${name}": ${e.message} (from slot "${slot}", ${e.reason === 'missing' ? 'not filled yet' : 'of another type'})`);
        }
        throw e;
      }
      const system: string[] = [];
      const messages: LlmMessage[] = [];
      for (const p of parts) {
        const text = renderSegments(p.segments, values);
        if (p.role === 'system') system.push(text);
        else messages.push({ role: p.role, text });
      }
      return system.length > 0 ? { system: system.join('\n\n'), messages } : { messages };
    },
  };
}
