import type { Db, Trx } from '../../platform/db/database.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';

/**
 * The AI's replies with what they cost (issue 60), as a subquery for Reports: one row per reply,
 * its conversation and agent, the model that answered (`provider:name`, `builtin`; null for a
 * built-in agent) and its tokens in and out (null when the model's server told none).
 */
export function aiReplyUsage(db: Db | Trx, scope: Scope) {
  return tenant(db, scope)
    .selectFrom('ai_replies')
    .select([
      'message_id',
      'conversation_id',
      'agent_id',
      'engine',
      'model',
      'input_tokens',
      'output_tokens',
      'created_at',
    ]);
}
