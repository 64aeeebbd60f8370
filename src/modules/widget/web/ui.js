import htm from 'htm';
import { h, render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

const html = htm.bind(h);

/** The widget's own words, in the channel's `theme.language` (English for a language not here). */
const WORDS = {
  en: {
    chat: 'Chat',
    conversation: 'Conversation',
    start: 'Start chat',
    message: 'Your message',
    send: 'Send',
    attach: 'Attach a file',
    call: 'Call',
    close: 'Close chat',
    typing: 'typing',
    byEmail: 'Reply by email',
    onWhatsApp: 'Continue on WhatsApp',
    away: 'Nobody can answer right now. We can reply later:',
    yourEmail: 'Your email',
    emailSent: 'We will reply to {email}.',
    notSent: 'Not sent: check your connection.',
    unavailable: 'This chat is not available here.',
    unread: '{n} unread',
  },
  hi: {
    chat: 'चैट',
    conversation: 'बातचीत',
    start: 'चैट शुरू करें',
    message: 'आपका संदेश',
    send: 'भेजें',
    attach: 'फ़ाइल जोड़ें',
    call: 'कॉल',
    close: 'चैट बंद करें',
    typing: 'लिख रहे हैं',
    byEmail: 'ईमेल से जवाब पाएँ',
    onWhatsApp: 'WhatsApp पर जारी रखें',
    away: 'अभी कोई जवाब नहीं दे सकता। हम बाद में जवाब दे सकते हैं:',
    yourEmail: 'आपका ईमेल',
    emailSent: 'हम {email} पर जवाब देंगे।',
    notSent: 'नहीं भेजा गया: अपना कनेक्शन जाँचें।',
    unavailable: 'यह चैट यहाँ उपलब्ध नहीं है।',
    unread: '{n} नए संदेश',
  },
  es: {
    chat: 'Chat',
    conversation: 'Conversación',
    start: 'Empezar el chat',
    message: 'Tu mensaje',
    send: 'Enviar',
    attach: 'Adjuntar un archivo',
    call: 'Llamar',
    close: 'Cerrar el chat',
    typing: 'escribiendo',
    byEmail: 'Responder por correo',
    onWhatsApp: 'Seguir en WhatsApp',
    away: 'Ahora no hay nadie para responder. Podemos responder más tarde:',
    yourEmail: 'Tu correo',
    emailSent: 'Te responderemos a {email}.',
    notSent: 'No enviado: revisa tu conexión.',
    unavailable: 'Este chat no está disponible aquí.',
    unread: '{n} sin leer',
  },
  pt: {
    chat: 'Chat',
    conversation: 'Conversa',
    start: 'Iniciar o chat',
    message: 'Sua mensagem',
    send: 'Enviar',
    attach: 'Anexar um arquivo',
    call: 'Ligar',
    close: 'Fechar o chat',
    typing: 'digitando',
    byEmail: 'Responder por e-mail',
    onWhatsApp: 'Continuar no WhatsApp',
    away: 'Ninguém pode responder agora. Podemos responder depois:',
    yourEmail: 'Seu e-mail',
    emailSent: 'Responderemos para {email}.',
    notSent: 'Não enviado: verifique sua conexão.',
    unavailable: 'Este chat não está disponível aqui.',
    unread: '{n} não lidas',
  },
  fr: {
    chat: 'Chat',
    conversation: 'Conversation',
    start: 'Commencer',
    message: 'Votre message',
    send: 'Envoyer',
    attach: 'Joindre un fichier',
    call: 'Appeler',
    close: 'Fermer le chat',
    typing: 'écrit',
    byEmail: 'Réponse par e-mail',
    onWhatsApp: 'Continuer sur WhatsApp',
    away: 'Personne ne peut répondre maintenant. Nous pouvons répondre plus tard :',
    yourEmail: 'Votre e-mail',
    emailSent: 'Nous répondrons à {email}.',
    notSent: 'Non envoyé : vérifiez votre connexion.',
    unavailable: "Ce chat n'est pas disponible ici.",
    unread: '{n} non lus',
  },
  de: {
    chat: 'Chat',
    conversation: 'Unterhaltung',
    start: 'Chat starten',
    message: 'Ihre Nachricht',
    send: 'Senden',
    attach: 'Datei anhängen',
    call: 'Anrufen',
    close: 'Chat schließen',
    typing: 'schreibt',
    byEmail: 'Antwort per E-Mail',
    onWhatsApp: 'Weiter auf WhatsApp',
    away: 'Gerade kann niemand antworten. Wir antworten später:',
    yourEmail: 'Ihre E-Mail',
    emailSent: 'Wir antworten an {email}.',
    notSent: 'Nicht gesendet: prüfen Sie Ihre Verbindung.',
    unavailable: 'Dieser Chat ist hier nicht verfügbar.',
    unread: '{n} ungelesen',
  },
};
const wordsFor = (language) => WORDS[String(language ?? 'en').split('-')[0]] ?? WORDS.en;

/**
 * The website widget's conversation UI: a visitor's session (kept in localStorage, so every tab
 * and reload shows the same thread), their thread live over Server-Sent Events (resumed with
 * Last-Event-ID), sends with an idempotency key (a retry is stored once), typing both ways.
 */
export function mount({ root, base, channel, config, launcher, identity }) {
  const host = document.createElement('div');
  root.appendChild(host);
  const shadow = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;
  const style = document.createElement('style');
  style.textContent = css(config.theme);
  shadow.appendChild(style);
  const mountPoint = document.createElement('div');
  shadow.appendChild(mountPoint);
  let setOpen = () => {};
  let open = false;
  const words = wordsFor(config.theme.language);
  const openLabel = launcher.getAttribute('aria-label');
  let unread = 0;
  const label = () =>
    launcher.setAttribute(
      'aria-label',
      open
        ? words.close
        : unread
          ? `${openLabel}, ${words.unread.replace('{n}', String(unread))}`
          : openLabel,
    );
  // The launcher's badge: replies that came while the panel was closed.
  const onUnread = (n) => {
    unread = n;
    const badge = launcher.querySelector('#parley-unread');
    if (badge) {
      badge.textContent = n > 9 ? '9+' : String(n);
      badge.hidden = n === 0;
    }
    label();
  };
  const toggle = () => {
    open = !open;
    launcher.setAttribute('aria-expanded', String(open));
    label();
    setOpen(open);
    // Closed from the keyboard (Escape): the focus goes back to the launcher.
    if (!open) launcher.focus();
  };
  render(
    html`<${Widget} base=${base} channel=${channel} config=${config} identity=${identity} words=${words} onClose=${toggle} onUnread=${onUnread} bind=${(
      f,
    ) => {
      setOpen = f;
      // The first click may come before the UI's first effects ran: it opens the panel now.
      f(open);
    }} />`,
    mountPoint,
  );
  return { toggle };
}

/** An idempotency key (crypto.randomUUID needs a secure context; an http:// page has none). */
const newKey = () =>
  Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');

const storeKey = (channel) => `parley:widget:${channel}`;

function api(base, channel, path, { token, identity, method = 'GET', body, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  const id = identity?.();
  if (id) h['X-Parley-Identity'] = id;
  if (body !== undefined && !(body instanceof Blob)) h['Content-Type'] = 'application/json';
  return fetch(`${base}/widget/${channel}${path}`, {
    method,
    headers: h,
    body: body === undefined ? undefined : body instanceof Blob ? body : JSON.stringify(body),
  });
}

const seenKey = (channel) => `parley:widget:${channel}:seen`;

function Widget({ base, channel, config, identity, bind, words, onClose, onUnread }) {
  const [open, setOpen] = useState(false);
  const [token, setToken] = useState(() => localStorage.getItem(storeKey(channel)));
  const [messages, setMessages] = useState([]);
  const [typing, setTyping] = useState(false);
  const [error, setError] = useState(null);
  const [continued, setContinued] = useState(null);
  const panel = useRef(null);
  useEffect(() => bind(setOpen), []);
  // Seen: the newest message shown with the panel open. Newer replies while closed are unread.
  useEffect(() => {
    const newest = messages.reduce((t, m) => (m.created_at > t ? m.created_at : t), '');
    if (open && newest) localStorage.setItem(seenKey(channel), newest);
    const seen = localStorage.getItem(seenKey(channel)) ?? '';
    onUnread(open ? 0 : messages.filter((m) => m.from === 'business' && m.created_at > seen).length);
  }, [open, messages]);
  // Opened: the focus goes into the panel (its first field), as a dialog's does.
  useEffect(() => {
    if (open) panel.current?.querySelector('input, textarea')?.focus();
  }, [open, token]);
  useEffect(() => {
    if (!token) return undefined;
    return stream(base, channel, token, identity, {
      message: (m) => setMessages((list) => (list.some((x) => x.id === m.id) ? list : [...list, m])),
      typing: (t) => setTyping(t.typing),
      continued: (c) => setContinued(c),
      refused: (status) => {
        if (status === 401) {
          localStorage.removeItem(storeKey(channel));
          setToken(null);
        } else setError(words.unavailable);
      },
    });
  }, [token]);
  const start = async (form) => {
    const res = await api(base, channel, '/session', { method: 'POST', body: form, identity });
    const body = await res.json();
    if (!res.ok) return setError(body.error?.message ?? 'Could not start the chat.');
    localStorage.setItem(storeKey(channel), body.token);
    setError(null);
    setToken(body.token);
  };
  if (!open) return null;
  const keys = (e) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      onClose();
    }
  };
  return html`<section class="panel" role="dialog" aria-label=${words.chat} data-testid="parley-panel"
    lang=${config.theme.language} ref=${panel} onKeyDown=${keys}>
    <header><span>${config.theme.greeting}</span>
      <button type="button" class="close" aria-label=${words.close} onClick=${onClose}>×</button></header>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${
      token
        ? html`<${Thread} messages=${messages} typing=${typing} words=${words} />
          <${Fallback} base=${base} channel=${channel} token=${token} identity=${identity} config=${config}
            words=${words} continued=${continued} onError=${setError} />
          <${Composer} base=${base} channel=${channel} token=${token} identity=${identity} words=${words} onError=${setError} />`
        : html`<${Start} config=${config} words=${words} onStart=${start} />`
    }
  </section>`;
}

function Start({ config, words, onStart }) {
  const [consent, setConsent] = useState(false);
  const fields = config.pre_chat_fields ?? [];
  const submit = (e) => {
    e.preventDefault();
    const data = new FormData(e.target);
    const pre = {};
    for (const f of fields) pre[f.name] = String(data.get(f.name) ?? '');
    onStart({ consent: config.consent ? consent : undefined, pre_chat: fields.length ? pre : undefined });
  };
  return html`<form class="start" onSubmit=${submit}>
    ${fields.map(
      (f) =>
        html`<label>${f.label ?? f.name}<input name=${f.name} required=${f.required} autocomplete=${f.name === 'phone' ? 'tel' : f.name} /></label>`,
    )}
    ${
      config.consent &&
      html`<label class="consent"><input type="checkbox" checked=${consent} onChange=${(e) => setConsent(e.target.checked)} required />${config.consent}</label>`
    }
    <button type="submit">${words.start}</button>
  </form>`;
}

function Thread({ messages, typing, words }) {
  const end = useRef(null);
  useEffect(() => end.current?.scrollIntoView?.({ block: 'end' }), [messages.length, typing]);
  return html`<ol class="thread" role="log" aria-live="polite" aria-label=${words.conversation} tabindex="0">
    ${messages.map(
      (m) => html`<li class=${`msg ${m.from}`} data-from=${m.from}>
        ${m.text && html`<p>${m.text}</p>`}
        <time datetime=${m.created_at}>${clock(m.created_at)}</time>
        ${m.files.map((f) => html`<p class="file">📎 ${f.filename ?? f.mime_type}</p>`)}
        ${m.media && html`<a href=${m.media.url} target="_blank" rel="noopener">${m.media.filename ?? 'File'}</a>`}
      </li>`,
    )}
    ${typing && html`<li class="typing" aria-label=${words.typing}>…</li>`}
    <li ref=${end} aria-hidden="true"></li>
  </ol>`;
}

/** A message's time as the visitor's clock shows it (hours and minutes). */
const clock = (iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

function Composer({ base, channel, token, identity, words, onError }) {
  const [text, setText] = useState('');
  const lastTyping = useRef(0);
  const send = async (e) => {
    e.preventDefault();
    const value = text.trim();
    if (!value) return;
    const key = `m-${newKey()}`;
    setText('');
    // A network failure is retried with the same key: the message is stored once.
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const res = await api(base, channel, '/messages', {
          method: 'POST',
          token,
          identity,
          body: { text: value },
          headers: { 'Idempotency-Key': key },
        });
        if (!res.ok) onError((await res.json()).error?.message ?? 'Not sent.');
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
      }
    }
    onError(words.notSent);
  };
  const input = (e) => {
    setText(e.target.value);
    const now = Date.now();
    if (now - lastTyping.current > 5000) {
      lastTyping.current = now;
      api(base, channel, '/typing', { method: 'POST', token, identity, body: { typing: true } }).catch(
        () => {},
      );
    }
  };
  const attach = async (e) => {
    const file = e.target.files?.[0];
    if (!file) return;
    const res = await api(base, channel, `/files?filename=${encodeURIComponent(file.name)}`, {
      method: 'POST',
      token,
      identity,
      body: new Blob([file], { type: 'application/octet-stream' }),
      headers: { 'Content-Type': 'application/octet-stream', 'Idempotency-Key': `f-${newKey()}` },
    });
    if (!res.ok) onError((await res.json()).error?.message ?? 'File not sent.');
    e.target.value = '';
  };
  // The Call button: a web call with the agent (microphone), on the visitor's own contact.
  const call = async () => {
    const win = window.open('', '_blank');
    const res = await api(base, channel, '/call', { method: 'POST', token, identity, body: {} });
    const body = await res.json();
    if (!res.ok) {
      win?.close();
      return onError(body.error?.message ?? 'The call could not start.');
    }
    // On Parley's origin, not the page's: a link an older server answered relative resolves there.
    const url = new URL(body.url, base).href;
    if (win) win.location.href = url;
    else window.location.assign(url);
  };
  return html`<form class="composer" onSubmit=${send}>
    <label class="sr" for="parley-text">${words.message}</label>
    <textarea id="parley-text" rows="2" value=${text} onInput=${input}
      onKeyDown=${(e) => e.key === 'Enter' && !e.shiftKey && send(e)}></textarea>
    <label class="attach">📎<span class="sr">${words.attach}</span><input type="file" accept="image/*,application/pdf" onChange=${attach} /></label>
    <button type="submit">${words.send}</button>
    <button type="button" class="call" onClick=${call}>${words.call}</button>
  </form>`;
}

/**
 * When nobody can answer now (outside opening hours, nobody online): "reply by email" (the thread
 * goes by email and carries on there) and "continue on WhatsApp" (wa.me with the visitor's code).
 */
function Fallback({ base, channel, token, identity, config, words, continued, onError }) {
  const [asking, setAsking] = useState(false);
  const [sentTo, setSentTo] = useState(null);
  const fallback = config.fallback ?? {};
  if (!config.availability?.offer_fallback || (!fallback.email && !fallback.whatsapp)) return null;
  const go = async (body) => {
    const res = await api(base, channel, '/continue', { method: 'POST', token, identity, body });
    const answer = await res.json();
    if (!res.ok) {
      onError(answer.error?.message ?? words.notSent);
      return null;
    }
    return answer;
  };
  const byEmail = async (e) => {
    e.preventDefault();
    const email = String(new FormData(e.target).get('email') ?? '').trim();
    const answer = await go({ via: 'email', email });
    if (answer) setSentTo(answer.email);
  };
  const onWhatsApp = async () => {
    const win = window.open('', '_blank');
    const answer = await go({ via: 'whatsapp' });
    if (!answer) return win?.close();
    if (win) win.location.href = answer.url;
    else window.location.assign(answer.url);
  };
  const emailed = sentTo ?? (continued?.via === 'email' ? continued.email : null);
  if (emailed) return html`<p class="away" role="status">${words.emailSent.replace('{email}', emailed)}</p>`;
  return html`<div class="away">
    <p>${words.away}</p>
    ${
      asking
        ? html`<form class="by-email" onSubmit=${byEmail}>
            <label>${words.yourEmail}<input name="email" type="email" autocomplete="email" required /></label>
            <button type="submit">${words.send}</button>
          </form>`
        : html`<div class="ways">
            ${fallback.email && html`<button type="button" onClick=${() => setAsking(true)}>${words.byEmail}</button>`}
            ${fallback.whatsapp && html`<button type="button" onClick=${onWhatsApp}>${words.onWhatsApp}</button>`}
          </div>`
    }
  </div>`;
}

/** Splits Server-Sent Events text into blocks, calling `dispatch` for each; returns what is left. */
function splitEvents(buffer, dispatch) {
  let rest = buffer;
  let cut = rest.indexOf('\n\n');
  while (cut >= 0) {
    dispatch(rest.slice(0, cut));
    rest = rest.slice(cut + 2);
    cut = rest.indexOf('\n\n');
  }
  return rest;
}

/** One Server-Sent Event block: `{id, event, data}` (data parsed), or null for a comment. */
function parseEvent(block) {
  let event = 'message';
  let data = '';
  let id = null;
  for (const line of block.split('\n')) {
    if (line.startsWith('id: ')) id = line.slice(4);
    else if (line.startsWith('event: ')) event = line.slice(7);
    else if (line.startsWith('data: ')) data += line.slice(6);
  }
  return data ? { id, event, data: JSON.parse(data) } : null;
}

/** Reads one response body to its end, handing each event to `on`. */
async function readEvents(res, on) {
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer = splitEvents(buffer + value, (block) => {
      const e = parseEvent(block);
      if (e) on(e);
    });
  }
}

/** Reads the visitor's stream with fetch (headers carry the session), resuming with Last-Event-ID. */
function stream(base, channel, token, identity, on) {
  let stopped = false;
  let last = null;
  let controller;
  const dispatch = (e) => {
    if (e.id) last = e.id;
    if (e.event === 'typing') on.typing(e.data);
    else if (e.event === 'message') on.message(e.data);
    else if (e.event === 'continued') on.continued(e.data);
  };
  const connect = async () => {
    controller = new AbortController();
    const headers = { Authorization: `Bearer ${token}` };
    const id = identity?.();
    if (id) headers['X-Parley-Identity'] = id;
    if (last) headers['Last-Event-ID'] = last;
    const res = await fetch(`${base}/widget/${channel}/stream`, { headers, signal: controller.signal });
    if (res.status === 401 || res.status === 403) {
      stopped = true;
      return on.refused(res.status);
    }
    if (!res.ok || !res.body) throw new Error(String(res.status));
    await readEvents(res, dispatch);
  };
  const run = async () => {
    let delay = 500;
    while (!stopped) {
      try {
        await connect();
        delay = 500;
      } catch {
        if (stopped) return;
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  };
  run();
  return () => {
    stopped = true;
    controller?.abort();
  };
}

function css(theme) {
  const side = theme.position === 'left' ? 'left' : 'right';
  return `
.panel{position:fixed;bottom:84px;${side}:16px;width:min(380px,calc(100vw - 32px));max-height:min(560px,calc(100vh - 110px));display:flex;flex-direction:column;background:#fff;color:#111;border-radius:12px;box-shadow:0 4px 24px rgba(0,0,0,.25);font:15px/1.4 system-ui,sans-serif;z-index:2147483647;overflow:hidden}
header{background:${theme.color};color:#fff;padding:12px 16px;font-weight:600}
.thread{list-style:none;margin:0;padding:12px;overflow-y:auto;flex:1;display:flex;flex-direction:column;gap:8px;min-height:120px}
.msg{max-width:80%;padding:8px 12px;border-radius:12px;word-wrap:break-word}
.msg p{margin:0}
.msg time{display:block;font-size:11px;opacity:.75;margin-top:2px;text-align:right}
.msg.visitor{align-self:flex-end;background:${theme.color};color:#fff}
.msg.business{align-self:flex-start;background:#f1f3f5}
.composer,.start{display:flex;gap:8px;padding:8px;border-top:1px solid #e9ecef;align-items:flex-end}
.start{flex-direction:column;align-items:stretch}
textarea,input{font:inherit;padding:8px;border:1px solid #adb5bd;border-radius:8px}
textarea{flex:1;resize:none}
button{font:inherit;background:${theme.color};color:#fff;border:0;border-radius:8px;padding:8px 12px;cursor:pointer}
button:focus-visible,textarea:focus-visible,input:focus-visible,a:focus-visible{outline:3px solid #1c7ed6;outline-offset:2px}
.attach{cursor:pointer;padding:8px}.attach input{position:absolute;width:1px;height:1px;opacity:0}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.error{color:#c92a2a;margin:8px 12px}
header{display:flex;justify-content:space-between;align-items:center}
.close{background:transparent;font-size:22px;line-height:1;padding:0 6px;min-width:44px;min-height:44px}
.away{padding:8px 12px;font-size:14px;border-top:1px solid #e9ecef;margin:0}
.away p{margin:0 0 6px}
.ways,.by-email{display:flex;gap:8px;flex-wrap:wrap;align-items:flex-end}
.by-email label{display:flex;flex-direction:column;flex:1}
.start label{display:flex;flex-direction:column;gap:4px}
.consent{flex-direction:row!important;align-items:flex-start}
button{min-height:44px}
.thread:focus-visible{outline:3px solid #1c7ed6;outline-offset:-3px}
@media (max-width:420px){.panel{bottom:80px;${side}:8px;width:calc(100vw - 16px)}}
`;
}
