import { channelKinds, conditionFields, conversationStatuses, priorities } from './vendor/vocabulary.mjs';

/**
 * Automation conditions and macro/automation actions as rows of a table (admin-kit's `rows`
 * field): each row is a choice and one value, turned into the API's objects and back. A row saved
 * as it was shown gives back exactly what the API had (an unchanged save changes nothing).
 */

const words = (v) =>
  String(v ?? '')
    .split(',')
    .map((w) => w.trim())
    .filter(Boolean);

/** Per action type: the key its one value goes in, what the value is, and a hint. */
const ACTION_KINDS = {
  assign_team: { key: 'team_id', hint: 'team_…' },
  assign_user: { key: 'user_id', hint: 'usr_…' },
  add_tags: { key: 'tags', list: true, hint: 'vip, refund' },
  remove_tags: { key: 'tags', list: true, hint: 'vip, refund' },
  set_priority: { key: 'priority', hint: 'low, normal, high or urgent' },
  send_canned: { key: 'canned_response_id', hint: 'cr_…' },
  send_template: { key: 'template', template: true, hint: 'template name' },
  handoff: { key: 'reason', optional: true, hint: 'why (optional)' },
  snooze: { key: 'minutes', number: true, hint: 'minutes' },
  close: { key: null },
  add_note: { key: 'text', hint: 'the note' },
  webhook: { key: 'url', hint: 'https://…' },
};
const ACTION_LABELS = {
  assign_team: 'Assign to team',
  assign_user: 'Assign to person',
  add_tags: 'Add tags',
  remove_tags: 'Remove tags',
  set_priority: 'Set priority',
  send_canned: 'Send canned response',
  send_template: 'Send template',
  handoff: 'Hand off to people',
  snooze: 'Snooze',
  close: 'Close',
  add_note: 'Add a note',
  webhook: 'Call a webhook',
};

/** The rows of a list of actions. */
export function actionRows(actions) {
  return (actions ?? []).map((a) => {
    const kind = ACTION_KINDS[a.type] ?? { key: null };
    const raw = kind.key ? a[kind.key] : '';
    const value = kind.list ? (raw ?? []).join(', ') : kind.template ? (raw?.name ?? '') : (raw ?? '');
    // What a row cannot show (a template's language and variables, a handoff's team) is kept as is.
    return { type: a.type, value: String(value), rest: a, shown: `${a.type}\u0000${value}` };
  });
}

/** The API's actions from the rows. */
export function actionsOf(rows) {
  return rows.map((r) => {
    if (r.rest && r.shown === `${r.type}\u0000${r.value}`) return r.rest;
    const kind = ACTION_KINDS[r.type] ?? { key: null };
    const keep = r.rest?.type === r.type ? { ...r.rest } : {};
    if (!kind.key) return { ...keep, type: r.type };
    let value = r.value;
    if (kind.list) value = words(r.value);
    else if (kind.number) value = r.value === '' ? undefined : Number(r.value);
    else if (kind.template) value = { ...(keep.template ?? {}), name: r.value };
    const out = { ...keep, type: r.type };
    if (kind.optional && r.value === '') delete out[kind.key];
    else out[kind.key] = value;
    return out;
  });
}

export const actionField = (help) => ({
  name: 'actions',
  label: 'Actions',
  type: 'rows',
  default: [{ type: 'add_tags', tags: ['vip'] }],
  toRows: actionRows,
  fromRows: actionsOf,
  blank: { type: 'add_tags', value: '' },
  addLabel: 'Add an action',
  help,
  columns: [
    { key: 'type', label: 'Do', type: 'select', options: Object.entries(ACTION_LABELS) },
    {
      key: 'value',
      label: 'With',
      hidden: (r) => !ACTION_KINDS[r.type]?.key,
      type: (r) => (r.type === 'set_priority' ? 'select' : 'text'),
      options: () => priorities.map((p) => [p, p]),
      placeholder: (r) => ACTION_KINDS[r.type]?.hint ?? '',
    },
  ],
});

const OPS = [
  ['eq', 'is'],
  ['neq', 'is not'],
  ['contains', 'contains'],
  ['contains_word', 'has the word (any of, by commas)'],
  ['in', 'is one of'],
  ['gt', 'is more than'],
  ['lt', 'is less than'],
  ['exists', 'is set'],
  ['not_exists', 'is not set'],
];
const JOINS = [
  ['and', 'And'],
  ['or', 'Or (with the row above)'],
];

/** Fields whose values are a closed list: chosen, never typed. */
const CLOSED = {
  channel: channelKinds,
  priority: priorities,
  status: conversationStatuses,
  within_business_hours: ['true', 'false'],
};
const closedList = (r) => (r.op === 'eq' || r.op === 'neq' ? CLOSED[r.field] : undefined);

/** A condition's value as shown in its row. */
const shownValue = (v) => (Array.isArray(v) ? v.join(', ') : v === undefined ? '' : String(v));

/**
 * A condition's value from its row, typed by what the field and the test take: true/false for
 * business hours and `is set`, a list for "is one of" (and for "has the word" with commas), a
 * number for "more than" / "less than", otherwise the text as typed (a phone or a PIN code stays
 * text).
 */
function typedValue(r) {
  const text = r.value.trim();
  if (r.op === 'exists') return undefined;
  if (r.op === 'not_exists') return false;
  if (r.field === 'within_business_hours') return text === 'true';
  if (r.op === 'in') return words(text);
  if (r.op === 'contains_word' && text.includes(',')) return words(text);
  if ((r.op === 'gt' || r.op === 'lt') && /^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  return text;
}

/** A row as shown: what the person may change. */
const rowKey = (r) => JSON.stringify([r.join, r.field, r.op, r.value]);

/** The rows of a list of conditions: an `any` group is its rows joined by "Or". */
function conditionRows(list) {
  const rows = [];
  (list ?? []).forEach((c, group) => {
    const inner = 'any' in c ? c.any : [c];
    inner.forEach((x, i) => {
      const unset = x.op === 'exists' && x.value === false;
      const row = {
        join: i === 0 ? 'and' : 'or',
        field: x.field,
        op: unset ? 'not_exists' : x.op,
        value: x.op === 'exists' ? '' : shownValue(x.value),
      };
      // What it was, so a row saved unchanged gives back exactly what the API had.
      rows.push({ ...row, group, orig: x, origGroup: c, shown: rowKey(row) });
    });
  });
  return rows;
}

/** The API's conditions from the rows; rows left as they were give back their conditions as stored. */
function conditionsOf(rows) {
  const groups = [];
  for (const r of rows) {
    const op = r.op === 'not_exists' ? 'exists' : r.op;
    const c = r.orig && r.shown === rowKey(r) ? r.orig : { field: r.field.trim(), op, value: typedValue(r) };
    if (c.value === undefined) delete c.value;
    const last = groups[groups.length - 1];
    if (r.join === 'or' && last) last.rows.push({ r, c });
    else groups.push({ rows: [{ r, c }] });
  }
  return groups.map(({ rows: g }) => {
    // A group stored as it was (an `any` of one included) stays as it was.
    const orig = g[0].r.origGroup;
    const same =
      orig &&
      g.every(({ r }) => r.origGroup === orig && r.shown === rowKey(r)) &&
      ('any' in orig ? orig.any.length : 1) === g.length;
    if (same) return orig;
    return g.length === 1 ? g[0].c : { any: g.map(({ c }) => c) };
  });
}

export const conditionField = {
  name: 'conditions',
  label: 'Conditions (all must hold; "Or" joins a row to the one above)',
  type: 'rows',
  default: [],
  toRows: conditionRows,
  fromRows: conditionsOf,
  blank: { join: 'and', field: 'channel', op: 'eq', value: '' },
  addLabel: 'Add a condition',
  help: 'Fields: channel, text, tags, agent_id, priority, status, within_business_hours, contact.<name>. "Is one of" and "has the word" take values separated by commas.',
  columns: [
    { key: 'join', label: 'Join', type: 'select', options: JOINS },
    {
      key: 'field',
      label: 'Field',
      placeholder: () => 'channel',
      list: 'condition-fields',
      suggestions: conditionFields,
    },
    { key: 'op', label: 'Test', type: 'select', options: OPS },
    {
      key: 'value',
      label: 'Value',
      hidden: (r) => r.op === 'exists' || r.op === 'not_exists',
      type: (r) => (closedList(r) ? 'select' : 'text'),
      options: (r) => (closedList(r) ?? []).map((v) => [v, v]),
      placeholder: () => 'whatsapp',
    },
  ],
};
