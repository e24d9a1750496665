import { httpHandler } from '../http/handler.js';
import { json } from '../http/responses.js';
import { appRegistry } from '../shared/registry.js';

const registry = appRegistry();

/** `GET /health`: open readiness check; answers without touching the table. */
export const handler = httpHandler(async () => json(200, { status: 'ok', registry_version: registry.version }));
