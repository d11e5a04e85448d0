import { DatabaseUnavailableError } from '../../core/db.js';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN']);
// SQLSTATEs of a server that cannot take the statement now: connection exceptions (class 08),
// shutdown and crash recovery (57P01–57P03), too many connections (53300).
const SERVER_UNAVAILABLE = /^(08...|57P0[1-3]|53300)$/;
const DRIVER_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|connection error and is not queryable|Client was closed and is not queryable|Cannot use a pool after calling end|PGlite is closed/i;

/**
 * Whether an error means the database cannot be reached now (worth a 503 and a retry), as opposed
 * to a statement the database refused (a bug: a 500).
 */
export function isDatabaseUnavailable(e: unknown): boolean {
  if (e instanceof DatabaseUnavailableError) return true;
  if (typeof e !== 'object' || e === null) return false;
  const err = e as { code?: unknown; message?: unknown; errors?: unknown };
  const code = typeof err.code === 'string' ? err.code : '';
  if (NETWORK_CODES.has(code) || SERVER_UNAVAILABLE.test(code)) return true;
  // Connecting to a name with several addresses fails with one error per address.
  if (Array.isArray(err.errors) && err.errors.some(isDatabaseUnavailable)) return true;
  return DRIVER_MESSAGES.test(String(err.message ?? ''));
}
