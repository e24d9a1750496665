import { callerOf } from '../http/request.js';
import { httpHandler } from '../http/handler.js';
import { json } from '../http/responses.js';
import { appRegistry } from '../shared/registry.js';
import { listFlags } from '../use-cases/flags.js';

const registry = appRegistry();

/** `GET /feature-flags`: the registry, as the caller may see it. Never touches the table. */
export const handler = httpHandler(async (event) => json(200, listFlags(registry, callerOf(event))));
