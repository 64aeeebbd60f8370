import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnalysisSettings } from '../agents/index.ts';
import { builtinAnalysis, type Line } from './builtin.ts';

const at = '2026-05-10T08:00:00.000Z';
const line = (role: Line['role'], text: string): Line => ({ role, text, at });
const settings = (properties: Record<string, unknown>): AnalysisSettings => ({
  summary: false,
  structured: { type: 'object', properties } as unknown as AnalysisSettings['structured'],
  success_criteria: [],
});
const analyse = (properties: Record<string, unknown>, lines: Line[]) =>
  builtinAnalysis({ timezone: 'Asia/Kolkata', settings: settings(properties), lines }).data;

/** Issue 46, category 10: booleans and enums from what the customer stated, not only from yes/no answers. */
describe('built-in analysis: what the customer stated', () => {
  const fields = {
    wants_callback: { type: 'boolean' },
    urgency: { type: 'string', enum: ['low', 'medium', 'high'] },
    is_urgent: { type: 'boolean' },
  };

  it('reads a callback asked for and the urgency of a patient in pain', () => {
    const data = analyse(fields, [
      line('agent', 'Thank you for calling SmileCare, how can I help?'),
      line('customer', 'My tooth has been paining since last night and I can barely eat.'),
      line('agent', 'I am sorry to hear that. Our dentist is busy right now.'),
      line('customer', 'I would like a callback tomorrow please'),
    ]);
    assert.deepEqual(data, { wants_callback: true, urgency: 'high', is_urgent: true });
  });

  it('reads a callback declined and a routine visit', () => {
    const data = analyse(fields, [
      line('customer', 'Just a routine check-up, no rush. No need to call me back, I will message here.'),
    ]);
    assert.deepEqual(data, { wants_callback: false, urgency: 'low', is_urgent: false });
  });

  it('stays null when the customer only asks about it or says nothing of it', () => {
    const data = analyse(fields, [
      line('customer', 'Do you offer callbacks?'),
      line('customer', 'What are your hours?'),
    ]);
    assert.deepEqual(data, { wants_callback: null, urgency: null, is_urgent: null });
  });

  it('an enum value named outright wins over the description', () => {
    const data = analyse({ urgency: { type: 'string', enum: ['low', 'medium', 'high'] } }, [
      line('customer', 'It hurts a little but honestly it is low priority'),
    ]);
    assert.deepEqual(data, { urgency: 'low' });
  });
});
