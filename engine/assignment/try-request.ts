import { assignCompiled } from './assign.js';
import type { Snapshot } from './snapshot.js';

/**
 * A request the quick start can suggest that the runtime answers with an enrolment: the first
 * running experiment (those without targeting first) and the first unit id `u1`, `u2`, … it
 * enrols with no other attributes. Computed from the snapshot, so the suggestion stays true
 * whatever the specs say (layers, coverage, schedules).
 */
export function enrolledExample(snap: Snapshot, now: number, tries = 1000): { experiment: string; unit: string; unitAttribute: string } | undefined {
  const candidates = [...snap.running.filter((e) => !e.condition), ...snap.running.filter((e) => e.condition)];
  for (const exp of candidates) {
    for (let i = 1; i <= tries; i++) {
      const unit = `u${i}`;
      if (assignCompiled(exp, { [exp.unit]: unit }, now).inExperiment) return { experiment: exp.name, unit, unitAttribute: exp.unit };
    }
  }
  return undefined;
}
