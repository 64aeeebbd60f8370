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
      button.textContent = '\u{1F4AC}';
      button.style.cssText = `position:fixed;bottom:16px;${t.position}:16px;width:56px;height:56px;border-radius:50%;border:0;background:${t.color};color:#fff;font-size:24px;cursor:pointer;box-shadow:0 2px 8px rgba(0,0,0,.3);z-index:2147483646`;
      root.appendChild(button);
      let ui;
      button.addEventListener('click', async () => {
        ui ??= import(`${base}/widget/a/__VERSION__/ui.js`).then((m) =>
          m.mount({ root, base, channel, config, launcher: button, identity: () => identityOf(script) }),
        );
        (await ui).toggle();
      });
    })
    .catch((err) => {
      root.dataset.error = String(err.message);
    });
  function identityOf(s) {
    const given = window.ParleyWidget?.identity;
    return (typeof given === 'function' ? given() : given) ?? s.dataset.identity ?? null;
  }
})();
