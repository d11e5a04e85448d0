import { Command, CommanderError, Option } from 'commander';
import { applyCommand } from './commands/apply.js';
import { assignCommand } from './commands/assign.js';
import { chatCommand } from './commands/chat.js';
import { eventsImportCommand } from './commands/events.js';
import { serveCommand } from './commands/serve.js';
import { upCommand } from './commands/up.js';
import { watchCommand } from './commands/watch.js';
import { migrateCommand } from './commands/migrate.js';
import { modelsHistoryCommand } from './commands/models.js';
import { planCommand } from './commands/plan.js';
import { reportCommand } from './commands/report.js';
import { statusCommand } from './commands/status.js';
import { validateCommand } from './commands/validate.js';
import { envHelp } from './env-vars.js';
import { reportError } from './errors.js';
import { EXIT, type CliIO } from './io.js';

/** Run the CLI with argv (without node and script) and return the exit code. */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  let code: number = EXIT.ok;
  const run = (fn: () => Promise<number>) => async () => {
    code = await fn();
  };
  const program = new Command('labctl')
    .description('Experiments, prompts, flows and model promotions as configuration-as-code.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(run labctl --help for usage)')
    .addHelpText('after', envHelp());

  program
    .command('validate')
    .description('check every spec under --dir (its experiments/, prompts/, flows/, models/, evaluations/, dashboards/ and metrics/ folders when it has any); exit 0 valid, 1 invalid')
    .option('--dir <dir>', 'directory of specs', undefined)
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'github']).default('text'))
    .option('--strict', 'fail (exit 1) when no spec file is found, e.g. a mistyped --dir in CI')
    .addHelpText('after', envHelp('validate'))
    .action((o) => run(() => validateCommand(io, o))());

  program
    .command('plan')
    .description('show what apply would change; exit 0 success (2 when there are changes, with --detailed-exitcode), 1 error')
    .option('--dir <dir>', 'directory of specs')
    .option('--out <file>', 'write the plan as JSON, to apply later with labctl apply FILE')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'markdown', 'github']).default('text'))
    .option('--detailed-exitcode', 'exit 2 when there are changes')
    .option('--prune', 'archive resources that are no longer in git')
    .option('--base <ref>', 'compare with the specs at a git ref instead of the database (pull requests)')
    .addHelpText('after', envHelp('plan'))
    .action((o) => run(() => planCommand(io, o))());

  program
    .command('apply')
    .description('apply the specs (or a saved plan); exit 0 done, 1 error, 3 stale plan or refused by a guard')
    .argument('[plan-file]', 'a plan written by labctl plan --out')
    .option('--dir <dir>', 'directory of specs')
    .option('--prune', 'archive resources that are no longer in git')
    .option('--allow-mass-archive', 'allow archiving all or more than half of a kind')
    .option('--lock-timeout <seconds>', 'how long to wait for a concurrent apply', '30')
    .option('--resume', 'only run the MLflow steps an earlier apply left pending (after a crash or an MLflow outage)')
    .addHelpText('after', envHelp('apply'))
    .action((file, o) => run(() => applyCommand(io, file, o))());

  program
    .command('migrate')
    .description('create or upgrade the state store schema')
    .addHelpText('after', envHelp('migrate'))
    .action(() => run(() => migrateCommand(io))());

  program
    .command('status')
    .description('applied revision, last run, counts per kind, drift, watchers, experiment decisions')
    .option('--json', 'machine-readable output')
    .option('--detailed-exitcode', 'exit 2 when an experiment decision asks for action (ship, stop, inconclusive)')
    .addHelpText('after', envHelp('status'))
    .action((o) => run(() => statusCommand(io, o))());

  program
    .command('report')
    .description("an experiment's result: units, SRM, lift per metric and variant, the decision")
    .argument('<experiment>', 'experiment name')
    .option('--format <format>', 'text, json or markdown', 'text')
    .addHelpText('after', envHelp('report'))
    .action((name, o) => run(() => reportCommand(io, name, o))());

  const events = program.command('events').description('the events experiments are measured by (sending them: docs/routes/event-logging-route.md)');
  events
    .command('import')
    .description('backfill events from a .jsonl or .csv file, validated and deduplicated as POST /v1/events does; exit 0 all stored, 1 rows rejected or file unreadable')
    .argument('<file>', 'FILE.jsonl (one event object per line) or FILE.csv (a header row)')
    .addOption(new Option('--format <format>', 'file format (default: from the extension)').choices(['jsonl', 'csv']))
    .option('--json', 'machine-readable summary')
    .addHelpText('after', envHelp('events import'))
    .action((file, o) => run(() => eventsImportCommand(io, file, o))());

  const models = program.command('models').description('models and promotions managed in MLflow');
  models
    .command('history')
    .description('the promotion trail of a model: every alias move labctl made, newest first (rolling back: docs/model-promotion.md)')
    .argument('<model>', 'Model name (as in the spec)')
    .option('--alias <alias>', 'only moves of this alias')
    .option('--limit <n>', 'at most this many moves', '100')
    .option('--json', 'machine-readable output')
    .addHelpText('after', envHelp('models history'))
    .action((name, o) => run(() => modelsHistoryCommand(io, name, o))());

  program
    .command('assign')
    .description('offline assignment from the YAML in --dir, with the reason and hash')
    .argument('<experiment>', 'experiment name')
    .option('--unit <value>', "value of the experiment's unit attribute (e.g. the user id)")
    .option('--attributes <json>', 'request attributes as a JSON object')
    .option('--dir <dir>', 'directory of specs')
    .option('--json', 'machine-readable output')
    .addHelpText('after', envHelp('assign'))
    .action((name, o) => run(() => assignCommand(io, name, o))());

  program
    .command('chat')
    .description('talk to a flow in the terminal: against labctl serve (--url) or in-process from --dir')
    .argument('<flow>', 'flow name')
    .option('--url <url>', 'a running labctl serve (default: in-process from --dir)')
    .option('--dir <dir>', 'directory of specs, for an in-process chat')
    .option('--experiment <name>', 'let this experiment choose the flow variant')
    .option('--attributes <json>', 'request attributes as a JSON object (the experiment\'s unit among them)')
    .option('--slots <json>', 'initial slot values as a JSON object')
    .addHelpText('after', envHelp('chat'))
    .action((name, o) => run(() => chatCommand(io, name, o))());

  program
    .command('serve')
    .description('serve assignments from the applied state (HTTP, see docs/runtime.md)')
    .option('--port <port>', 'TCP port', '8080')
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .addHelpText('after', envHelp('serve'))
    .action((o) => run(() => serveCommand(io, o))());

  program
    .command('watch')
    .description('keep the database reconciled with --dir: every change schedules a full reconcile')
    .option('--dir <dir>', 'directory of specs (with --git: the path inside the repository)')
    .option('--git <url>', 'follow a branch of a git repository instead of a local directory')
    .option('--branch <branch>', 'branch to follow with --git', 'main')
    .option('--interval <duration>', 'how often to fetch with --git (e.g. 30s, 2m)', '30s')
    .option('--port <port>', 'serve /healthz, /v1/status and the /v1/reconcile webhook on this port')
    .option('--host <host>', 'interface for --port', '127.0.0.1')
    .option('--prune', 'archive resources that leave the source (the mass-archive guard still applies)')
    .option('--resync <duration>', 'also reconcile this often without a change, restoring hand edits (0 to disable)', '10m')
    .addHelpText('after', envHelp('watch'))
    .action((o) => run(() => watchCommand(io, o))());

  program
    .command('up')
    .description('the local quick start: migrate, apply ./, serve and watch, in one process')
    .option('--dir <dir>', 'directory of specs')
    .option('--port <port>', 'TCP port', '8080')
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .addHelpText('after', envHelp('up'))
    .action((o) => run(() => upCommand(io, o))());

  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.error;
    return reportError(e, io);
  }
}
