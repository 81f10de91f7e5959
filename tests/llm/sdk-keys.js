// tests/llm/sdk-keys.js — API keys, allowed models, tpm, token budgets and
// rpm through the proxy, seen by the official openai package (error
// classes and codes).  Run by tests/integration/proxy-keys-limits.sh.
// Env: PROXY_URL, KEY_MODELS (may use mock-chat only, budget 20 tokens a
// day), KEY_TPM (10 tokens a minute), KEY_RPM (3 requests a minute).
'use strict';
const OpenAI = require('openai');
const assert = require('assert');

const base = process.env.PROXY_URL + '/v1';
const mk = (apiKey) => new OpenAI({ baseURL: base, apiKey, maxRetries: 0 });
const ask = (c, model) => c.chat.completions.create({ model,
    messages: [{ role: 'user', content: 'a b c' }] });	// 3 + 4 tokens
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
	await check('unknown key -> AuthenticationError (401)', async () => {
		await expectError(OpenAI.AuthenticationError, () =>
		    ask(mk('sk-ods-' + 'x'.repeat(43)), 'mock-chat'));
		await expectError(OpenAI.AuthenticationError, () =>
		    mk('not-a-key').models.list());
	});
	const km = mk(process.env.KEY_MODELS);
	await check('model outside the key -> PermissionDeniedError (403)',
	    async () => {
		const e = await expectError(OpenAI.PermissionDeniedError, () =>
		    ask(km, 'gpt-4o-mini'));
		assert.strictEqual(e.code, 'model_not_allowed');
	});
	await check('budget spent -> RateLimitError insufficient_quota',
	    async () => {
		for (let i = 0; i < 3; i++)
			await ask(km, 'mock-chat');	// 21 of 20 tokens
		const e = await expectError(OpenAI.RateLimitError, () =>
		    ask(km, 'mock-chat'));
		assert.strictEqual(e.code, 'insufficient_quota');
		assert.strictEqual(e.type, 'insufficient_quota');
	});
	await check('tpm reached -> RateLimitError with Retry-After',
	    async () => {
		const kt = mk(process.env.KEY_TPM);
		await ask(kt, 'mock-chat');
		await ask(kt, 'mock-chat');		// 14 of 10 tokens
		const e = await expectError(OpenAI.RateLimitError, () =>
		    ask(kt, 'mock-chat'));
		assert.strictEqual(e.code, 'rate_limit_exceeded');
		assert.ok(Number(e.headers.get('retry-after')) >= 1);
	});
	await check('rpm reached -> RateLimitError', async () => {
		const kr = mk(process.env.KEY_RPM);
		for (let i = 0; i < 3; i++)
			await ask(kr, 'mock-chat');
		await expectError(OpenAI.RateLimitError, () =>
		    ask(kr, 'mock-chat'));
	});
	if (failed > 0)
		process.exit(1);
})();
