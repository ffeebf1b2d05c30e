// POST /api/database/validate (curation-notes.md section 1.3): tests connection details without storing them. Body
// {"details": {"engine": E, "details": {…}}}. Always 200 once the body has that shape: the details as they would be
// stored (password masked) plus "valid": true, or {"message", "errors"?, "valid": false}. Never echoes a secret.
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.ts';
import { publicDetails } from '../catalog/api-objects.ts';
import { normalizeDetails } from '../catalog/databases.ts';
import { ENGINES } from '../drivers/driver.ts';
import { connectionFailure, readDetails } from './database-details.ts';
import { sendJson } from './replies.ts';
import { ValidationErrors, bodyObject, read, requiredEnum, requiredMap } from './validation.ts';

export function registerDatabaseValidateRoute(app: FastifyInstance, deps: AppDeps): void {
  app.post('/api/database/validate', async (request, reply) => {
    const errors = new ValidationErrors();
    const outer = read(errors, bodyObject(request.body), 'details', requiredMap);
    errors.check();
    const engine = read(errors, outer!, 'engine', requiredEnum(ENGINES), 'details.engine');
    const details = read(errors, outer!, 'details', requiredMap, 'details.details');
    errors.check();
    // Missing or malformed connection keys are an invalid connection, not a malformed request (Metabase's shape).
    const keyErrors = new ValidationErrors();
    const values = readDetails(keyErrors, engine!, details!, '');
    if (!keyErrors.empty) {
      return sendJson(reply, 200, { message: 'Invalid connection details.', errors: keyErrors.errors, valid: false });
    }
    const normalized = normalizeDetails(engine!, values);
    const failure = await connectionFailure(deps, engine!, normalized);
    if (failure !== null) return sendJson(reply, 200, { message: failure, valid: false });
    return sendJson(reply, 200, { ...publicDetails(normalized), valid: true });
  });
}
