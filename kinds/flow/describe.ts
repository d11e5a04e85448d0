import { stringify } from 'yaml';
import type { Json, JsonObject } from '../../core/types.js';
import { flowContent } from '../../engine/flows/version.js';
import { versionDiff } from '../version-diff.js';

/**
 * Keys in the order people read a flow: a step's id, its action and message, then where it goes.
 * The applied side comes back from jsonb with its keys reordered, so both sides are put in this
 * order (the rest alphabetically) before they are compared.
 */
const KEY_ORDER = ['id', 'type', 'pattern', 'values', 'description', 'ttl', 'maxTurns', 'collect', 'say', 'retry', 'maxAttempts', 'llm', 'set', 'call', 'tool', 'handoff', 'end', 'prompt', 'inputs', 'output', 'method', 'url', 'timeout', 'headers', 'body', 'next', 'onError', 'if', 'then', 'else'];
const RANK = new Map(KEY_ORDER.map((k, i) => [k, i]));

function ordered(v: Json): Json {
  if (Array.isArray(v)) return v.map(ordered);
  if (v === null || typeof v !== 'object') return v;
  const keys = Object.keys(v).sort((a, b) => (RANK.get(a) ?? KEY_ORDER.length) - (RANK.get(b) ?? KEY_ORDER.length) || (a < b ? -1 : a > b ? 1 : 0));
  const out: JsonObject = {};
  for (const k of keys) out[k] = ordered(v[k]!);
  return out;
}

/** A flow's content as YAML, one step after another, for diffs people can read. */
export function flowText(spec: JsonObject): string {
  const c = flowContent(spec);
  return stringify(ordered({ slots: c.slots, session: c.session, steps: c.steps }), { lineWidth: 0, flowCollectionPadding: false });
}

/** A unified diff of the slots, session and steps, shown under an update in the plan. */
export function describeFlowChange(before: JsonObject, after: JsonObject): string | undefined {
  return versionDiff({ version: before.version, text: flowText(before) }, { version: after.version, text: flowText(after) });
}
