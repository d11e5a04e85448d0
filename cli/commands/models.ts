import { suggestHint } from '../../core/suggest.js';
import { modelsWithHistory, readPromotionHistory, renderHistoryText } from '../../adapters/state/promotions.js';
import { withDatabase } from '../context.js';
import { CliError } from '../errors.js';
import { EXIT, type CliIO } from '../io.js';

export interface HistoryFlags {
  json?: boolean;
  alias?: string;
  limit: string;
}

/** labctl models history MODEL: the promotion trail, newest first (text or JSON). */
export async function modelsHistoryCommand(io: CliIO, model: string, flags: HistoryFlags): Promise<number> {
  const limit = Number(flags.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new CliError(`invalid --limit "${flags.limit}"`, 'pass a positive whole number, e.g. --limit 20');
  const { records, known } = await withDatabase(io, 'models', async (db) => {
    const records = await readPromotionHistory(db, model, { alias: flags.alias, limit });
    return { records, known: records.length === 0 ? await modelsWithHistory(db) : [] };
  });
  if (records.length === 0 && known.length > 0 && !known.includes(model) && !flags.json) {
    throw new CliError(`no alias moves recorded for model ${model}`, suggestHint(model, known, `models with a history: ${known.slice(0, 10).join(', ')}`));
  }
  if (flags.json) io.stdout.write(JSON.stringify({ model, promotions: records }, null, 2) + '\n');
  else io.stdout.write(renderHistoryText(model, records));
  return EXIT.ok;
}
