import type { ErrorCode } from '../../platform/errors.ts';
import { pageRequest } from '../../platform/http/pagination.ts';
import { actionRoute, defineRoute, ok } from '../../platform/http/route.ts';
import { idParams, listResponse } from '../../platform/http/schemas.ts';
import {
  campaignListQuery,
  campaignObject,
  cancelQuery,
  createCampaignBody,
  recipientListQuery,
  recipientObject,
  updateCampaignBody,
} from './campaigns.schemas.ts';
import {
  cancelCampaign,
  createCampaign,
  getCampaign,
  listCampaigns,
  listRecipients,
  pauseCampaign,
  resumeCampaign,
  startCampaign,
  updateCampaign,
} from './campaigns.service.ts';

const tags = ['Campaigns'];

/** A POST with no body that moves the campaign on and answers it as it is then. */
function campaignAction(
  path: string,
  summary: string,
  description: string,
  errors: ErrorCode[],
  act: typeof startCampaign,
) {
  return actionRoute({
    path,
    summary,
    description,
    tags,
    scope: 'campaigns:write',
    params: idParams('cmp'),
    response: campaignObject,
    errors,
    act,
  });
}

export const campaignRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/campaigns',
    summary: 'List campaigns',
    description:
      'Campaigns of this workspace and mode, newest first, each with its status and live `stats` (pending, in progress, completed, answered, voicemail, no answer, busy, failed ...); filter by `status` or `type`.',
    tags,
    auth: 'key',
    scope: 'campaigns:read',
    query: campaignListQuery,
    responses: { 200: listResponse(campaignObject) },
    handler: ok(({ ctx, auth, query }) =>
      listCampaigns(ctx, auth, { status: query.status, type: query.type }, pageRequest(query)),
    ),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/campaigns',
    summary: 'Create a campaign',
    description:
      "A draft: voice calls (an agent or a voice flow) or a WhatsApp template to an audience, in calling windows held in each recipient's own time zone, with retries, a pace and a concurrency cap. Nothing is dialed until `POST /v1/campaigns/{id}/start`. Checked now: the agent or flow, an approved template and its variables, an audience with contacts, `end_at` after `start_at`, windows that open for the audience, `max_concurrency` within the plan.",
    tags,
    auth: 'key',
    scope: 'campaigns:write',
    body: createCampaignBody,
    responses: { 201: campaignObject },
    errors: ['validation_failed', 'template_not_approved', 'channel_not_configured'],
    handler: async ({ ctx, auth, body }) => ({ status: 201, body: await createCampaign(ctx, auth, body) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/campaigns/:id',
    summary: 'Retrieve a campaign',
    description: 'With live `stats` that add up (see the schema).',
    tags,
    auth: 'key',
    scope: 'campaigns:read',
    params: idParams('cmp'),
    responses: { 200: campaignObject },
    handler: ok(({ ctx, auth, params }) => getCampaign(ctx, auth, params.id)),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/v1/campaigns/:id',
    summary: 'Update a campaign',
    description:
      'The name changes any time; the rest while the campaign is a draft, scheduled or paused (else 409 `conflict`).',
    tags,
    auth: 'key',
    scope: 'campaigns:write',
    params: idParams('cmp'),
    body: updateCampaignBody,
    responses: { 200: campaignObject },
    errors: ['validation_failed', 'conflict'],
    handler: ok(({ ctx, auth, params, body }) => updateCampaign(ctx, auth, params.id, body, auth)),
  }),
  campaignAction(
    '/v1/campaigns/:id/start',
    'Start a campaign',
    "A draft starts: its recipients are written (DND contacts skipped unless `ignore_dnd`, opted-out ones always) and dialing begins when `start_at` has passed and each recipient's window is open. Starting a campaign that is not a draft is a 409 `conflict`.",
    ['conflict', 'validation_failed', 'unprocessable'],
    startCampaign,
  ),
  campaignAction(
    '/v1/campaigns/:id/pause',
    'Pause a campaign',
    'No new dials; live calls finish. 409 `conflict` unless running.',
    ['conflict'],
    pauseCampaign,
  ),
  campaignAction(
    '/v1/campaigns/:id/resume',
    'Resume a paused campaign',
    "Resumes a paused campaign: recipients not yet called are dialled again within the calling windows, at the campaign's pace and concurrency.",
    ['conflict'],
    resumeCampaign,
  ),
  defineRoute({
    method: 'POST',
    path: '/v1/campaigns/:id/cancel',
    summary: 'Cancel a campaign',
    description:
      'For good: recipients not yet reached become `canceled`; live calls finish unless `?hangup=true`. A canceled or completed campaign is a 409 `conflict`.',
    tags,
    auth: 'key',
    scope: 'campaigns:write',
    params: idParams('cmp'),
    query: cancelQuery,
    responses: { 200: campaignObject },
    errors: ['conflict'],
    handler: ok(({ ctx, auth, params, query }) =>
      cancelCampaign(ctx, auth, params.id, query.hangup ?? false),
    ),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/campaigns/:id/recipients',
    summary: "List a campaign's recipients",
    description:
      'Each with its status, last result, attempts, next attempt, last call and resolved time zones.',
    tags,
    auth: 'key',
    scope: 'campaigns:read',
    params: idParams('cmp'),
    query: recipientListQuery,
    responses: { 200: listResponse(recipientObject) },
    handler: ok(({ ctx, auth, params, query }) =>
      listRecipients(ctx, auth, params.id, { status: query.status }, pageRequest(query)),
    ),
  }),
];
