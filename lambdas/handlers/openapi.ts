import { ROUTES } from '../http/routes.js';
import { httpHandler } from '../http/handler.js';
import { openApiDocument } from '../http/openapi.js';
import { json } from '../http/responses.js';

const document = openApiDocument(ROUTES);

/** `GET /openapi.json`: open; the API's own description, generated once per instance from the route declarations. */
export const handler = httpHandler(async () => json(200, document, { 'cache-control': 'public, max-age=300' }));
