/**
 * Automation conditions and macro/automation actions as rows of a table (admin-kit's `rows`
 * field): each row is a choice and one value, turned into the API's objects and back.
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
    return { type: a.type, value: String(value), rest: a };
  });
}

/** The API's actions from the rows. */
export function actionsOf(rows) {
  return rows.map((r) => {
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
      placeholder: (r) => ACTION_KINDS[r.type]?.hint ?? '',
    },
  ],
});

const OPS = [
  ['eq', 'is'],
  ['neq', 'is not'],
  ['contains', 'contains'],
  ['in', 'is one of'],
  ['gt', 'is more than'],
  ['lt', 'is less than'],
  ['exists', 'is set'],
];

/** A condition's value as typed: a number, true/false, a list for `in`, otherwise the text. */
function typedValue(op, text) {
  if (op === 'exists') return undefined;
  if (op === 'in') return words(text);
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  return text;
}

export const conditionField = {
  name: 'conditions',
  label: 'Conditions (all must hold)',
  type: 'rows',
  default: [],
  toRows: (list) =>
    (list ?? []).map((c) => ({
      field: c.field,
      op: c.op,
      value: Array.isArray(c.value) ? c.value.join(', ') : c.value === undefined ? '' : String(c.value),
    })),
  fromRows: (rows) =>
    rows.map((r) => {
      const value = typedValue(r.op, r.value);
      return { field: r.field, op: r.op, ...(value === undefined ? {} : { value }) };
    }),
  blank: { field: 'channel', op: 'eq', value: '' },
  addLabel: 'Add a condition',
  help: 'Fields: channel, text, tags, agent_id, priority, status, within_business_hours, contact.<name>. "is one of" takes values separated by commas.',
  columns: [
    { key: 'field', label: 'Field', placeholder: () => 'channel' },
    { key: 'op', label: 'Test', type: 'select', options: OPS },
    { key: 'value', label: 'Value', hidden: (r) => r.op === 'exists', placeholder: () => 'whatsapp' },
  ],
};
