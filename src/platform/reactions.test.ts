/**
 * The reactions registry as a unit: what each reaction hears, the order of the follow step, the
 * record step beside the events' insert, and the names kept unique.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventType, ParleyEvent, Tx } from './events.ts';
import { Reactions } from './reactions.ts';

const event = (type: EventType): ParleyEvent => ({
  id: `evt_${type}`,
  event: type,
  timestamp: '2026-11-25T12:00:00.000Z',
  api_version: 'v1',
  workspace_id: 'ws_1',
  livemode: false,
  actor: { type: 'system', id: null },
  data: {},
});
const tx = {} as Tx;

describe('Reactions', () => {
  it('gives each reaction only the events it hears, by type, family or everything, and skips the deaf', async () => {
    const r = new Reactions();
    const heard: Record<string, string[]> = {};
    const note = (name: string) => async (_tx: Tx, events: ParleyEvent[]) => {
      heard[name] = events.map((e) => e.event);
    };
    r.add(
      { name: 'one', hears: ['message.sent'], step: 'record', run: note('one') },
      { name: 'family', hears: ['conversation.*'], step: 'follow', run: note('family') },
      { name: 'all', hears: ['*'], step: 'record', run: note('all') },
      { name: 'deaf', hears: ['call.completed'], step: 'follow', run: note('deaf') },
    );
    const events = [event('message.sent'), event('conversation.resolved'), event('conversation.reopened')];
    await r.react(tx, events, Promise.resolve());
    assert.deepEqual(heard, {
      one: ['message.sent'],
      family: ['conversation.resolved', 'conversation.reopened'],
      all: ['message.sent', 'conversation.resolved', 'conversation.reopened'],
    });
  });

  it('runs follow reactions one after another in the order added, record reactions beside the insert', async () => {
    const r = new Reactions();
    const log: string[] = [];
    let releaseInsert!: () => void;
    const insert = new Promise<void>((resolve) => {
      releaseInsert = resolve;
    });
    const slow = (name: string) => async () => {
      log.push(`${name} start`);
      await new Promise<void>((resolve) => setImmediate(resolve));
      log.push(`${name} end`);
    };
    r.add(
      { name: 'first', hears: ['*'], step: 'follow', run: slow('first') },
      { name: 'record', hears: ['*'], step: 'record', run: slow('record') },
      { name: 'second', hears: ['*'], step: 'follow', run: slow('second') },
    );
    const done = r.react(tx, [event('message.sent')], insert);
    // The record reaction and the first follow one start before the insert is done.
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.deepEqual(log.slice(0, 2).sort(), ['first start', 'record start']);
    releaseInsert();
    await done;
    assert.ok(log.indexOf('first end') < log.indexOf('second start'), log.join(', '));
    assert.deepEqual(
      r.list().map((x) => x.name),
      ['first', 'record', 'second'],
    );
  });

  it('waits for everything, then fails with the failure; refuses a name twice and a reaction hearing nothing', async () => {
    const r = new Reactions();
    let finished = false;
    r.add(
      {
        name: 'fails',
        hears: ['*'],
        step: 'record',
        run: async () => {
          throw new Error('boom');
        },
      },
      {
        name: 'slow',
        hears: ['*'],
        step: 'follow',
        run: async () => {
          await new Promise<void>((resolve) => setImmediate(resolve));
          finished = true;
        },
      },
    );
    await assert.rejects(r.react(tx, [event('message.sent')], Promise.resolve()), /boom/);
    assert.equal(finished, true);
    assert.throws(() => r.add({ name: 'slow', hears: ['*'], step: 'record', run: async () => {} }), /twice/);
    assert.throws(
      () => r.add({ name: 'none', hears: [], step: 'record', run: async () => {} }),
      /hears no event/,
    );
  });
});
