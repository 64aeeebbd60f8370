/**
 * The tools of `parley mcp`: each is one REST operation (method and path of openapi.json), its
 * input the operation's own parameters and body schema (schema.ts builds it from openapi.json), with the path's `{id}` named for what it is (`conversation_id`, `agent_id`...).
 */
export type ToolMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ToolDef {
  name: string;
  title: string;
  /** What the assistant reads to pick the tool. */
  description: string;
  method: ToolMethod;
  /** The OpenAPI path template. */
  path: string;
  /** Path parameters as the tool names them: `{id: 'conversation_id'}`. */
  params?: Record<string, string>;
  /** Body fields the tool requires beyond those the API requires (push_knowledge: `title`). */
  require?: string[];
  /** The arguments are one item of this array field of the body (place_call: `{calls: [args]}`). */
  itemOf?: string;
  /**
   * Replace-by-title instead of the plain request: the document with the same title is replaced,
   * else one is added (the SDK's `knowledge.push`).
   */
  push?: true;
  /** What the tool does to the world, for the client to decide when to ask the person first. */
  hints: ToolHints;
}

/** MCP tool annotations (the `*Hint` fields), spelled out for every tool. */
export interface ToolHints {
  /** Changes nothing. */
  readOnly: boolean;
  /** May overwrite or end something (only meaningful when not read-only). */
  destructive: boolean;
  /** Calling again with the same arguments has no further effect. */
  idempotent: boolean;
  /** Reaches people or systems outside the workspace (a customer's phone, a web page). */
  openWorld: boolean;
}

/** Reads Parley's own data. */
const read: ToolHints = { readOnly: true, destructive: false, idempotent: true, openWorld: false };
/** Adds something inside the workspace. */
const add: ToolHints = { readOnly: false, destructive: false, idempotent: false, openWorld: false };
/** Sends to a customer or dials them: reaches outside the workspace. */
const reach: ToolHints = { readOnly: false, destructive: false, idempotent: false, openWorld: true };

const conversation = { id: 'conversation_id' };
const agent = { id: 'agent_id' };
const canned = { id: 'canned_response_id' };

export const tools: ToolDef[] = [
  {
    name: 'list_conversations',
    title: 'Find conversations',
    description:
      'Find conversations, newest activity first: filter by status, channel, assignee, tag, contact, agent or whether the AI is paused, or search their messages and contacts with `q`. Answers a page: `data` and `meta` (total, page, total_pages).',
    method: 'get',
    path: '/v1/conversations',
    hints: read,
  },
  {
    name: 'get_conversation',
    title: 'Read a conversation',
    description:
      'One conversation: its contact, channel, status, assignee, tags, whether the AI is paused (handed off) and whether the 24-hour window is open. Read its messages with list_messages.',
    method: 'get',
    path: '/v1/conversations/{id}',
    params: conversation,
    hints: read,
  },
  {
    name: 'list_messages',
    title: "Read a conversation's messages",
    description:
      'The messages of a conversation, oldest first by default (`order: desc` for the newest first), with their direction, sender (customer, AI, human or API), text and delivery status.',
    method: 'get',
    path: '/v1/conversations/{id}/messages',
    params: conversation,
    hints: read,
  },
  {
    name: 'reply_to_conversation',
    title: 'Reply in a conversation',
    description:
      "Reply on the conversation's own channel: `text`, or a `template` when the WhatsApp 24-hour window is closed, or `type: note` with `text` for a private note the customer never sees. Answers the queued message.",
    method: 'post',
    path: '/v1/conversations/{id}/reply',
    params: conversation,
    hints: reach,
  },
  {
    name: 'list_canned_responses',
    title: 'Find canned responses',
    description:
      'The saved replies of the workspace (short code, title, content with variables such as {{contact.name}}), by short code; `q` searches short codes and titles. Send one with reply_to_conversation `{canned_response_id}`: its variables are filled in for that conversation.',
    method: 'get',
    path: '/v1/canned-responses',
    hints: read,
  },
  {
    name: 'create_canned_response',
    title: 'Save a canned response',
    description:
      'Save a reply people pick with `/short_code` in the inbox: `short_code` (unique), `title`, `content` (may use {{contact.name}}, {{contact.phone}}, {{user.name}}, {{agent.name}}, {{business.address}}).',
    method: 'post',
    path: '/v1/canned-responses',
    hints: add,
  },
  {
    name: 'update_canned_response',
    title: 'Change a canned response',
    description: 'Change the short code, title or content of a canned response.',
    method: 'patch',
    path: '/v1/canned-responses/{id}',
    params: canned,
    hints: { readOnly: false, destructive: false, idempotent: true, openWorld: false },
  },
  {
    name: 'delete_canned_response',
    title: 'Delete a canned response',
    description: 'Delete a canned response; messages already sent stay.',
    method: 'delete',
    path: '/v1/canned-responses/{id}',
    params: canned,
    hints: { readOnly: false, destructive: true, idempotent: true, openWorld: false },
  },
  {
    name: 'send_message',
    title: 'Send a message or template',
    description:
      'Send a message to a phone number or email address (`to`): `text`, or `template` (an approved template by name, with its variables) to start a conversation outside the 24-hour window. Find templates with list_templates. Answers the queued message and its conversation.',
    method: 'post',
    path: '/v1/messages',
    hints: reach,
  },
  {
    name: 'list_templates',
    title: 'Find message templates',
    description: 'The message templates of the workspace, by status, name, language or category.',
    method: 'get',
    path: '/v1/templates',
    hints: read,
  },
  {
    name: 'hand_off_conversation',
    title: 'Hand off to people',
    description:
      'Stop the AI in a conversation and hand it to the team, with the reason; optionally assign it to a user or a team at once.',
    method: 'post',
    path: '/v1/conversations/{id}/handoff',
    params: conversation,
    hints: add,
  },
  {
    name: 'hand_back_conversation',
    title: 'Hand back to the AI',
    description: 'End a handoff: the AI answers the conversation again.',
    method: 'post',
    path: '/v1/conversations/{id}/handoff/resolve',
    params: conversation,
    hints: add,
  },
  {
    name: 'assign_conversation',
    title: 'Assign a conversation',
    description:
      'Give a conversation to a user (`user_id`) or a team (`team_id`; the team\'s assignment rule then picks an online member with room, else it waits in the team\'s queue), or unassign it with `{"user_id": null}`. Emits conversation.assigned.',
    method: 'post',
    path: '/v1/conversations/{id}/assign',
    params: conversation,
    hints: { readOnly: false, destructive: false, idempotent: true, openWorld: false },
  },
  {
    name: 'get_team_queue',
    title: "A team's queue",
    description:
      'The conversations waiting for a member of a team, oldest first, with how long each has waited, and the members with their availability and capacity.',
    method: 'get',
    path: '/v1/teams/{id}/queue',
    params: { id: 'team_id' },
    hints: read,
  },
  {
    name: 'list_contacts',
    title: 'Find contacts',
    description:
      'Find contacts: search name, phone and email with `q`, or filter by tag, do-not-disturb or opt-out. Answers a page: `data` and `meta`.',
    method: 'get',
    path: '/v1/contacts',
    hints: read,
  },
  {
    name: 'get_contact',
    title: 'Read a contact',
    description: 'One contact: phone, name, email, attributes, tags, do-not-disturb and opt-out.',
    method: 'get',
    path: '/v1/contacts/{id}',
    params: { id: 'contact_id' },
    hints: read,
  },
  {
    name: 'create_contact',
    title: 'Create a contact',
    description:
      'Create a contact with a phone number and/or email, name, attributes and tags. A phone already known answers `conflict` with the existing contact id.',
    method: 'post',
    path: '/v1/contacts',
    hints: add,
  },
  {
    name: 'list_agents',
    title: 'Find AI agents',
    description:
      'The AI agents of the workspace (their ids are what the knowledge, booking and call tools take).',
    method: 'get',
    path: '/v1/agents',
    hints: read,
  },
  {
    name: 'search_knowledge',
    title: "Search an agent's knowledge",
    description:
      "Search an agent's knowledge base as the agent does before answering: the best passages for a question, with their documents and scores.",
    method: 'post',
    path: '/v1/agents/{id}/knowledge/search',
    params: agent,
    hints: read,
  },
  {
    name: 'push_knowledge',
    title: "Push a document to an agent's knowledge",
    description:
      "Add a document to an agent's knowledge, or replace the agent's document with the same title (pushing the same title twice leaves one document): text, markdown, FAQ pairs or a URL to fetch. Indexed at once.",
    method: 'post',
    path: '/v1/agents/{id}/knowledge',
    params: agent,
    require: ['title'],
    push: true,
    hints: { readOnly: false, destructive: true, idempotent: true, openWorld: true },
  },
  {
    name: 'check_availability',
    title: 'Check availability',
    description:
      "Free appointment slots of an agent's business on a day (its timezone, opening hours and existing bookings), optionally for one service's length.",
    method: 'get',
    path: '/v1/agents/{id}/availability',
    params: agent,
    hints: read,
  },
  {
    name: 'book_appointment',
    title: 'Book an appointment',
    description:
      "Book an appointment with an agent's business at a free slot (see check_availability), for a contact (by id, or by phone and name).",
    method: 'post',
    path: '/v1/bookings',
    hints: add,
  },
  {
    name: 'place_call',
    title: 'Place a call',
    description:
      'Place one outbound voice call: an agent (or a voice flow) calls a number. In test mode a simulated callee answers. Answers the queued call; follow it with get_call.',
    method: 'post',
    path: '/v1/calls',
    itemOf: 'calls',
    hints: reach,
  },
  {
    name: 'get_call',
    title: 'Read a call',
    description: 'One call: its status, duration, outcome, transcript and summary.',
    method: 'get',
    path: '/v1/calls/{id}',
    params: { id: 'call_id' },
    hints: read,
  },
  {
    name: 'hang_up_call',
    title: 'Hang up a call',
    description:
      'End a call that is ringing or under way (a call not yet answered ends `canceled`). A call that has already ended is a conflict.',
    method: 'post',
    path: '/v1/calls/{id}/hangup',
    params: { id: 'call_id' },
    hints: { readOnly: false, destructive: true, idempotent: true, openWorld: true },
  },
  {
    name: 'list_calls',
    title: 'Find calls',
    description: 'Calls, newest first: by status, agent, contact, campaign, number or direction.',
    method: 'get',
    path: '/v1/calls',
    hints: read,
  },
  {
    name: 'report_overview',
    title: 'How did it go? (overview report)',
    description:
      'Answers "how did last week go?": totals over the conversations created in a range (`from`, `to` as dates in the workspace timezone; default the last 7 days): conversations, messages in and out, AI resolutions and rate, handoffs and rate, first-response and resolution times, CSAT, SLA met rate, leads, bookings; plus a series by `interval` (hour, day, week), handoffs by reason and the CSAT distribution. Filter by channel, agent_id, team_id or user_id.',
    method: 'get',
    path: '/v1/reports/overview',
    hints: read,
  },
  {
    name: 'report_calls',
    title: 'Calls report',
    description:
      'Calls queued in a range: counts by status, ended reason and who answered, duration and turn-latency percentiles, transfers, successes and minutes.',
    method: 'get',
    path: '/v1/reports/calls',
    hints: read,
  },
  {
    name: 'list_business_tools',
    title: "List the business's tools",
    description:
      "The workspace's tools: requests to the business's own systems (order status, CRM look-up, payment link) that agents may make, with their effect (`read` or `write`), request template and `on_error`. Secrets show only as `{{secret.name}}`.",
    method: 'get',
    path: '/v1/tools',
    hints: read,
  },
  {
    name: 'test_business_tool',
    title: "Try one of the business's tools",
    description:
      'Runs a tool once with `args` and answers the recorded call: the rendered request (secrets masked), the response and the mapped result. A matching mock answers unless `live` is true; a write tool is only rendered, not sent, unless `live` is true (ask the person first).',
    method: 'post',
    path: '/v1/tools/{id}/test',
    params: { id: 'tool_id' },
    hints: { readOnly: false, destructive: false, idempotent: false, openWorld: true },
  },
  {
    name: 'list_tool_calls',
    title: "A conversation's tool calls",
    description:
      'Every tool call the AI made in a conversation, oldest first: arguments, request and response (secrets masked), status, code, attempts and latency.',
    method: 'get',
    path: '/v1/conversations/{id}/tool-calls',
    params: conversation,
    hints: read,
  },
];
