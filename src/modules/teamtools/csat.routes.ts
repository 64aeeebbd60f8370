import { z } from 'zod';
import { ApiError } from '../../platform/errors.ts';
import { pageRequest } from '../../platform/http/pagination.ts';
import { defineRoute, ok } from '../../platform/http/route.ts';
import { listResponse } from '../../platform/http/schemas.ts';
import { answerByLink } from './csat.answer.ts';
import { csatPage, malformedLinkPage, rateLimitedPage, wantsHtml } from './csat.page.ts';
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
import { admitCsatLink, getCsatSettings, listCsatAnswers, putCsatSettings } from './csat.service.ts';

const tags = ['CSAT'];
const { $schema: _, ...respondResponseJson } = z.toJSONSchema(respondResponse) as Record<string, unknown>;
const errorJson = { schema: { $ref: '#/components/schemas/Error' } };
const htmlExample = '<!doctype html>…<h1>Thank you</h1><p>Thank you — your rating: 4 of 5.</p>…';
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
    scope: 'settings:write',
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
      'The link in a CSAT email: records the score clicked, once, within 7 days of the question (a second click, or one after 7 days, answers `recorded: false`). No key: the token is the credential. A token no open or answered question has (mistyped, or its contact deleted) is a 404 naming nothing. A browser (`Accept` preferring `text/html`) gets a small page instead: "Thank you — your rating: 4 of 5", or that it was already recorded (200); for a token that is not valid a 404 page, for an expired one a 410 page, for a link without a score or with one outside 1-5 a 400 page. Callers asking for JSON get `{recorded, score}` (and the usual errors). Each client address may open `PARLEY_CSAT_LINKS_PER_MINUTE` links a minute; past it the answer is 429 with `Retry-After`.',
    tags,
    auth: 'none',
    params: respondParams,
    query: respondQuery,
    responses: { 200: null, 404: null, 410: null, 429: null },
    errors: ['not_found', 'rate_limited'],
    invalidPage: malformedLinkPage,
    rawResponses: {
      200: {
        'application/json': { schema: respondResponseJson, example: { recorded: true, score: 4 } },
        'text/html': { schema: { type: 'string' }, example: htmlExample },
      },
      400: { 'text/html': { schema: { type: 'string' } } },
      404: { 'text/html': { schema: { type: 'string' } }, 'application/json': errorJson },
      410: { 'text/html': { schema: { type: 'string' } } },
      429: { 'text/html': { schema: { type: 'string' } }, 'application/json': errorJson },
    },
    handler: async ({ ctx, params, query, request }) => {
      const html = wantsHtml(request);
      const retryAfter = await admitCsatLink(ctx, request.ip);
      if (retryAfter !== null) {
        if (html) return rateLimitedPage(retryAfter);
        throw new ApiError('rate_limited', `Too many CSAT links opened; retry in ${retryAfter} s.`, {
          headers: { 'Retry-After': String(retryAfter) },
        });
      }
      const outcome = await answerByLink(ctx, params.token, query.score);
      if (html) return csatPage(outcome);
      if (outcome.state === 'unknown') throw new ApiError('not_found', 'No CSAT question has this link.');
      return {
        status: 200,
        body: respondResponse.parse({ recorded: outcome.state === 'recorded', score: query.score }),
      };
    },
  }),
];
