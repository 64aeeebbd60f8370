// The website widget's loader: draws only the launcher; the conversation UI loads on the first click.
(() => {
  const script = document.currentScript;
  if (!script) return;
  const channel = script.dataset.channel;
  const base = new URL(script.src).origin;
  const root = document.createElement('div');
  root.id = 'parley-widget';
  document.body.appendChild(root);
  fetch(`${base}/widget/${channel}/config`)
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`widget refused: ${r.status}`))))
    .then((config) => {
      const t = config.theme;
      const button = document.createElement('button');
      button.type = 'button';
      button.id = 'parley-launcher';
      const lang = String(t.language || 'en').split('-')[0];
      const label = {
        hi: 'चैट खोलें',
        es: 'Abrir el chat',
        pt: 'Abrir o chat',
        fr: 'Ouvrir le chat',
        de: 'Chat öffnen',
      };
      button.setAttribute('aria-label', label[lang] || 'Open chat');
      button.lang = t.language || 'en';
      button.setAttribute('aria-expanded', 'false');
      // A speech bubble (SVG: the same on every system, unlike an emoji), and the unread count.
      button.innerHTML =
        '<svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false"><path fill="currentColor" d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z"/></svg><span id="parley-unread" hidden style="position:absolute;top:-2px;right:-2px;min-width:20px;height:20px;padding:0 5px;box-sizing:border-box;border-radius:10px;background:#c92a2a;color:#fff;font:700 12px/20px system-ui,sans-serif"></span>';
      button.style.cssText = `position:fixed;bottom:16px;${t.position}:16px;width:56px;height:56px;border-radius:50%;border:0;background:${t.color};color:#fff;display:flex;align-items:center;justify-content:center;cursor:pointer;box-shadow:0 2px 8px rgba(0,0,0,.3);z-index:2147483646`;
      root.appendChild(button);
      let ui;
      const load = () =>
        (ui ??= import(`${base}/widget/a/__VERSION__/ui.js`).then((m) =>
          m.mount({ root, base, channel, config, launcher: button, identity: () => identityOf(script) }),
        ));
      button.addEventListener('click', async () => {
        (await load()).toggle();
      });
      // A visitor with a chat already: its thread is followed at once, so a reply shows as unread.
      if (localStorage.getItem(`parley:widget:${channel}`)) load();
    })
    .catch((err) => {
      root.dataset.error = String(err.message);
    });
  function identityOf(s) {
    const given = window.ParleyWidget?.identity;
    return (typeof given === 'function' ? given() : given) ?? s.dataset.identity ?? null;
  }
})();
