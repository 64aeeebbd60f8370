import { pageRequest } from '../../platform/http/pagination.ts';
import { defineRoute, ok } from '../../platform/http/route.ts';
import { listResponse } from '../../platform/http/schemas.ts';
import { respondByToken } from './csat.answer.ts';
import {
  csatAnswerObject,
  csatSettingsObject,
  csatSettingsQuery,
  listCsatQuery,
  putCsatBody,
  respondParams,
  respondQuery,
  respondResponse,
} from './csat.schemas.ts';
import { getCsatSettings, listCsatAnswers, putCsatSettings } from './csat.service.ts';

const tags = ['CSAT'];
const how =
  'When on, resolving a conversation asks the customer on its channel: a list of 1-5 on WhatsApp (within the 24-hour window only; outside it nothing is sent), a reply digit on SMS, one link per score on email. A reply starting with a digit 1-5 is the score (words after it are the comment); anything else ("7", "great!!") is an ordinary message and the question stays open for 7 days. The answer sets `conversation.csat` and emits `csat.received`.';

export const csatRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/csat/settings',
    summary: 'Get CSAT settings',
    description: `The workspace's satisfaction survey settings, or with \`agent_id\` those that apply to that agent (its own, else the workspace's). ${how}`,
    tags,
    auth: 'key',
    scope: 'conversations:read',
    query: csatSettingsQuery,
    responses: { 200: csatSettingsObject },
    handler: ok(({ ctx, auth, query }) => getCsatSettings(ctx, auth, query.agent_id)),
  }),
  defineRoute({
    method: 'PUT',
    path: '/v1/csat/settings',
    summary: 'Set CSAT settings',
    description: `Sets the workspace's settings, or with \`agent_id\` that agent's own (they override the workspace's). ${how}`,
    tags,
    auth: 'key',
    scope: 'conversations:write',
    body: putCsatBody,
    responses: { 200: csatSettingsObject },
    errors: ['validation_failed'],
    handler: async ({ ctx, auth, body }) => ({ status: 200, body: await putCsatSettings(ctx, auth, body) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/csat',
    summary: 'List CSAT answers',
    description: 'Satisfaction answers received, newest first; `agent_id` and `score` filter.',
    tags,
    auth: 'key',
    scope: 'conversations:read',
    query: listCsatQuery,
    responses: { 200: listResponse(csatAnswerObject) },
    handler: ok(({ ctx, auth, query }) => listCsatAnswers(ctx, auth, query, pageRequest(query))),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/csat/respond/:token',
    summary: 'Answer a CSAT question (emailed link)',
    description:
      'The link in a CSAT email: records the score clicked, once (a second click answers `recorded: false`). No key: the token is the credential.',
    tags,
    auth: 'none',
    params: respondParams,
    query: respondQuery,
    responses: { 200: respondResponse },
    handler: ok(({ ctx, params, query }) => respondByToken(ctx, params.token, query.score)),
  }),
];
