import { MediaView } from './attachments.js';
import { html } from './lib.js';

/**
 * An Instagram story the customer's message is about (`story` of the message): "Mentioned you in
 * their story" (the story's picture, fetched through Parley once it scrolls into view) or
 * "Replied to your story", with a link to the story while Instagram keeps it (24 hours).
 */
export function StoryCard({ m }) {
  const story = m.story;
  const mention = story.type === 'mention';
  const link = story.url && /^https:\/\//.test(story.url) ? story.url : null;
  return html`<div class="story-card" data-story=${story.type}>
    <div class="story-label">${mention ? 'Mentioned you in their story' : 'Replied to your story'}</div>
    ${mention && m.media ? html`<${MediaView} m=${m} lazy=${true} />` : null}
    ${
      link
        ? html`<a class="story-link" href=${link} target="_blank" rel="noopener noreferrer">Open the story</a>`
        : html`<span class="muted small">The story is no longer available.</span>`
    }
  </div>`;
}
