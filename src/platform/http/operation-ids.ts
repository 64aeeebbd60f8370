import type { AnyRoute } from './route.ts';

/**
 * OpenAPI operationIds: camelCase verbs on the objects (`listContacts`, `createCall`,
 * `closeConversation`), stable (derived from the method and path, never from the order of the
 * routes) and unique (test/app/docs.test.ts checks). Generated clients name their functions after them.
 */

/** Ids that the rule below would get wrong or make clumsy. */
const overrides: Record<string, string> = {
  'GET /healthz': 'getHealth',
  'GET /v1/channels/health': 'listChannelHealth',
  'GET /readyz': 'getReadiness',
  'GET /metrics': 'getMetrics',
  'GET /openapi.json': 'getOpenApiDocument',
  'GET /v1/me/availability': 'getMyAvailability',
  'PUT /v1/csat/settings': 'setCsatSettings',
  'GET /v1/reports/overview': 'getOverviewReport',
  'GET /v1/reports/calls': 'getCallsReport',
  'GET /v1/reports/users': 'getUsersReport',
  'GET /v1/reports/campaigns/:id': 'getCampaignReport',
  'GET /v1/reports/conversations.csv': 'exportConversationsCsv',
  'GET /v1/reports/calls.csv': 'exportCallsCsv',
  'GET /v1/reports/costs': 'getCostsReport',
  'GET /v1/reports/costs.csv': 'exportCostsCsv',
  'GET /v1/reports/ads': 'getAdsReport',
  'GET /v1/rate-card': 'getRateCard',
  'PUT /v1/rate-card': 'setRateCard',
  'POST /v1/auth/login': 'login',
  'POST /v1/auth/logout': 'logout',
  'GET /v1/me': 'getMe',
  'PUT /v1/me/availability': 'setMyAvailability',
  'PUT /v1/conversations/:id/tags': 'setConversationTags',
  'POST /v1/conversations/bulk': 'bulkUpdateConversations',
  'POST /v1/conversations/:id/handoff/resolve': 'resolveConversationHandoff',
  'POST /v1/conversations/:id/handoff': 'handOffConversation',
  'POST /v1/conversations/:id/copilot/suggest': 'suggestConversationReply',
  'POST /v1/conversations/:id/reply': 'replyToConversation',
  'POST /v1/conversations/:id/macros/:macro_id': 'applyMacro',
  'GET /v1/conversations/:id/ai-replies': 'listConversationAiReplies',
  'POST /v1/sandbox/inbound': 'simulateInboundMessage',
  'POST /v1/agents/:id/messages': 'sendAgentMessage',
  'POST /v1/messages': 'sendMessage',
  'GET /v1/messages/:id/media': 'getMessageMedia',
  'POST /v1/agents/:id/knowledge/upload': 'uploadKnowledgeFile',
  'POST /v1/agents/:id/knowledge/search': 'searchKnowledge',
  'POST /v1/agents/:id/test': 'testAgent',
  'POST /v1/agents/:id/replay': 'replayAgent',
  'POST /v1/webhooks/:id/rotate-secret': 'rotateWebhookSecret',
  'POST /v1/webhooks/:id/test': 'testWebhook',
  'POST /v1/webhooks/:id/deliveries/:delivery_id/redeliver': 'redeliverWebhookDelivery',
  'POST /v1/voice-flows/:id/test': 'testVoiceFlow',
  'GET /v1/calls/:id/recording': 'getCallRecording',
  'DELETE /v1/teams/:id/members/:user_id': 'removeTeamMember',
  'POST /v1/teams/:id/members': 'addTeamMembers',
  'POST /v1/audiences/:id/contacts': 'addAudienceContacts',
  'DELETE /v1/audiences/:id/contacts': 'removeAudienceContacts',
  'GET /v1/csat/respond/:token': 'respondToCsat',
  'GET /v1/me/two-factor': 'getMyTwoFactor',
  'DELETE /v1/users/:id/two-factor': 'resetUserTwoFactor',
  'GET /v1/contacts/duplicates': 'listWorkspaceDuplicates',
};

/** Words that are their own singular (or are named otherwise in an id). */
const nouns: Record<string, [singular: string, plural: string]> = {
  knowledge: ['KnowledgeDocument', 'KnowledgeDocuments'],
  analysis: ['Analysis', 'Analyses'],
  'analysis-runs': ['AnalysisRun', 'AnalysisRuns'],
  availability: ['Availability', 'Availability'],
  queue: ['Queue', 'Queue'],
  settings: ['Settings', 'Settings'],
  metrics: ['Metrics', 'Metrics'],
  csat: ['Csat', 'Csat'],
  me: ['Me', 'Me'],
  'handoff-policy': ['HandoffPolicy', 'HandoffPolicy'],
  reports: ['Report', 'Reports'],
};

const pascal = (s: string) =>
  s
    .split(/[-_]/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');

const singular = (seg: string) => {
  if (nouns[seg]) return nouns[seg][0];
  const p = pascal(seg);
  if (p.endsWith('ies')) return `${p.slice(0, -3)}y`;
  if (p.endsWith('sses')) return p.slice(0, -2);
  return p.endsWith('s') ? p.slice(0, -1) : p;
};
const plural = (seg: string) => (nouns[seg] ? nouns[seg][1] : pascal(seg));
/** A segment that names a collection (plural) rather than an action or a single thing. */
const isCollection = (seg: string) => (nouns[seg] ? nouns[seg][0] !== nouns[seg][1] : seg.endsWith('s'));

export function operationId(route: AnyRoute): string {
  const key = `${route.method} ${route.path}`;
  if (overrides[key]) return overrides[key];
  const segs = route.path
    .replace(/^\/v1\//, '/')
    .split('/')
    .filter(Boolean);
  const last = segs[segs.length - 1]!;
  const words = segs.filter((s) => !s.startsWith(':'));
  const owners = (upTo: number) => words.slice(0, upTo).map(singular).join('');
  if (last.startsWith(':')) {
    // `/contacts/:id`, `/agents/:id/knowledge/:doc_id`: one object.
    const verb = {
      GET: 'get',
      PATCH: 'update',
      PUT: 'replace',
      DELETE: 'delete',
      POST: 'post',
      OPTIONS: 'options',
    }[route.method];
    return `${verb}${owners(words.length)}`;
  }
  const prev = segs[segs.length - 2];
  if (isCollection(last)) {
    // `/contacts`, `/agents/:id/webhooks`: a collection (of the owner's, when nested).
    const owner = owners(words.length - 1);
    if (route.method === 'GET') return `list${owner}${plural(last)}`;
    if (route.method === 'POST') return `create${owner}${singular(last)}`;
    if (route.method === 'DELETE') return `delete${owner}${plural(last)}`;
    return `${route.method === 'PUT' ? 'set' : 'update'}${owner}${plural(last)}`;
  }
  if (prev?.startsWith(':') || (prev && !isCollection(prev) && route.method !== 'GET')) {
    // `/conversations/:id/close`: an action on one object; `/calls/:id/analyze`.
    const verb = last.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (route.method === 'GET') return `get${owners(words.length - 1)}${singular(last)}`;
    return `${verb}${owners(words.length - 1)}`;
  }
  // `/handoff-policy`, `/reports/overview`: a single thing.
  const verb = {
    GET: 'get',
    PATCH: 'update',
    PUT: 'set',
    DELETE: 'delete',
    POST: 'create',
    OPTIONS: 'options',
  }[route.method];
  return `${verb}${words.map(singular).join('')}`;
}
