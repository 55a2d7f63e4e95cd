import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { invalidInput } from '../../core/errors.js';
import { readForm } from '../common/form.js';
import { callerOf } from './auth.js';
import { PdFailure, sendPdError, toPdError } from './errors.js';
import { FORM_MAX_BYTES, OK, sendJson } from './respond.js';
import { AUTH, AUTH_ERRORS, errors, form, idParam, json, str, TAGS } from './schemas.js';

const ACTIONS = ['rename'];

/** POST /api/file/{id}: form `action=rename` with `name`, by the file's owner. */
export function registerFileAction(app: FastifyInstance, core: Core): void {
  app.post(
    '/file/:id',
    {
      schema: {
        summary: 'Rename a file',
        description: 'Form `action=rename` with the new `name`, by the file’s owner.',
        tags: [TAGS.files],
        security: AUTH,
        params: idParam('File id'),
        body: form({ action: str('The action', { enum: ACTIONS }), name: str('The new name') }, [
          'action',
          'name',
        ]),
        response: {
          200: json('Ok', 'Renamed'),
          ...errors({
            400: 'missing_field, error_reading_input',
            ...AUTH_ERRORS,
            403: 'forbidden',
            404: 'not_found',
            413: 'request_too_large',
            422: 'enum_parse_failed, string_out_of_range, name_contains_illegal_character',
          }),
        },
      },
    },
    async (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
      try {
        const principal = await callerOf(core, req);
        const { fields } = await readForm(req.raw, reply.raw, FORM_MAX_BYTES);
        const action = fields.action;
        if (action === undefined) throw invalidInput([{ field: 'action', problem: 'missing' }]);
        if (!ACTIONS.includes(action)) {
          throw new PdFailure({
            status: 422,
            value: 'enum_parse_failed',
            message: 'The value of an enum field is not one of the allowed values',
            extra: { field: 'action', allowed_values: ACTIONS },
          });
        }
        if (fields.name === undefined) throw invalidInput([{ field: 'name', problem: 'missing' }]);
        await core.files.rename(req.params.id, fields.name, principal);
        return sendJson(reply, OK);
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );
}
