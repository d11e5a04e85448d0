import { createColors } from 'picocolors';
import { evaluate, unitValue } from '../../engine/assignment/assign.js';
import { aliasSpec, type ResolvedModel } from '../../engine/assignment/models.js';
import type { Snapshot } from '../../engine/assignment/snapshot.js';
import type { JsonObject } from '../../core/types.js';
import { snapshotFromDir, SpecsInvalidError } from '../../reconciler/load/snapshot.js';
import { renderDiagnosticsText } from '../../reconciler/render/diagnostics.js';
import { resolve } from 'node:path';
import { CliError } from '../errors.js';
import { EXIT, useColor, type CliIO } from '../io.js';

export interface AssignFlags {
  unit?: string;
  attributes?: string;
  dir?: string;
  json?: boolean;
}

function parseAttributes(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new CliError(`--attributes is not valid JSON: ${(e as Error).message}`, `write --attributes '{"country":"NL"}'`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CliError('--attributes must be a JSON object', `write --attributes '{"country":"NL"}'`);
  return v as Record<string, unknown>;
}

/**
 * Where an offline answer's model version comes from. Offline, only aliases pinned in the Model spec
 * resolve; the others are read from MLflow by apply and resolved by the runtime.
 */
function describeModel(m: ResolvedModel, snap: Snapshot): string {
  const ref = `${m.name}@${m.alias}`;
  const spec = snap.resources.get('Model')?.get(m.name);
  if (!spec) return `${ref} → unresolved: model "${m.name}" is not declared`;
  if (m.version !== null) return `${ref} → version ${m.version} (${m.uri}; pinned in the Model spec)`;
  const declared = aliasSpec(spec, m.alias);
  const policy = typeof declared?.policy === 'string' ? declared.policy : undefined;
  const candidateOf = [...(snap.resources.get('PromotionPolicy')?.entries() ?? [])].find(([, p]) => p.model === m.name && (p.candidate as JsonObject | undefined)?.alias === m.alias)?.[0];
  const why = policy ? `alias moved by policy ${policy}` : candidateOf ? `candidate alias of policy ${candidateOf}` : 'alias not pinned in the Model spec';
  return `${ref} → resolved at runtime from MLflow (${why})`;
}

/** labctl assign EXPERIMENT: offline evaluation from the YAML in --dir, with the reason and hash. */
export async function assignCommand(io: CliIO, experiment: string, flags: AssignFlags): Promise<number> {
  const attributes = parseAttributes(flags.attributes);
  let snap;
  try {
    snap = await snapshotFromDir(resolve(io.cwd, flags.dir ?? '.'));
  } catch (e) {
    if (e instanceof SpecsInvalidError) {
      io.stderr.write(renderDiagnosticsText(e.diagnostics, { color: useColor(io, 'stderr') }));
      throw new CliError('the specs are invalid', 'fix the errors above (labctl validate shows them too)');
    }
    throw e;
  }
  const exp = snap.experiments.get(experiment);
  if (!exp) {
    const names = [...snap.experiments.keys()];
    throw new CliError(`experiment "${experiment}" is not declared in ${flags.dir ?? '.'}`, names.length ? `declared experiments: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''}` : 'declare it under experiments/');
  }
  if (flags.unit !== undefined) attributes[exp.unit] = flags.unit;
  const d = evaluate(exp, attributes, Date.now());
  if (flags.json) {
    io.stdout.write(JSON.stringify({ revision: snap.revision, ...d, unitAttribute: exp.unit }, null, 2) + '\n');
    return EXIT.ok;
  }
  const c = createColors(useColor(io));
  const lines = [
    `${c.bold(experiment)} → ${c.green(d.variant ?? '(none)')}  ${d.inExperiment ? 'in experiment' : c.yellow('not in experiment')} (reason: ${d.reason})`,
    `  value:  ${JSON.stringify(d.value)}`,
    ...(d.model ? [`  model:  ${describeModel(d.model, snap)}`] : []),
    `  unit:   ${exp.unit} = ${unitValue(exp, attributes) === null ? c.yellow('(missing)') : JSON.stringify(unitValue(exp, attributes))}`,
  ];
  if (d.hash !== null) lines.push(`  hash:   ${d.hash.toFixed(4)} (seed ${JSON.stringify(exp.seed)}, phase ${exp.phase})`);
  lines.push(`  ranges: ${exp.variants.map((v, i) => `${v.key} [${exp.ranges[i]![0].toFixed(4)}, ${exp.ranges[i]![1].toFixed(4)})`).join('  ')}`);
  io.stdout.write(lines.join('\n') + '\n');
  return EXIT.ok;
}
