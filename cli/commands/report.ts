import { createColors } from 'picocolors';
import { computeResult, UnknownExperimentError } from '../../adapters/results/compute.js';
import { suggestHint } from '../../core/suggest.js';
import { renderResultMarkdown, renderResultText } from '../../engine/results/render.js';
import { withDatabase, withResultsReader } from '../context.js';
import { CliError } from '../errors.js';
import { EXIT, useColor, type CliIO } from '../io.js';

export interface ReportFlags {
  format?: string;
}

const FORMATS = ['text', 'json', 'markdown'];

/** labctl report EXPERIMENT: the experiment's result computed now from the applied state, exposures and events. */
export async function reportCommand(io: CliIO, name: string, flags: ReportFlags): Promise<number> {
  const format = flags.format ?? 'text';
  if (!FORMATS.includes(format)) throw new CliError(`unknown --format "${format}"`, `use one of: ${FORMATS.join(', ')}`);
  const result = await withResultsReader(io, 'report', (reader) => withDatabase(io, 'report', async (db) => {
    try {
      return await computeResult(db, name, { aggregateOn: reader });
    } catch (e) {
      if (e instanceof UnknownExperimentError) {
        throw new CliError(e.message, suggestHint(name, e.known, e.known.length ? `applied experiments: ${e.known.slice(0, 10).join(', ')}` : 'nothing is applied yet: run labctl apply'));
      }
      throw e;
    }
  }));
  if (format === 'json') io.stdout.write(JSON.stringify(result, null, 2) + '\n');
  else if (format === 'markdown') io.stdout.write(renderResultMarkdown(result));
  else io.stdout.write(renderResultText(result, createColors(useColor(io))));
  return EXIT.ok;
}
