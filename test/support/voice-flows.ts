/** The reminder flow of docs/voice-flows.md: greet, confirm by voice or keypad, branch, end. */
export const reminderFlow = () => ({
  name: 'Appointment reminder',
  language: 'en-IN',
  timezone: 'Asia/Kolkata',
  variables: { name: 'there' },
  start: 'greet',
  nodes: {
    greet: {
      type: 'say',
      text: 'Namaste {{name}}, this is Glow Salon.',
      interruptible: false,
      next: 'confirm',
    },
    confirm: {
      type: 'ask',
      prompt: 'Your haircut is {{slot}}. Can you come? Say yes or no, or press 1 or 2.',
      capture: { var: 'answer', kind: 'yes_no' },
      dtmf: { '1': 'yes', '2': 'no' },
      retries: 1,
      on_no_input: 'bye',
      next: 'route',
    },
    route: { type: 'branch', cases: [{ when: { var: 'answer', eq: 'no' }, next: 'when' }], else: 'thanks' },
    when: {
      type: 'ask',
      prompt: 'When would suit you?',
      capture: { var: 'slot', kind: 'datetime' },
      next: 'lead',
    },
    lead: {
      type: 'action',
      action: 'capture_lead',
      fields: { name: '{{name}}', preferred_slot: '{{slot}}' },
      next: 'moved',
    },
    moved: { type: 'end', text: 'Noted, we will call to confirm {{slot}}.', outcome: 'rescheduled' },
    thanks: { type: 'end', text: 'Thank you, see you soon!', outcome: 'confirmed' },
    bye: { type: 'end', text: 'Goodbye.', outcome: 'no_response' },
  },
});
