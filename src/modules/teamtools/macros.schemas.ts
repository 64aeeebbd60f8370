import { z } from 'zod';
import { baseObject, describe, idOf, listQuery } from '../../platform/http/schemas.ts';
import { conversationObject } from '../conversations/index.ts';
import { actionList, actionResult } from './actions.schemas.ts';

const name = describe(z.string().trim().min(1).max(200), 'A name people recognise.', 'Refund: tag and close');
const example = {
  name: 'Refund: tag and close',
  actions: [
    { type: 'add_tags', tags: ['refund'] },
    { type: 'send_canned', canned_response_id: 'cr_01JD5Z8Q4X3N2M1K0H9G8F7E6D' },
    { type: 'close' },
  ],
};

export const createMacroBody = z.strictObject({ name, actions: actionList }).meta({ examples: [example] });
export const updateMacroBody = z
  .strictObject({ name: name.optional(), actions: actionList.optional() })
  .meta({ examples: [{ name: 'Refund' }] });

export const macroObject = z.object({ ...baseObject('mac', 'macro'), name, actions: actionList });
export const listMacrosQuery = listQuery({});

export const macroRunParams = z.object({
  id: idOf('conv'),
  macro_id: idOf('mac'),
});

export const macroRunObject = z.object({
  object: describe(z.literal('macro_run'), 'The type of this object.', 'macro_run'),
  macro_id: idOf('mac', 'The macro run.'),
  conversation_id: idOf('conv', 'The conversation it ran on.'),
  results: describe(z.array(actionResult), 'One result per action, in order.'),
  conversation: describe(conversationObject, 'The conversation after the macro.'),
});
