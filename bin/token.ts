import { parseArgs } from 'node:util';
import { z } from 'zod';
import { orgIdSchema } from '../lambdas/domain/schemas.js';
import { loadOrCreateKeys, signToken } from '../lib/local/auth.js';
import { localSettings } from '../lib/local/stack.js';

const USAGE = 'Usage: npm run -s token -- --role admin|service|org [--org ORG_ID] [--sub SUBJECT] [--expires 12h]';

const argsSchema = z.discriminatedUnion('role', [
  z.object({
    role: z.enum(['admin', 'service']),
    org: z.undefined().optional(),
    sub: z.string().optional(),
    expires: z.string().optional(),
  }),
  z.object({ role: z.literal('org'), org: orgIdSchema, sub: z.string().optional(), expires: z.string().optional() }),
]);

try {
  const { values } = parseArgs({
    options: {
      role: { type: 'string' },
      org: { type: 'string' },
      sub: { type: 'string' },
      expires: { type: 'string' },
    },
    strict: true,
  });
  const parsed = argsSchema.safeParse(values);
  if (!parsed.success) throw new Error(z.prettifyError(parsed.error));
  const { role, org, sub, expires } = parsed.data;
  const keys = await loadOrCreateKeys(localSettings().dataDir, (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(
    `${await signToken(keys, { role, ...(org ? { orgId: org } : {}), ...(sub ? { subject: sub } : {}), ...(expires ? { expiresIn: expires } : {}) })}\n`,
  );
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
  process.exit(2);
}
