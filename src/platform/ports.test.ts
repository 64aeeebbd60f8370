import assert from 'node:assert/strict';
import { it } from 'node:test';
import { gatherPorts } from './ports.ts';

it('gathers the ports each module provides', () => {
  const cannedText = async () => 'Thanks!';
  const agentExists = async () => true;
  const ports = gatherPorts([
    { module: 'agents', ports: { agentExists } },
    { module: 'teamtools', ports: { cannedText } },
  ]);
  assert.equal(ports.agentExists, agentExists);
  assert.equal(ports.cannedText, cannedText);
  assert.equal(ports.inboundReceiver, undefined);
});

it('refuses a port two modules provide, naming both', () => {
  const agentExists = async () => true;
  assert.throws(
    () =>
      gatherPorts([
        { module: 'agents', ports: { agentExists } },
        { module: 'other', ports: { agentExists } },
      ]),
    /The agentExists port is provided by both agents and other/,
  );
});
