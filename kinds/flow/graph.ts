import { END, isExit, type StepSpec } from '../../engine/flows/spec.js';
import type { RuleProblem } from '../types.js';

// Reachability and termination of a flow's step graph, on a flow whose targets all exist.

/** The step ids a step may go to (`end` included), with the path of each reference. */
export function targetsOf(step: StepSpec, index: number): Array<{ to: string; path: Array<string | number> }> {
  const out: Array<{ to: string; path: Array<string | number> }> = [];
  const next = step.next;
  if (typeof next === 'string') out.push({ to: next, path: ['steps', index, 'next'] });
  else if (Array.isArray(next)) {
    next.forEach((b, j) => {
      const branch = b as { then?: unknown; else?: unknown };
      if (typeof branch.then === 'string') out.push({ to: branch.then, path: ['steps', index, 'next', j, 'then'] });
      if (typeof branch.else === 'string') out.push({ to: branch.else, path: ['steps', index, 'next', j, 'else'] });
    });
  }
  if (step.onError !== undefined) out.push({ to: step.onError, path: ['steps', index, 'onError'] });
  return out;
}

/** Whether a step can stop the conversation by itself: end, handoff, or a collect that gives up. */
function stops(step: StepSpec): boolean {
  return isExit(step) || (step.collect !== undefined && step.maxAttempts !== undefined && step.onError === undefined);
}

/**
 * Unreachable steps, and groups of reachable steps from which no path leads to an end (`end`,
 * `handoff`, the end after the last step, or a collect giving up). A collect that waits inside a
 * loop is fine as long as some branch leaves the loop.
 */
export function graphProblems(steps: readonly StepSpec[]): RuleProblem[] {
  const index = new Map<string, number>();
  steps.forEach((s, i) => index.set(s.id, i));
  const edges = steps.map((s, i) => targetsOf(s, i).map((t) => t.to));
  const reachable = new Set<number>([0]);
  const queue = [0];
  while (queue.length > 0) {
    const i = queue.shift()!;
    for (const to of edges[i]!) {
      const j = index.get(to);
      if (j !== undefined && !reachable.has(j)) {
        reachable.add(j);
        queue.push(j);
      }
    }
  }
  const problems: RuleProblem[] = [];
  steps.forEach((s, i) => {
    if (!reachable.has(i)) {
      problems.push({ code: 'unreachable-step', path: ['steps', i, 'id'], summary: `step "${s.id}" is never reached`, hint: `point a next, then, else or onError at ${s.id}, or remove the step` });
    }
  });
  // Steps that can end: fixed point over "stops, goes to end, or goes to a step that can end".
  const canEnd = steps.map((s, i) => stops(s) || edges[i]!.includes(END));
  for (let changed = true; changed; ) {
    changed = false;
    steps.forEach((_, i) => {
      if (!canEnd[i] && edges[i]!.some((to) => canEnd[index.get(to) ?? -1])) canEnd[i] = changed = true;
    });
  }
  const trapped = [...reachable].filter((i) => !canEnd[i]).sort((a, b) => a - b);
  const seen = new Set<number>();
  for (const start of trapped) {
    if (seen.has(start)) continue;
    // One problem per group of trapped steps connected to each other.
    const group = [start];
    seen.add(start);
    for (let k = 0; k < group.length; k++) {
      const i = group[k]!;
      for (const j of trapped) {
        if (seen.has(j)) continue;
        const linked = edges[i]!.some((to) => index.get(to) === j) || edges[j]!.some((to) => index.get(to) === i);
        if (linked) {
          seen.add(j);
          group.push(j);
        }
      }
    }
    const names = group.sort((a, b) => a - b).map((i) => steps[i]!.id);
    problems.push({
      code: 'flow-never-ends',
      path: ['steps', start, 'id'],
      summary: `from step "${steps[start]!.id}" no path ends the conversation`,
      detail: `steps ${names.join(', ')} only lead to each other`,
      hint: 'give one of them a way out: next: end, a branch to an end or handoff step, or maxAttempts on a collect',
    });
  }
  return problems;
}
