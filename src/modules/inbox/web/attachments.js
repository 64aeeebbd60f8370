import { call, html, session } from './lib.js';
import { useEffect, useRef, useState } from './vendor/hooks.mjs';

/**
 * Files in the composer and in the thread. A file picked, dropped or pasted is uploaded at once
 * (`POST /v1/media`, which reads its type from its bytes and applies the channel's limits) and
 * sent with the reply by its `media_` id; the API's own words say why a file is refused.
 */

/** Channels that carry an uploaded file (SMS takes a file only by public URL; voice none). */
export const attachable = (channel) => channel === 'whatsapp' || channel === 'email';

export const sizeText = (n) =>
  n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`;

/** The message type a media object goes out as: a sticker is sent as a document. */
export const messageTypeOf = (media) => (media.kind === 'sticker' ? 'document' : media.kind);

/**
 * The reply body for an attachment and the typed text: the text is its caption, except for audio,
 * which takes none (then the text is sent first, on its own).
 * @returns {Array<Record<string, unknown>>}
 */
export function attachmentBodies(media, text) {
  const type = messageTypeOf(media);
  if (type === 'audio') return [...(text ? [{ text }] : []), { audio: { media_id: media.id } }];
  return [{ [type]: { media_id: media.id, ...(text ? { caption: text } : {}) } }];
}

/** The attachment being prepared: its upload state and the handlers the composer wires up. */
export function useAttachment(setError) {
  const [file, setFile] = useState(null);
  const take = async (picked) => {
    if (!picked) return;
    setError('');
    setFile({ name: picked.name || 'pasted file', size: picked.size, uploading: true });
    const form = new FormData();
    form.append('file', picked, picked.name || 'pasted-file');
    try {
      const media = await call('post', '/v1/media', { body: /** @type {any} */ (form) });
      setFile({ name: media.filename ?? picked.name, size: media.size, media });
    } catch (err) {
      setFile(null);
      setError(`${picked.name || 'The file'}: ${err.message}`);
    }
  };
  return {
    file,
    ready: !!file?.media,
    uploading: !!file?.uploading,
    clear: () => setFile(null),
    take,
    onPaste: (e) => {
      const pasted = e.clipboardData?.files?.[0];
      if (!pasted) return;
      e.preventDefault();
      take(pasted);
    },
  };
}

/** The attach button (a hidden file input behind it). */
export function AttachButton({ att, disabled }) {
  const input = useRef(null);
  return html`<button type="button" class="ghost attach" aria-label="Attach a file" title="Attach a file (or drop or paste one)"
      disabled=${disabled} onClick=${() => input.current?.click()}>
      <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
        <path d="M21 11.5l-8.6 8.6a5.5 5.5 0 0 1-7.8-7.8l8.6-8.6a3.7 3.7 0 0 1 5.2 5.2l-8.6 8.6a1.8 1.8 0 0 1-2.6-2.6l7.9-7.9" /></svg></button>
    <input ref=${input} type="file" class="sr-only" tabindex="-1" aria-hidden="true" data-testid="attach-input"
      onChange=${(e) => {
        att.take(e.currentTarget.files?.[0]);
        e.currentTarget.value = '';
      }} />`;
}

/** The picked file above the reply box: its name, size, and a way to remove it. */
export function AttachmentChip({ att }) {
  if (!att.file) return null;
  const f = att.file;
  return html`<div class="attachment-chip" role="status">
    <span>${f.uploading ? 'Uploading ' : ''}${f.name} · ${sizeText(f.size)}</span>
    ${f.media ? html`<button type="button" class="ghost" aria-label=${`Remove ${f.name}`} onClick=${att.clear}>×</button>` : null}
  </div>`;
}

/** Drag and drop onto the composer: the handlers and whether a file is over it. */
export function useDrop(att, enabled) {
  const [over, setOver] = useState(false);
  if (!enabled) return { over: false, handlers: {} };
  const hasFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes('Files');
  return {
    over,
    handlers: {
      onDragOver: (e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        setOver(true);
      },
      onDragLeave: () => setOver(false),
      onDrop: (e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        setOver(false);
        att.take(e.dataTransfer.files[0]);
      },
    },
  };
}

/** A file of the API, read with the session's token (an <img> cannot send it). */
async function fetchFile(path) {
  const res = await fetch(path, { headers: { authorization: `Bearer ${session.current?.token ?? ''}` } });
  if (!res.ok) throw new Error(`The file could not be read (${res.status}).`);
  return res.blob();
}

/** A message's file in the thread: an image previews, anything else downloads. */
export function MediaView({ m, lazy = false }) {
  const media = m.media;
  const [url, setUrl] = useState('');
  const [error, setError] = useState('');
  // `lazy`: the image is fetched once it scrolls into view, never before the thread shows.
  const box = useRef(null);
  const [inView, setInView] = useState(!lazy);
  const image = m.type === 'image' || media?.mime_type?.startsWith('image/');
  const name = media?.filename ?? `${m.type} file`;
  useEffect(() => {
    if (inView || !box.current) return;
    const seen = new IntersectionObserver((entries) => {
      if (!entries.some((e) => e.isIntersecting)) return;
      seen.disconnect();
      setInView(true);
    });
    seen.observe(box.current);
    return () => seen.disconnect();
  }, [inView]);
  useEffect(() => {
    if (!image || !media?.download_url || !inView) return;
    let objectUrl = '';
    fetchFile(media.download_url).then(
      (blob) => {
        objectUrl = URL.createObjectURL(blob);
        setUrl(objectUrl);
      },
      (err) => setError(err.message),
    );
    return () => objectUrl && URL.revokeObjectURL(objectUrl);
  }, [media?.download_url, inView]);
  if (!media) return null;
  const download = async () => {
    try {
      const blob = await fetchFile(media.download_url);
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    } catch (err) {
      setError(err.message);
    }
  };
  return html`<div class="media" ref=${box}>
    ${image && url ? html`<a href=${url} target="_blank" rel="noopener"><img class="media-preview" src=${url} alt=${media.caption || name} /></a>` : null}
    ${image && !url && !error ? html`<span class="muted small">Loading image…</span>` : null}
    ${image ? null : html`<button type="button" class="file-link" onClick=${download}>↓ ${name}</button>`}
    ${error ? html`<p class="error small">${error}</p>` : null}
  </div>`;
}
