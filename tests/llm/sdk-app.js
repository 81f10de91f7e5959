// tests/llm/sdk-app.js — a published app called by the official openai
// package at baseURL AGENT_URL/api/v1/apps/{id}/v1 (its route
// /apps/{id}/v1/chat/completions) with a key of the app: a whole answer,
// a stream read chunk by chunk as they arrive, the app's template filled
// from "inputs", usage, error classes (bad request, another app's key,
// a /v1 key). Run by tests/integration/app-chat.sh.
// Env: AGENT_URL, APP_ID, APP_KEY, OTHER_APP_KEY, PLAIN_KEY, PACE_MS.
'use strict';
const OpenAI = require('openai');
const assert = require('assert');

const env = process.env;
const base = `${env.AGENT_URL}/api/v1/apps/${env.APP_ID}/v1`;
const mk = (apiKey) => new OpenAI({ baseURL: base, apiKey, maxRetries: 0 });
const app = mk(env.APP_KEY);
const body = (extra) => Object.assign({ model: 'anything',
    messages: [{ role: 'user', content: 'How are backups kept?' }],
    inputs: { product: 'ODS' }, user: 'sdk-user' }, extra || {});
let failed = 0;

async function check(name, fn) {
	try {
		await fn();
		console.log(`ok - ${name}`);
	} catch (e) {
		failed++;
		console.log(`not ok - ${name}: ${e && e.stack || e}`);
	}
}

async function expectError(cls, fn) {
	try {
		await fn();
	} catch (e) {
		assert.ok(e instanceof cls, `want ${cls.name}, got ` +
		    `${e.constructor.name} ${e.status} ${e.message}`);
		return e;
	}
	throw new Error(`no ${cls.name} thrown`);
}

(async () => {
	await check('whole answer: chat.completion of the app\'s model',
	    async () => {
		const r = await app.chat.completions.create(body());
		assert.strictEqual(r.object, 'chat.completion');
		assert.strictEqual(r.model, 'mock-chat');
		assert.strictEqual(r.choices[0].message.role, 'assistant');
		assert.strictEqual(r.choices[0].message.content,
		    'Hello from mock.');
		assert.strictEqual(r.choices[0].finish_reason, 'stop');
		assert.ok(r.usage.prompt_tokens > 0);
		assert.strictEqual(r.usage.total_tokens,
		    r.usage.prompt_tokens + r.usage.completion_tokens);
	});
	await check('stream: chunks arrive paced, then usage', async () => {
		const s = await app.chat.completions.create(body({
		    stream: true }));
		let text = '', n = 0, usage = null;
		const at = [];
		for await (const c of s) {
			assert.strictEqual(c.object, 'chat.completion.chunk');
			if (c.usage)
				usage = c.usage;
			if (c.choices.length > 0 && c.choices[0].delta.content) {
				text += c.choices[0].delta.content;
				at.push(Date.now());
				n++;
			}
		}
		assert.ok(/^tok1 tok2 /.test(text), text);	// the mock's
		assert.ok(n >= 4, `${n} content chunks`);
		const spread = at[at.length - 1] - at[0];
		assert.ok(spread >= (n - 2) * Number(env.PACE_MS),
		    `chunks spread over ${spread} ms`);
		assert.ok(usage && usage.completion_tokens > 0, 'usage chunk');
	});
	await check('a message without content -> BadRequestError (400)',
	    async () => {
		await expectError(OpenAI.BadRequestError, () =>
		    app.chat.completions.create(body({
		    messages: [{ role: 'user' }] })));
	});
	await check('the template\'s variable missing -> BadRequestError',
	    async () => {
		const e = await expectError(OpenAI.BadRequestError, () =>
		    app.chat.completions.create(body({ inputs: {} })));
		assert.ok(/product/.test(e.message), e.message);
	});
	await check('another app\'s key -> PermissionDeniedError (403)',
	    async () => {
		await expectError(OpenAI.PermissionDeniedError, () =>
		    mk(env.OTHER_APP_KEY).chat.completions.create(body()));
	});
	await check('a /v1 key -> PermissionDeniedError (403)', async () => {
		await expectError(OpenAI.PermissionDeniedError, () =>
		    mk(env.PLAIN_KEY).chat.completions.create(body()));
	});
	if (failed > 0)
		process.exit(1);
})();
