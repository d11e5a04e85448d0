import { createColors } from 'picocolors';
import { renderDiagnosticsGithub, renderDiagnosticsJson, renderDiagnosticsText } from '../../reconciler/render/diagnostics.js';
import { repoPathPrefix } from '../../adapters/git/provenance.js';
import { loadDir } from '../context.js';
import { CliError } from '../errors.js';
import { EXIT, useColor, type CliIO } from '../io.js';

export interface ValidateFlags {
  dir?: string;
  format: string;
  /** An empty tree is an error (a mistyped --dir in CI fails instead of passing). */
  strict?: boolean;
}

/** labctl validate: 0 valid, 1 invalid. */
export async function validateCommand(io: CliIO, flags: ValidateFlags): Promise<number> {
  if (!['text', 'json', 'github'].includes(flags.format)) throw new CliError(`unknown --format "${flags.format}"`, 'use text, json or github');
  const { dir, state } = await loadDir(io, flags.dir);
  if (flags.strict && state.files === 0) throw new CliError(`no spec files found in ${flags.dir ?? '.'} (--strict)`, 'pass --dir the folder that holds your specs');
  const errors = state.diagnostics.filter((d) => d.severity === 'error').length;
  if (flags.format === 'json') io.stdout.write(renderDiagnosticsJson(state.diagnostics));
  else if (flags.format === 'github') io.stdout.write(renderDiagnosticsGithub(state.diagnostics, await repoPathPrefix(dir, io.cwd)));
  else {
    const color = useColor(io);
    const c = createColors(color);
    io.stdout.write(renderDiagnosticsText(state.diagnostics, { color }));
    const warnings = state.diagnostics.length - errors;
    io.stdout.write(
      errors === 0
        ? `${c.green('✓')} ${state.resources.length} resource${state.resources.length === 1 ? '' : 's'} in ${state.files} file${state.files === 1 ? '' : 's'} valid${warnings ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : ''}.\n`
        : `${c.red('✗')} ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'} in ${state.files} file${state.files === 1 ? '' : 's'}.\n`,
    );
  }
  return errors === 0 ? EXIT.ok : EXIT.error;
}
