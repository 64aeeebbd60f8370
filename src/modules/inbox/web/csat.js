import { call, fullTime, html, relativeTime } from './lib.js';
import { useEffect, useState } from './vendor/hooks.mjs';

/** Customer satisfaction (CSAT) answers: on the conversation and on the contact panel. */

const FACES = ['', 'very bad', 'bad', 'okay', 'good', 'great'];
const tone = (score) => (score <= 2 ? 'csat-low' : score >= 4 ? 'csat-high' : '');

/** One answer: the score out of 5, the comment, when. */
export function CsatAnswer({ score, comment, at }) {
  return html`<span class="csat" data-testid="csat">
    <span class=${`csat-score ${tone(score)}`} aria-label=${`Satisfaction ${score} out of 5 (${FACES[score] ?? ''})`}>${'★'.repeat(score)}${'☆'.repeat(Math.max(0, 5 - score))} ${score}/5</span>
    ${comment ? html`<span class="csat-comment">“${comment}”</span>` : null}
    <time class="muted small" datetime=${at} title=${fullTime(at)}>${relativeTime(at)}</time>
  </span>`;
}

/** The conversation's answer, as a line above the messages. */
export function ConversationCsat({ csat }) {
  if (!csat) return null;
  return html`<p class="banner csat-banner" role="status" aria-label="Customer satisfaction">Customer rated this conversation: <${CsatAnswer} ...${csat} /></p>`;
}

/** The contact's answers (newest first), reloaded when a new one comes for this contact. */
export function ContactCsat({ contactId, live }) {
  const [answers, setAnswers] = useState(null);
  const [version, setVersion] = useState(0);
  useEffect(
    () =>
      live?.on((e) => {
        if (e.event === 'csat.received' && e.data?.contact?.id === contactId) setVersion((n) => n + 1);
      }),
    [contactId],
  );
  useEffect(() => {
    let gone = false;
    call('get', '/v1/csat', { query: { contact_id: contactId, per_page: 5 } }).then(
      (r) => !gone && setAnswers(r.data),
      () => !gone && setAnswers([]),
    );
    return () => {
      gone = true;
    };
  }, [contactId, version]);
  return html`<h3>Satisfaction</h3>
    ${
      answers?.length
        ? html`<ul class="mini" aria-label="Satisfaction answers">${answers.map((a) => html`<li><${CsatAnswer} score=${a.score} comment=${a.comment} at=${a.answered_at} /><br /><span class="muted small">${a.channel}</span></li>`)}</ul>`
        : html`<p class="muted small">${answers ? 'No rating yet: asked after a conversation is resolved, when CSAT is on.' : 'Loading…'}</p>`
    }`;
}
