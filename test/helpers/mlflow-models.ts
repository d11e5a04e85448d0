import { uniqueName } from './mlflow.js';
import { MlflowTestClient } from './mlflow-test-client.js';

/**
 * What a training job does, through MLflow's REST API: log a run with metrics, register its model
 * as a new version of a registered model, optionally tag the version and point an alias at it.
 */
export interface TrainedVersion {
  metrics?: Record<string, number>;
  tags?: Record<string, string>;
  /** Point this alias at the new version (e.g. challenger). */
  alias?: string;
}

export class TrainingJob {
  private experimentId: string | undefined;

  constructor(
    readonly client: MlflowTestClient,
    readonly modelName: string,
  ) {}

  /** Register the model (if needed) and log one run per version; returns the version numbers. */
  async register(...versions: TrainedVersion[]): Promise<string[]> {
    if (!(await this.client.getRegisteredModel(this.modelName))) await this.client.createRegisteredModel({ name: this.modelName });
    this.experimentId ??= await this.client.createExperiment(uniqueName(`train-${this.modelName}`));
    const out: string[] = [];
    for (const v of versions) {
      const run = await this.client.createRun({ experimentId: this.experimentId, runName: 'train' });
      if (v.metrics) await this.client.logBatch(run.runId, { metrics: Object.entries(v.metrics).map(([key, value]) => ({ key, value, timestamp: Date.now(), step: 0 })) });
      await this.client.updateRun(run.runId, 'FINISHED');
      const mv = await this.client.createModelVersion({ name: this.modelName, source: `runs:/${run.runId}/model`, runId: run.runId, tags: v.tags });
      if (v.alias) await this.client.setAlias(this.modelName, v.alias, mv.version);
      out.push(mv.version);
    }
    return out;
  }

  /** The version an alias points at now (undefined: unset). */
  async alias(alias: string): Promise<string | undefined> {
    return (await this.client.getModelVersionByAlias(this.modelName, alias))?.version;
  }
}

/** A Model spec and its PromotionPolicy as YAML (one file). */
export function modelYaml(opts: {
  name: string;
  mlflowName: string;
  description?: string;
  tags?: Record<string, string>;
  pinned?: Record<string, string>;
  policy?: { name: string; candidate?: string; newestWithTags?: Record<string, string>; target?: string; metrics?: string[]; minAge?: string; tags?: Record<string, string>; onDrift?: 'report' | 'restore' };
}): string {
  const target = opts.policy?.target ?? 'champion';
  const aliases: string[] = [];
  if (opts.policy) aliases.push(`  ${target}: { policy: ${opts.policy.name} }`);
  for (const [a, v] of Object.entries(opts.pinned ?? {})) aliases.push(`  ${a}: { version: ${v} }`);
  const model = [
    'kind: Model',
    `name: ${opts.name}`,
    `mlflowName: ${JSON.stringify(opts.mlflowName)}`,
    ...(opts.description ? [`description: ${JSON.stringify(opts.description)}`] : []),
    ...(opts.tags && Object.keys(opts.tags).length ? ['tags:', ...Object.entries(opts.tags).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`)] : []),
    ...(aliases.length ? ['aliases:', ...aliases] : []),
  ];
  if (!opts.policy) return model.join('\n') + '\n';
  const p = opts.policy;
  const gates: string[] = [];
  if (p.metrics?.length) gates.push('  metrics:', ...p.metrics.map((m) => `    - ${JSON.stringify(m)}`));
  if (p.minAge) gates.push(`  minAge: ${p.minAge}`);
  if (p.tags) gates.push('  tags:', ...Object.entries(p.tags).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`));
  const policy = [
    'kind: PromotionPolicy',
    `name: ${p.name}`,
    `model: ${opts.name}`,
    p.newestWithTags ? `candidate: { newest: { tags: ${JSON.stringify(p.newestWithTags)} } }` : `candidate: { alias: ${p.candidate ?? 'challenger'} }`,
    `target: ${target}`,
    ...(gates.length ? ['gates:', ...gates] : []),
    ...(p.onDrift ? [`onDrift: ${p.onDrift}`] : []),
  ];
  return `${model.join('\n')}\n---\n${policy.join('\n')}\n`;
}
