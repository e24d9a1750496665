import { callerOf } from '../http/request.js';
import { httpHandler } from '../http/handler.js';
import { json } from '../http/responses.js';
import { appDeps } from '../shared/deps.js';
import { listFlags } from '../use-cases/flags.js';

const { registry } = appDeps();

/** `GET /feature-flags`: the registry, as the caller may see it. */
export const handler = httpHandler(async (event) => json(200, listFlags(registry, callerOf(event))));
