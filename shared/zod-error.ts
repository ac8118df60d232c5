import type { z } from 'zod';

/** Turn a zod error into 'path.to.field: why', naming the first bad field. */
export function describeZodError(error: z.ZodError, root = ''): string {
  const issue = error.issues[0];
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  const where = `${root}${path}`.replace(/^\./, '') || '(root)';
  return `${where}: ${issue.message}`;
}
