import { canonicalJson, sha256 } from '../../core/hash.js';
import type { Json, JsonObject } from '../../core/types.js';
import type { VariableDecl } from './variables.js';

/** The part of a prompt that decides what is sent to a model; its hash is the version. */
export interface PromptContent {
  type: 'text' | 'chat';
  template?: string;
  messages?: Array<{ role: 'system' | 'user' | 'assistant'; content: string }>;
  variables: Record<string, VariableDecl>;
  model?: JsonObject;
}

/** Content fields of a normalised Prompt spec. */
export function contentOf(spec: JsonObject): PromptContent {
  const c: PromptContent = { type: spec.type as 'text' | 'chat', variables: (spec.variables ?? {}) as unknown as Record<string, VariableDecl> };
  if (spec.template !== undefined) c.template = spec.template as string;
  if (spec.messages !== undefined) c.messages = spec.messages as unknown as PromptContent['messages'];
  if (spec.model !== undefined) c.model = spec.model as JsonObject;
  return c;
}

/** Version of prompt content: SHA-256 of its canonical JSON (unchanged content, unchanged version). */
export function promptVersion(content: PromptContent): string {
  return sha256(canonicalJson(content as unknown as Json));
}

/** The template text of a prompt as one string, for diffs (chat messages as `[role]` blocks). */
export function promptText(spec: JsonObject): string {
  if (typeof spec.template === 'string') return spec.template.endsWith('\n') ? spec.template : `${spec.template}\n`;
  const messages = (spec.messages ?? []) as Array<{ role: string; content: string }>;
  return messages.map((m) => `[${m.role}]\n${m.content.endsWith('\n') ? m.content : `${m.content}\n`}`).join('');
}
