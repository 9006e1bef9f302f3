// The openai Node SDK (pinned in package.json) against `rtclient serve` over wss://.
//
// The Node SDK always dials wss://, so the server runs with a certificate made here by openssl;
// the SDK trusts exactly that certificate (the `ca` option of its `ws` socket). Server binary:
// $RTCLIENT_BIN (scripts/conformance builds it).

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';

const here = dirname(fileURLToPath(import.meta.url));
const binary = process.env.RTCLIENT_BIN ?? join(here, '..', '..', 'target', 'debug', 'rtclient');
const TIMEOUT_MS = 20_000;

let server;
let base;
let ca;

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rtclient-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const made = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
    '-keyout', key, '-out', cert, '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ]);
  assert.equal(made.status, 0, `openssl failed: ${made.stderr}`);
  ca = readFileSync(cert);
  server = spawn(binary, [
    'serve', '--listen', '127.0.0.1:0', '--tls-cert', cert, '--tls-key', key,
    '--script', join(here, '..', 'conformance', 'script.yaml'),
  ], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    createInterface({ input: server.stdout }).once('line', resolve);
    server.once('exit', (code) => reject(new Error(`rtclient serve exited with ${code}`)));
  });
  assert.match(url, /^wss:\/\//);
  base = new URL(url);
});

after(() => server?.kill('SIGINT'));

/** Opens a GA session and collects its events; `until(type)` waits for the next one of `type`. */
async function open() {
  const client = new OpenAI({ apiKey: 'unused', baseURL: `https://localhost:${base.port}/v1` });
  const rt = new OpenAIRealtimeWS({ model: 'gpt-realtime', options: { ca } }, client);
  const events = [];
  const waiters = [];
  rt.on('event', (event) => {
    events.push(event);
    for (const waiter of [...waiters]) {
      if (event.type === waiter.type) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(events.splice(0));
      }
    }
  });
  rt.on('error', (error) => {
    for (const waiter of waiters.splice(0)) waiter.reject(error);
  });
  const until = (type) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} in time`)), TIMEOUT_MS);
      waiters.push({
        type,
        resolve: (got) => { clearTimeout(timer); resolve(got); },
        reject: (error) => { clearTimeout(timer); reject(error); },
      });
    });
  const created = await until('session.created');
  return { rt, until, created: created.at(-1) };
}

const userText = (text) => ({
  type: 'conversation.item.create',
  item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
});

test('a text turn over wss', async () => {
  const { rt, until, created } = await open();
  assert.equal(created.session.type, 'realtime');
  assert.equal(created.session.model, 'gpt-realtime');
  rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'] } });
  await until('session.updated');
  rt.send(userText('hello from node'));
  await until('conversation.item.done');
  rt.send({ type: 'response.create' });
  const events = await until('response.done');
  const text = events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join('');
  assert.equal(text, 'I heard: hello from node');
  const done = events.at(-1).response;
  assert.equal(done.status, 'completed');
  assert.equal(done.output[0].content[0].text, text);
  rt.close();
});

test('an audio reply and a function call round', async () => {
  const { rt, until } = await open();
  rt.send({
    type: 'session.update',
    session: {
      type: 'realtime',
      tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' } }],
    },
  });
  await until('session.updated');
  rt.send(userText('What is the weather in Paris?'));
  await until('conversation.item.done');
  rt.send({ type: 'response.create' });
  let events = await until('response.done');
  const call = events.find((e) => e.type === 'response.function_call_arguments.done');
  assert.equal(call.name, 'get_weather');
  assert.deepEqual(JSON.parse(call.arguments), { city: 'Paris' });
  rt.send({
    type: 'conversation.item.create',
    item: { type: 'function_call_output', call_id: call.call_id, output: 'sunny' },
  });
  await until('conversation.item.done');
  rt.send({ type: 'response.create' });
  events = await until('response.done');
  const audio = events
    .filter((e) => e.type === 'response.output_audio.delta')
    .reduce((n, e) => n + Buffer.from(e.delta, 'base64').length, 0);
  assert.ok(audio > 24_000, `only ${audio} bytes of audio`);
  const transcript = events.find((e) => e.type === 'response.output_audio_transcript.done').transcript;
  assert.equal(transcript, 'It is sunny in Paris.');
  rt.close();
});
