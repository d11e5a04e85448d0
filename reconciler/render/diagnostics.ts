import { createColors } from 'picocolors';
import type { Diagnostic } from '../../core/types.js';

/** Diagnostics for a terminal: code, position, path and hint; never a stack trace. */
export function renderDiagnosticsText(ds: readonly Diagnostic[], opts: { color: boolean }): string {
  const c = createColors(opts.color);
  const out: string[] = [];
  for (const d of ds) {
    const sev = d.severity === 'error' ? c.red(c.bold('error')) : c.yellow(c.bold('warning'));
    out.push(`${sev}${c.dim(`[${d.code}]`)}: ${d.summary}`);
    if (d.range) out.push(`  ${c.cyan('-->')} ${d.range.filename}:${d.range.start.line}:${d.range.start.column}${d.path ? c.dim(`  at ${d.path}`) : ''}`);
    // Without a source range the JSON path is the only pointer to the problem, so keep it.
    else if (d.path) out.push(`  ${c.dim(`at ${d.path}`)}`);
    if (d.detail) out.push(`  ${d.detail}`);
    if (d.hint) out.push(`  ${c.green('hint:')} ${d.hint}`);
    out.push('');
  }
  return out.join('\n');
}

/** Terraform `validate -json` shape, extended with code, path and hint. */
export function renderDiagnosticsJson(ds: readonly Diagnostic[]): string {
  const errors = ds.filter((d) => d.severity === 'error').length;
  return (
    JSON.stringify(
      {
        format_version: '1.0',
        valid: errors === 0,
        error_count: errors,
        warning_count: ds.length - errors,
        diagnostics: ds.map((d) => ({ severity: d.severity, code: d.code, summary: d.summary, detail: d.detail ?? d.hint ?? '', hint: d.hint, path: d.path, range: d.range })),
      },
      null,
      2,
    ) + '\n'
  );
}

function escapeProperty(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** GitHub Actions workflow commands: one annotation per diagnostic, at file and line. */
export function renderDiagnosticsGithub(ds: readonly Diagnostic[], dirPrefix = ''): string {
  return ds
    .map((d) => {
      const props: string[] = [];
      if (d.range) {
        props.push(`file=${escapeProperty(dirPrefix + d.range.filename)}`, `line=${d.range.start.line}`, `col=${d.range.start.column}`);
        props.push(`endLine=${d.range.end.line}`, `endColumn=${d.range.end.column}`);
      }
      props.push(`title=${escapeProperty(`labctl ${d.code}`)}`);
      const msg = [d.summary, d.detail, d.hint ? `hint: ${d.hint}` : undefined].filter(Boolean).join('\n');
      return `::${d.severity === 'error' ? 'error' : 'warning'} ${props.join(',')}::${escapeData(msg)}`;
    })
    .join('\n') + (ds.length ? '\n' : '');
}
