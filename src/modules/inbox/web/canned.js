import { api, html, session } from './lib.js';
import { useEffect, useRef, useState } from './vendor/hooks.mjs';

/**
 * Canned responses and macros in the composer. Typing `/` (at the start of the box or after a
 * space) opens a picker of canned responses filtered by what follows it; ↑/↓ move, Enter or Tab
 * inserts the response with its variables filled in from the conversation, Esc closes. Macros run
 * from a menu and show each action's result.
 */

/** The `/word` being typed just before the caret, or null. */
export function slashQuery(text, caret) {
  const m = /(^|\s)\/([\w-]*)$/.exec(text.slice(0, caret));
  return m ? { query: m[2], start: caret - m[2].length - 1 } : null;
}

/** As the server fills them: unknown or empty values leave no gap ("Hi ," becomes "Hi,"). */
export function fillVariables(content, values) {
  return content
    .replace(/\{\{\s*([^}]*?)\s*\}\}/g, (_, name) => values[name] ?? '')
    .replace(/[ \t]{2,}/g, ' ')
    .replace(/ ([,.!?])/g, '$1')
    .trim();
}

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
  cache.canned ??= api('GET', '/v1/canned-responses?per_page=100').then(
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
        api('GET', `/v1/agents/${conv.agent_id}`).catch(() => null),
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
 * The picker's state for a textarea: `onInput`/`onKeyDown` are chained from the composer's own.
 * Returns whether the key was used (the composer then does nothing with it).
 */
export function useCannedPicker(conv, text, setText, box) {
  const [open, setOpen] = useState(null);
  const [list, setList] = useState(null);
  const [error, setError] = useState('');
  const [active, setActive] = useState(0);
  const shown = open && list ? filterCanned(list, open.query).slice(0, 8) : [];
  useEffect(() => {
    if (!open || list) return;
    loadCanned().then(setList, (err) => setError(err.message));
  }, [open]);
  const check = (value, caret) => {
    const q = slashQuery(value, caret);
    setOpen(q);
    if (q?.query !== open?.query) setActive(0);
  };
  const insert = async (c) => {
    const filled = fillVariables(c.content, await variablesFor(conv));
    const el = box.current;
    const caret = el?.selectionStart ?? text.length;
    const q = slashQuery(text, caret) ?? { start: caret };
    const next = text.slice(0, q.start) + filled + text.slice(caret);
    setText(next);
    setOpen(null);
    requestAnimationFrame(() => {
      el?.focus();
      const at = q.start + filled.length;
      el?.setSelectionRange(at, at);
    });
  };
  const onKey = (e) => {
    if (!open) return false;
    if (e.key === 'Escape') {
      setOpen(null);
      return true;
    }
    if (!shown.length) return false;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      const d = e.key === 'ArrowDown' ? 1 : -1;
      setActive((a) => (a + d + shown.length) % shown.length);
      return true;
    }
    if ((e.key === 'Enter' && !e.shiftKey) || e.key === 'Tab') {
      insert(shown[Math.min(active, shown.length - 1)]);
      return true;
    }
    return false;
  };
  const picker = open
    ? html`<div class="canned-picker" role="listbox" id="canned-list" aria-label="Canned responses">
        ${error ? html`<p class="error" role="alert">${error}</p>` : null}
        ${!list && !error ? html`<p class="muted small">Loading canned responses…</p>` : null}
        ${list && !shown.length ? html`<p class="muted small">${list.length ? `No canned response matches “/${open.query}”.` : 'No canned response yet. An admin adds them under Manage → Canned responses.'}</p>` : null}
        ${shown.map(
          (
            c,
            i,
          ) => html`<div role="option" id=${`canned-${c.id}`} aria-selected=${i === active} class=${`canned-option ${i === active ? 'active' : ''}`}
            onMouseDown=${(e) => {
              e.preventDefault();
              insert(c);
            }}>
            <code>/${c.short_code}</code> <strong>${c.title}</strong>
            <span class="muted small canned-preview">${c.content}</span>
          </div>`,
        )}
      </div>`
    : null;
  const activeId = shown[active] ? `canned-${shown[active].id}` : undefined;
  return { open: !!open, check, onKey, picker, activeId };
}

/** The macros menu: run one on the conversation and show what each action did. */
export function MacroMenu({ conv, onChanged }) {
  const [open, setOpen] = useState(false);
  const [macros, setMacros] = useState(null);
  const [run, setRun] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const ref = useRef(null);
  useEffect(() => {
    if (!open || macros) return;
    api('GET', '/v1/macros?per_page=100').then(
      (r) => setMacros(r.data),
      (err) => setError(err.message),
    );
  }, [open]);
  const go = async (m) => {
    setBusy(true);
    setError('');
    try {
      const r = await api('POST', `/v1/conversations/${conv.id}/macros/${m.id}`);
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
