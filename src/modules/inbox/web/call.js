/**
 * The web-call page, `/app/call/{id}?token=...` (the token is the call's `media_session.token`):
 * the microphone goes to the call's media WebSocket as 16 kHz 16-bit PCM in 20 ms frames, the
 * agent's audio frames are played as they come (`clear` stops them at once: barge-in), and the
 * transcript grows live. With no microphone, or when the server cannot transcribe audio, the
 * caller types instead. Plain DOM: the page has no other dependency.
 */
const RATE = 16_000;
const FRAME = 320;

/**
 * The page's elements by id (call.html has them all: inputs, buttons and the rest).
 * @param {string} id
 */
const $ = (id) => /** @type {HTMLInputElement & HTMLButtonElement} */ (document.getElementById(id));
const callId = /^\/app\/call\/([0-9A-Za-z_]+)/.exec(location.pathname)?.[1] ?? null;
const token =
  new URLSearchParams(location.search).get('token') ??
  new URLSearchParams(location.hash.slice(1)).get('token');

/** Counts for anyone watching the page (and its tests): frames played and sent. */
const stats = { audioIn: 0, audioOut: 0 };
const count = () => {
  document.body.dataset.audioIn = String(stats.audioIn);
  document.body.dataset.audioOut = String(stats.audioOut);
};

let ws = null;
let audio = null;
let mic = null;
let capture = null;
let playAt = 0;
const playing = new Set();

function setState(state, text) {
  const el = $('state');
  el.dataset.state = state;
  el.textContent = text;
}

function problem(text) {
  const el = $('problem');
  el.textContent = text;
  el.hidden = false;
}

function line(role, text) {
  const li = document.createElement('li');
  li.className = role;
  li.dataset.role = role;
  li.textContent = role === 'agent' ? `Agent: ${text}` : role === 'customer' ? `You: ${text}` : text;
  $('transcript').append(li);
  li.scrollIntoView({ block: 'nearest' });
}

/** Float samples at the device's rate → 16 kHz PCM, linear interpolation kept across chunks. */
function downsampler(from, to) {
  const step = from / to;
  let pos = 0;
  let last = 0;
  return (input) => {
    const out = new Int16Array(Math.ceil((input.length + 1) / step) + 1);
    let n = 0;
    while (pos < input.length - 1) {
      const i = Math.floor(pos);
      const a = i < 0 ? last : input[i];
      const v = a + (input[i + 1] - a) * (pos - i);
      out[n++] = Math.max(-32768, Math.min(32767, Math.round(v * 32767)));
      pos += step;
    }
    last = input[input.length - 1] ?? last;
    pos -= input.length;
    return out.subarray(0, n);
  };
}

function startCapture() {
  const source = audio.createMediaStreamSource(mic);
  // A ScriptProcessor keeps this page one file; it runs only when connected, so through a muted gain.
  capture = audio.createScriptProcessor(4096, 1, 1);
  const resample = downsampler(audio.sampleRate, RATE);
  let pending = new Int16Array(0);
  capture.onaudioprocess = (e) => {
    if (ws?.readyState !== WebSocket.OPEN) return;
    const pcm = resample(e.inputBuffer.getChannelData(0));
    const all = new Int16Array(pending.length + pcm.length);
    all.set(pending);
    all.set(pcm, pending.length);
    let i = 0;
    for (; i + FRAME <= all.length; i += FRAME) {
      ws.send(all.slice(i, i + FRAME).buffer);
      stats.audioOut++;
    }
    pending = all.slice(i);
    count();
  };
  const mute = audio.createGain();
  mute.gain.value = 0;
  source.connect(capture);
  capture.connect(mute).connect(audio.destination);
}

function play(pcm) {
  stats.audioIn++;
  count();
  if (!pcm.length) return;
  const buffer = audio.createBuffer(1, pcm.length, RATE);
  const ch = buffer.getChannelData(0);
  for (let i = 0; i < pcm.length; i++) ch[i] = pcm[i] / 32768;
  const src = audio.createBufferSource();
  src.buffer = buffer;
  src.connect(audio.destination);
  playAt = Math.max(playAt, audio.currentTime + 0.05);
  src.start(playAt);
  playAt += buffer.duration;
  playing.add(src);
  src.onended = () => playing.delete(src);
}

/** The caller spoke over the agent: what is queued stops now. */
function clearPlayback() {
  for (const src of playing) src.stop();
  playing.clear();
  playAt = 0;
}

const STATES = { queued: 'Joining…', in_progress: 'Connected: the agent speaks first.' };

function onEvent(m) {
  if (m.type === 'status') setState(m.status, STATES[m.status] ?? m.status);
  else if (m.type === 'agent_text') line('agent', m.text);
  else if (m.type === 'transcript' && m.role === 'customer' && m.final !== false) line('customer', m.text);
  else if (m.type === 'listening')
    setState('listening', mic ? 'Listening: speak now.' : 'Your turn: type below.');
  else if (m.type === 'clear') clearPlayback();
  else if (m.type === 'notice') line('notice', m.message);
  else if (m.type === 'error') problem(m.message);
  else if (m.type === 'ended')
    setState('ended', `The call ended (${String(m.ended_reason ?? m.status).replaceAll('_', ' ')}).`);
}

function stopped(code, reason) {
  capture?.disconnect();
  for (const t of mic?.getTracks() ?? []) t.stop();
  $('hangup').disabled = true;
  $('typed').hidden = true;
  if (code >= 4000 && $('problem').hidden) problem(reason || `The call could not be joined (${code}).`);
  if ($('state').dataset.state !== 'ended') setState('ended', 'The call ended.');
}

async function start() {
  $('start').disabled = true;
  setState('connecting', 'Connecting…');
  audio = new AudioContext();
  try {
    mic = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
  } catch (err) {
    mic = null;
    line('notice', `No microphone (${err.message}): type what you would say below.`);
  }
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  ws = new WebSocket(
    `${scheme}://${location.host}/v1/calls/${callId}/media?token=${encodeURIComponent(token)}`,
  );
  ws.binaryType = 'arraybuffer';
  ws.onopen = () => {
    setState('connected', 'Connected.');
    $('hangup').disabled = false;
    $('typed').hidden = false;
    if (mic) startCapture();
  };
  ws.onmessage = (e) => {
    if (typeof e.data !== 'string') play(new Int16Array(e.data));
    else {
      try {
        onEvent(JSON.parse(e.data));
      } catch {
        // Not an event this page knows: nothing to show.
      }
    }
  };
  ws.onclose = (e) => stopped(e.code, e.reason);
}

count();
if (!callId || !token) {
  $('start').disabled = true;
  problem(
    "This link needs the call's token: open /app/call/{id}?token={media_session.token}, with the id and token from the answer of POST /v1/calls (transport: web).",
  );
} else {
  $('start').addEventListener('click', start);
  $('hangup').addEventListener('click', () => ws?.send(JSON.stringify({ type: 'hangup' })));
  $('typed').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = $('say').value.trim();
    if (!text || ws?.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify({ type: 'text', text }));
    $('say').value = '';
  });
}
