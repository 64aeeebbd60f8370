import {
  AttachButton,
  AttachmentChip,
  attachable,
  attachmentBodies,
  useAttachment,
  useDrop,
} from './attachments.js';
import { call, html, isTyping } from './lib.js';
import { typing } from './presence.js';
import { slashQuery, windowLeftMs } from './store.js';
import { useEffect, useRef, useState } from './vendor/hooks.mjs';

/**
 * The reply box of a conversation: replies and private notes, Copilot's suggestions, WhatsApp
 * templates when the 24-hour window is closed, canned responses with `/` and macros.
 */
const drafts = {
  get: (id) => sessionStorage.getItem(`parley.draft.${id}`) ?? '',
  set: (id, text) =>
    text
      ? sessionStorage.setItem(`parley.draft.${id}`, text)
      : sessionStorage.removeItem(`parley.draft.${id}`),
};

/** canned.js, loaded once on first use. */
let cannedTools = null;
const loadTools = () => {
  cannedTools ??= import('./canned.js').catch((err) => {
    cannedTools = null;
    throw err;
  });
  return cannedTools;
};

/**
 * Only WhatsApp's closed window asks for a template; Messenger's and Instagram's let a person
 * reply for 7 days (Meta's HUMAN_AGENT tag), and carry no templates.
 * @param {any} conv
 */
const templateWindowLeftMs = (conv) => (conv.channel === 'whatsapp' ? windowLeftMs(conv, Date.now()) : null);

export function Composer({ conv, onSent, onChanged }) {
  const [text, setText] = useState(() => drafts.get(conv.id));
  // A voice conversation is spoken by the agent: people add notes to it, they do not type replies.
  const [mode, setMode] = useState(conv.channel === 'voice' ? 'note' : 'reply');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [suggest, setSuggest] = useState(null);
  const [forceTemplate, setForceTemplate] = useState(false);
  const box = useRef(null);
  const left = templateWindowLeftMs(conv);
  const windowClosed = left !== null && left <= 0;
  const templateMode = mode === 'reply' && (windowClosed || forceTemplate);

  useEffect(() => {
    const onKey = (e) => {
      if (isTyping(e) || e.metaKey || e.ctrlKey || e.altKey) return;
      if (e.key === 'r' || e.key === 'n') {
        e.preventDefault();
        setMode(e.key === 'n' || conv.channel === 'voice' ? 'note' : 'reply');
        box.current?.focus();
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);

  const update = (value) => {
    setText(value);
    drafts.set(conv.id, value);
  };
  const t = useCannedTools(setError);
  const att = useAttachment(setError);
  const canAttach = mode === 'reply' && !templateMode && attachable(conv.channel);
  const drop = useDrop(att, canAttach);
  const withFile = canAttach && att.ready;

  const send = async () => {
    const body = text.trim();
    if ((!body && !withFile) || busy || att.uploading) return;
    setBusy(true);
    setError('');
    try {
      const bodies = withFile
        ? attachmentBodies(att.file.media, body)
        : [mode === 'note' ? { type: 'note', text: body } : { text: body }];
      for (const b of bodies)
        onSent(await call('post', '/v1/conversations/{id}/reply', { params: { id: conv.id }, body: b }));
      update('');
      if (withFile) att.clear();
    } catch (err) {
      // The draft stays; the API's own words say why.
      setError(err.message);
      if (err.code === 'whatsapp_outside_24h_window') setForceTemplate(true);
    } finally {
      setBusy(false);
    }
  };

  const onKeyDown = (e) => {
    if (t.onKey(e)) {
      e.preventDefault();
      return;
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      send();
    } else if (e.key === 'Escape') e.currentTarget.blur();
  };

  const askCopilot = async () => {
    setSuggest({ loading: true });
    try {
      setSuggest(await call('post', '/v1/conversations/{id}/copilot/suggest', { params: { id: conv.id } }));
    } catch (err) {
      setSuggest({ error: err.message });
    }
  };

  if (conv.status === 'closed' && mode === 'reply')
    return html`<${ClosedComposer} conv=${conv} onChanged=${onChanged} onNote=${() => setMode('note')} />`;

  return html`<div class=${`composer ${mode === 'note' ? 'note-mode' : ''} ${drop.over ? 'drop-over' : ''}`} ...${drop.handlers}>
    <div role="tablist" aria-label="Message kind" class="tabs small">
      ${
        conv.channel === 'voice'
          ? null
          : html`<button role="tab" type="button" aria-selected=${mode === 'reply'} class=${mode === 'reply' ? 'active' : ''} onClick=${() => setMode('reply')}>Reply</button>`
      }
      <button role="tab" type="button" aria-selected=${mode === 'note'} class=${mode === 'note' ? 'active' : ''} onClick=${() => setMode('note')}>Private note</button>
      <span class="spacer"></span>
      <${MacrosButton} t=${t} conv=${conv} onChanged=${onChanged} />
      ${mode === 'reply' && !templateMode ? html`<button type="button" class="ghost" onClick=${askCopilot}>Suggest</button>` : null}
      ${
        mode === 'reply' && conv.channel === 'whatsapp' && !windowClosed
          ? html`<button type="button" class="ghost" aria-pressed=${forceTemplate} onClick=${() => setForceTemplate((f) => !f)}>Template</button>`
          : null
      }
    </div>
    ${
      suggest
        ? html`<${Suggestions} s=${suggest} onInsert=${(t) => {
            update(text ? `${text}\n${t}` : t);
            setSuggest(null);
            box.current?.focus();
          }} onClose=${() => setSuggest(null)} />`
        : null
    }
    ${
      templateMode
        ? html`<${TemplatePicker} conv=${conv} windowClosed=${windowClosed} onSent=${(m) => {
            setForceTemplate(false);
            setError('');
            onSent(m);
          }} />`
        : html`<${ComposeRow} conv=${conv} mode=${mode} text=${text} update=${update} box=${box} t=${t} att=${att}
            canAttach=${canAttach} ready=${!busy && !att.uploading && (!!text.trim() || withFile)} busy=${busy}
            onKeyDown=${onKeyDown} send=${send} />`
    }
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
  </div>`;
}

/** The reply box, its attachment and its send button. */
function ComposeRow({ conv, mode, text, update, box, t, att, canAttach, ready, busy, onKeyDown, send }) {
  return html`${canAttach ? html`<${AttachmentChip} att=${att} />` : null}<div class="compose-row">
          <label class="sr-only" for="reply-box">${mode === 'note' ? 'Private note (never sent to the customer)' : `Reply on ${conv.channel}`}</label>
          <${SlashPicker} t=${t} conv=${conv} text=${text} setText=${update} box=${box} />
          <textarea id="reply-box" ref=${box} rows="3" value=${text} onKeyDown=${onKeyDown} onPaste=${canAttach ? att.onPaste : undefined}
            onInput=${(e) => {
              update(e.currentTarget.value);
              typing(conv.id);
              t.checkSlash(e.currentTarget.value, e.currentTarget.selectionStart);
            }}
            role="combobox" aria-autocomplete="list" aria-expanded=${t.expanded} aria-controls="canned-list" aria-activedescendant=${t.activeDescendant}
            placeholder=${mode === 'note' ? 'A note for your team; the customer never sees it' : `Reply on ${conv.channel} (Enter sends, Shift+Enter adds a line, / for canned responses)`}></textarea>
          ${canAttach ? html`<${AttachButton} att=${att} disabled=${busy} />` : null}
          <button class="primary" type="button" disabled=${!ready} onClick=${send}>${mode === 'note' ? 'Add note' : 'Send'}</button>
        </div>`;
}

function Suggestions({ s, onInsert, onClose }) {
  return html`<div class="suggestions" aria-label="Copilot suggestions">
    <header><strong>Suggestions</strong><button type="button" class="ghost" aria-label="Close suggestions" onClick=${onClose}>×</button></header>
    ${s.loading ? html`<p class="muted">Thinking…</p>` : null}
    ${s.error ? html`<p class="error" role="alert">${s.error}</p>` : null}
    ${s.suggestions?.length === 0 ? html`<p class="muted">No suggestion for this conversation.</p>` : null}
    ${s.suggestions?.map(
      (x) => html`<div class="suggestion">
        <p>${x.text}</p>
        ${x.sources?.length ? html`<p class="muted small">Sources: ${x.sources.map((src) => src.title ?? src.doc_id).join(', ')}</p>` : null}
        <button type="button" onClick=${() => onInsert(x.text)}>Insert</button>
      </div>`,
    )}
    ${
      s.next_best_actions?.length
        ? html`<p class="muted small">Next: ${s.next_best_actions.map((a) => (typeof a === 'string' ? a : (a.label ?? a.type ?? JSON.stringify(a)))).join(' · ')}</p>`
        : null
    }
  </div>`;
}

/** Placeholders of a template body: `{{1}}` or `{{name}}`, in order, each once. */
export function placeholders(body) {
  const out = [];
  for (const m of body.matchAll(/\{\{\s*([\w.]+)\s*\}\}/g)) if (!out.includes(m[1])) out.push(m[1]);
  return out;
}

function TemplatePicker({ conv, windowClosed, onSent }) {
  const [templates, setTemplates] = useState(null);
  const [chosen, setChosen] = useState('');
  const [vars, setVars] = useState({});
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    call('get', '/v1/templates', { query: { status: 'approved', per_page: 100 } }).then(
      (r) => setTemplates(r.data),
      (err) => setError(err.message),
    );
  }, []);
  const tpl = templates?.find((t) => t.id === chosen);
  const names = tpl ? placeholders(tpl.body) : [];
  // What else the template needs at send time: its header's placeholder or media file, and the
  // placeholders of its URL buttons (each field's value is kept under its own key).
  const headerText = tpl?.header?.type === 'text' ? tpl.header.text : '';
  const headerNames = headerText ? placeholders(headerText) : [];
  const mediaHeader = ['image', 'video', 'document'].includes(tpl?.header?.type) ? tpl.header.type : null;
  const buttonFields = (tpl?.buttons ?? [])
    .map((b, index) => ({ index, text: b.text, names: b.type === 'url' && b.url ? placeholders(b.url) : [] }))
    .filter((b) => b.names.length);
  const valuesOf = (list, key) =>
    list.every((n) => /^\d+$/.test(n))
      ? list.map((n) => vars[key(n)] ?? '')
      : Object.fromEntries(list.map((n) => [n, vars[key(n)] ?? '']));
  const preview = tpl ? tpl.body.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_, n) => vars[n] || `{{${n}}}`) : '';
  const send = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const header = mediaHeader
        ? { media: { url: vars['header:media'] ?? '' } }
        : headerNames.length
          ? { variables: valuesOf(headerNames, (n) => `header:${n}`) }
          : null;
      const buttons = buttonFields.map((b) => ({
        index: b.index,
        variables: valuesOf(b.names, (n) => `button${b.index}:${n}`),
      }));
      const m = await call('post', '/v1/conversations/{id}/reply', {
        params: { id: conv.id },
        body: {
          template: {
            name: tpl.name,
            language: tpl.language,
            ...(names.length ? { variables: valuesOf(names, (n) => n) } : {}),
            ...(header ? { header } : {}),
            ...(buttons.length ? { buttons } : {}),
          },
        },
      });
      setVars({});
      onSent(m);
    } catch (err) {
      setError(err.message);
    } finally {
      setBusy(false);
    }
  };
  return html`<form class="template-picker" onSubmit=${send} aria-label="Send a template">
    ${
      windowClosed
        ? html`<p class="notice">The customer has not written in 24 hours: WhatsApp accepts only an approved template.</p>`
        : null
    }
    ${templates === null && !error ? html`<p class="muted">Loading templates…</p>` : null}
    ${templates?.length === 0 ? html`<p class="muted">No approved template yet. An admin can add one under Manage → Templates.</p>` : null}
    ${
      templates?.length
        ? html`<label>Template<select aria-label="Template" value=${chosen} onChange=${(e) => {
            setChosen(e.currentTarget.value);
            setVars({});
          }} required>
          <option value="">Choose an approved template…</option>
          ${templates.map((t) => html`<option value=${t.id}>${t.name} (${t.language})</option>`)}
        </select></label>`
        : null
    }
    ${
      mediaHeader
        ? html`<label>${`Header ${mediaHeader} (URL)`}<input type="url" placeholder="https://…" value=${vars['header:media'] ?? ''} required onInput=${(e) => setVars({ ...vars, 'header:media': e.currentTarget.value })} /></label>`
        : null
    }
    ${headerNames.map(
      (n) =>
        html`<label>${`Header {{${n}}}`}<input value=${vars[`header:${n}`] ?? ''} required onInput=${(e) => setVars({ ...vars, [`header:${n}`]: e.currentTarget.value })} /></label>`,
    )}
    ${names.map(
      (n) =>
        html`<label>${`{{${n}}}`}<input value=${vars[n] ?? ''} required onInput=${(e) => setVars({ ...vars, [n]: e.currentTarget.value })} /></label>`,
    )}
    ${buttonFields.flatMap((b) =>
      b.names.map(
        (n) =>
          html`<label>${`Button “${b.text}” {{${n}}}`}<input value=${vars[`button${b.index}:${n}`] ?? ''} required onInput=${(e) => setVars({ ...vars, [`button${b.index}:${n}`]: e.currentTarget.value })} /></label>`,
      ),
    )}
    ${tpl ? html`<p class="preview-text">${preview}</p>` : null}
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    <button class="primary" type="submit" disabled=${!tpl || busy}>Send template</button>
  </form>`;
}

/** A closed conversation takes no reply: reopen it, or write a note. */
function ClosedComposer({ conv, onChanged, onNote }) {
  const [error, setError] = useState('');
  return html`<div class="composer closed">
      <p class="muted">This conversation is closed. Reopen it to reply, or write a private note.</p>
      <button type="button" onClick=${async () => {
        try {
          onChanged(await call('post', '/v1/conversations/{id}/reopen', { params: { id: conv.id } }));
        } catch (err) {
          setError(err.message);
        }
      }}>Reopen</button>
      <button type="button" onClick=${onNote}>Write a note</button>
      ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    </div>`;
}

/** Canned responses (`/`) and macros: their module loads on first use. */
function useCannedTools(setError) {
  const [tools, setTools] = useState(null);
  const [slash, setSlash] = useState(null);
  const [activeId, setActiveId] = useState(undefined);
  const [macrosWanted, setMacrosWanted] = useState(false);
  const pickerKeys = useRef(null);
  const withTools = (then) =>
    loadTools().then(
      (m) => {
        setTools(m);
        then?.();
      },
      (err) => setError(`Canned responses could not load: ${err.message}`),
    );
  const checkSlash = (value, caret) => {
    const q = slashQuery(value, caret);
    setSlash(q);
    if (q && !tools) withTools();
  };
  // The open picker's key handler goes first: true when it used the key.
  const onKey = (e) => !!(slash && tools && pickerKeys.current?.(e));
  return {
    tools,
    slash,
    setSlash,
    setActiveId,
    macrosWanted,
    setMacrosWanted,
    pickerKeys,
    withTools,
    checkSlash,
    onKey,
    expanded: !!slash,
    activeDescendant: slash ? activeId : undefined,
  };
}

function MacrosButton({ t, conv, onChanged }) {
  if (t.tools)
    return html`<${t.tools.MacroMenu} conv=${conv} onChanged=${onChanged} initiallyOpen=${t.macrosWanted} />`;
  return html`<button type="button" class="ghost" onClick=${() => t.withTools(() => t.setMacrosWanted(true))}>Macros</button>`;
}

function SlashPicker({ t, conv, text, setText, box }) {
  if (!t.slash || !t.tools) return null;
  return html`<${t.tools.CannedPicker} conv=${conv} text=${text} setText=${setText} box=${box} query=${t.slash.query}
    onClose=${() => t.setSlash(null)} keyRef=${t.pickerKeys} onActive=${t.setActiveId} />`;
}
