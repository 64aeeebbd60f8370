import { App } from './app.js';
import { html } from './lib.js';
import { render } from './vendor/preact.mjs';

const root = document.getElementById('root');
root.textContent = '';
render(html`<${App} />`, root);
