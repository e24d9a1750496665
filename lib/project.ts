import { fileURLToPath } from 'node:url';

/** The project's root directory (where package.json is), however the code is run. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
