import type { AppContext } from './context.ts';
import { likeContains } from './db/like.ts';
import { tenant } from './db/scope.ts';

/**
 * Whose data an erasure removes. Every module whose tables can hold something that identifies a
 * person implements `erase` on its `Module` (see docs/privacy.md): it removes or irreversibly
 * redacts, in its own tables only, everything of this subject. The erasure job calls each in turn
 * and records which finished, so a crash resumes at the module it was in; each must therefore be
 * idempotent (running it again after it finished, or after it half-ran, changes nothing more).
 */
export interface ErasureSubject {
  workspaceId: string;
  livemode: boolean;
  contactId: string;
  /** The contact's conversations (found before any module ran). */
  conversationIds: string[];
  /** The contact's calls (found before any module ran). */
  callIds: string[];
  /**
   * How the person may appear in free text and raw payloads: their phone (with and without the
   * `+`, and form-encoded) and email. Searched for in what is not linked to them by id (raw
   * provider payloads, stored responses, import files, event payloads). Their name is not among
   * them: another person may share it.
   */
  identifiers: string[];
  /** Their name, for a module that holds it beside their id (never searched for in free text). */
  name: string | null;
}

export type EraseStep = (ctx: AppContext, subject: ErasureSubject) => Promise<void>;

/** One module's part of an erasure, in the order the job runs them. */
export interface Eraser {
  module: string;
  erase: EraseStep;
}

/** What replaces a redacted identifier inside text that is kept (an import's file, an error). */
export const ERASED = '[erased]';

/** Replaces every identifier in `text` (case-insensitive); null stays null. */
export function redactText(text: string | null, identifiers: string[]): string | null {
  if (text === null) return null;
  let out = text;
  for (const id of identifiers) {
    if (!id) continue;
    out = out.replace(new RegExp(id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'), ERASED);
  }
  return out;
}

/** Chunks of at most `size` (SQL `IN` lists stay bounded). */
export function inChunks<T>(items: T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Ways a phone or an email is written in stored payloads (E.164 with and without `+`, form-encoded). */
export function identifierForms(phone: string | null, email: string | null): string[] {
  const out = new Set<string>();
  if (phone) {
    out.add(phone);
    out.add(phone.replace(/^\+/, ''));
    out.add(encodeURIComponent(phone));
  }
  if (email) {
    out.add(email);
    out.add(encodeURIComponent(email));
  }
  return [...out].filter((x) => x.length >= 5);
}

export interface EventRef {
  id: string;
  object_type: string | null;
  object_id: string | null;
}

/**
 * Calls `fn` with pages of the events about the subject: of their contact, conversations or
 * calls, or whose payload names one of those or their phone or email. The events module erases
 * them last (after every other module that needs to find them, like webhook deliveries).
 */
export async function forEachEventAbout(
  ctx: AppContext,
  subject: ErasureSubject,
  fn: (events: EventRef[]) => Promise<void>,
) {
  const ids = [subject.contactId, ...subject.conversationIds, ...subject.callIds];
  const groups = [
    ...inChunks(ids, 50).map((chunk) => ({ ids: chunk, texts: [] as string[] })),
    ...(subject.identifiers.length ? [{ ids: [] as string[], texts: subject.identifiers }] : []),
  ];
  for (const g of groups) {
    let after = '';
    for (;;) {
      const rows = await tenant(ctx.db, subject)
        .selectFrom('events')
        .select(['id', 'object_type', 'object_id'])
        .where('id', '>', after)
        .where((eb) =>
          eb.or([
            ...(g.ids.length ? [eb('object_id', 'in', g.ids)] : []),
            ...g.ids.map((id) => likeContains('data', id)),
            ...g.texts.map((t) => likeContains('data', t, { lower: true })),
          ]),
        )
        .orderBy('id')
        .limit(500)
        .execute();
      if (!rows.length) break;
      await fn(rows);
      after = rows[rows.length - 1]!.id;
    }
  }
}
