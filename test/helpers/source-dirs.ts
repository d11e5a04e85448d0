/** The folders that hold labctl's TypeScript sources (besides index.ts), innermost layer first. */
export const SOURCE_DIRS = ['core', 'engine', 'kinds', 'adapters', 'reconciler', 'runtime', 'cli'] as const;
