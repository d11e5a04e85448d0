import type { Undecided } from './decision.js';
import type { Decision } from './types.js';

// The one sentence at the top of a report, for someone without statistics background.

export function summarise(r: Undecided, d: Decision): string {
  const n = r.units.toLocaleString('en-US');
  switch (d.status) {
    case 'ship':
      return `Ship ${d.variant}: it beats ${r.variants[0]!.key} on the primary metrics with no guardrail harmed (${n} units).`;
    case 'stop':
      return d.variant ? `Stop: ${d.reasons[0]}.` : `Stop: ${d.reasons[0]!.split(':')[0]}; do not trust these numbers yet (${n} units).`;
    case 'inconclusive':
      return `Inconclusive: no variant made a difference large enough to detect in the time allowed (${n} units).`;
    case 'keep_running':
      return r.units === 0 ? 'No units exposed yet: nothing to analyse.' : `Keep running: no decision yet (${n} units so far).`;
  }
}
