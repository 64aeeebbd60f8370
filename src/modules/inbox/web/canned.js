import { call, html, session } from './lib.js';
import { fillVariables } from './placeholders.js';
import { slashQuery } from './store.js';
import { useEffect, useRef, useState } from './vendor/hooks.mjs';

/**
 * Canned responses and macros in the composer, loaded on first use (the first `/` typed, or the
 * Macros button), so the inbox's first load stays small. Typing `/` (at the start of the box or
 * after a space) opens a picker of canned responses filtered by what follows it; ↑/↓ move, Enter
 * or Tab inserts the response with its variables filled in from the conversation, Esc closes.
 * Macros run from a menu and show each action's result.
 */

/** Short code first, then title: those starting with the query before those only containing it. */
export function filterCanned(list, query) {
  const q = query.toLowerCase();
  const rank = (c) => {
    const code = c.short_code.toLowerCase();
    const title = c.title.toLowerCase();
    if (code.startsWith(q)) return 0;
    if (title.startsWith(q)) return 1;
    if (code.includes(q) || title.includes(q)) return 2;
    return 9;
  };
  return list
    .map((c) => [rank(c), c])
    .filter(([r]) => r < 9)
    .sort((a, b) => a[0] - b[0] || a[1].short_code.localeCompare(b[1].short_code))
    .map(([, c]) => c);
}

const cache = { canned: null, agents: new Map() };
/** The workspace's canned responses, loaded once per page (the admin page clears this). */
export function loadCanned() {
  cache.canned ??= call('get', '/v1/canned-responses', { query: { per_page: 100 } }).then(
    (r) => r.data,
    (err) => {
      cache.canned = null;
      throw err;
    },
  );
  return cache.canned;
}
export const forgetCanned = () => {
  cache.canned = null;
};

/** The values of the variables for this conversation, sent by the signed-in person. */
export async function variablesFor(conv) {
  let agent = null;
  if (conv.agent_id) {
    if (!cache.agents.has(conv.agent_id))
      cache.agents.set(
        conv.agent_id,
        call('get', '/v1/agents/{id}', { params: { id: conv.agent_id } }).catch(() => null),
      );
    agent = await cache.agents.get(conv.agent_id);
  }
  return {
    'contact.name': conv.contact?.name ?? '',
    'contact.phone':
      conv.contact?.phone ?? (conv.contact_address?.startsWith('+') ? conv.contact_address : ''),
    'user.name': session.current?.user.name ?? '',
    'agent.name': agent?.name ?? '',
    'business.address': agent?.business?.address ?? '',
  };
}

/**
 * The picker under a `/` being typed: `query` is what follows the slash. It puts its key handler
 * in `keyRef` (the composer calls it first; true when the key was used) and tells the composer
 * which option is active (for `aria-activedescendant`).
 */
export function CannedPicker({ conv, text, setText, box, query, onClose, keyRef, onActive }) {
  const [list, setList] = useState(null);
  const [error, setError] = useState('');
  const [active, setActive] = useState(0);
  useEffect(() => {
    loadCanned().then(setList, (err) => setError(err.message));
  }, []);
  useEffect(() => setActive(0), [query]);
  const shown = list ? filterCanned(list, query).slice(0, 8) : [];
  const current = shown[Math.min(active, shown.length - 1)];
  useEffect(() => onActive(current ? `canned-${current.id}` : undefined), [current?.id]);
  useEffect(() => () => onActive(undefined), []);
  const insert = async (c) => {
    const filled = fillVariables(c.content, await variablesFor(conv));
    const el = box.current;
    const caret = el?.selectionStart ?? text.length;
    const q = slashQuery(text, caret) ?? { start: caret };
    setText(text.slice(0, q.start) + filled + text.slice(caret));
    onClose();
    requestAnimationFrame(() => {
      el?.focus();
      const at = q.start + filled.length;
      el?.setSelectionRange(at, at);
    });
  };
  keyRef.current = (e) => {
    if (e.key === 'Escape') {
      onClose();
      return true;
    }
    if (!shown.length) return false;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      const d = e.key === 'ArrowDown' ? 1 : -1;
      setActive((a) => (a + d + shown.length) % shown.length);
      return true;
    }
    if ((e.key === 'Enter' && !e.shiftKey) || e.key === 'Tab') {
      insert(current);
      return true;
    }
    return false;
  };
  return html`<div class="canned-picker" role="listbox" id="canned-list" aria-label="Canned responses">
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${!list && !error ? html`<p class="muted small">Loading canned responses…</p>` : null}
    ${list && !shown.length ? html`<p class="muted small">${list.length ? `No canned response matches “/${query}”.` : 'No canned response yet. An admin adds them under Manage → Canned responses.'}</p>` : null}
    ${shown.map(
      (
        c,
      ) => html`<div role="option" id=${`canned-${c.id}`} aria-selected=${c === current} class=${`canned-option ${c === current ? 'active' : ''}`}
        onMouseDown=${(e) => {
          e.preventDefault();
          insert(c);
        }}>
        <code>/${c.short_code}</code> <strong>${c.title}</strong>
        <span class="muted small canned-preview">${c.content}</span>
      </div>`,
    )}
  </div>`;
}

/** The macros menu: run one on the conversation and show what each action did. */
export function MacroMenu({ conv, onChanged, initiallyOpen = false }) {
  const [open, setOpen] = useState(initiallyOpen);
  const [macros, setMacros] = useState(null);
  const [run, setRun] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const ref = useRef(null);
  useEffect(() => {
    if (!open || macros) return;
    call('get', '/v1/macros', { query: { per_page: 100 } }).then(
      (r) => setMacros(r.data),
      (err) => setError(err.message),
    );
  }, [open]);
  const go = async (m) => {
    setBusy(true);
    setError('');
    try {
      const r = await call('post', '/v1/conversations/{id}/macros/{macro_id}', {
        params: { id: conv.id, macro_id: m.id },
      });
      setRun({ macro: m, results: r.results });
      onChanged(r.conversation);
    } catch (err) {
      setError(err.message);
    } finally {
      setBusy(false);
    }
  };
  return html`<span class="macro-menu" ref=${ref}>
    <button type="button" class="ghost" aria-expanded=${open} onClick=${() => {
      setOpen((o) => !o);
      setRun(null);
    }}>Macros</button>
    ${
      open
        ? html`<div class="macro-pop" role="dialog" aria-label="Macros">
          ${error ? html`<p class="error" role="alert">${error}</p>` : null}
          ${macros === null && !error ? html`<p class="muted small">Loading macros…</p>` : null}
          ${macros?.length === 0 ? html`<p class="muted small">No macro yet. An admin adds them under Manage → Macros.</p>` : null}
          ${
            run
              ? html`<div class="macro-results" role="status" aria-label="Macro results">
                <strong>${run.macro.name}</strong>
                <ol>${run.results.map(
                  (r) =>
                    html`<li class=${`result-${r.status}`}>${r.type.replace('_', ' ')}: ${r.status === 'ok' ? 'done' : `${r.status} — ${r.error?.message ?? ''}`}</li>`,
                )}</ol>
                <button type="button" onClick=${() => setRun(null)}>Back to macros</button>
              </div>`
              : (macros ?? []).map(
                  (m) =>
                    html`<button type="button" class="macro-item" disabled=${busy} onClick=${() => go(m)}>${m.name} <span class="muted small">${m.actions.length} action${m.actions.length === 1 ? '' : 's'}</span></button>`,
                )
          }
        </div>`
        : null
    }
  </span>`;
}
