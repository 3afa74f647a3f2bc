/**
 * `npm run openapi`: prints the OpenAPI 3.1 document the server serves at GET /api/openapi.json,
 * without starting it (`npm run openapi > openapi.json` for tools that want a file). It is
 * generated from the code (src/http/openapi.ts), so there is no copy in the repository to go stale.
 */
import { openApiDocument } from '../src/http/openapi';

process.stdout.write(`${JSON.stringify(openApiDocument(), null, 2)}\n`);
