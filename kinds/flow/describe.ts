import { stringify } from 'yaml';
import type { JsonObject } from '../../core/types.js';
import { flowContent } from '../../engine/flows/version.js';
import { versionDiff } from '../version-diff.js';

/** A flow's content as YAML, one step after another, for diffs people can read. */
export function flowText(spec: JsonObject): string {
  const c = flowContent(spec);
  return stringify({ slots: c.slots, session: c.session, steps: c.steps }, { lineWidth: 0, flowCollectionPadding: false });
}

/** A unified diff of the slots, session and steps, shown under an update in the plan. */
export function describeFlowChange(before: JsonObject, after: JsonObject): string | undefined {
  return versionDiff({ version: before.version, text: flowText(before) }, { version: after.version, text: flowText(after) });
}
