// tests/llm/sdk-acceptance.js — the official `openai` npm package against
// the proxy through nginx.  Run by tests/integration/proxy-openai-sdk.sh
// with NODE_PATH pointing at a scratch install of openai@6.49.0.
//
// Env: PROXY_URL (http://127.0.0.1:PORT, nginx), MOCK_A and MOCK_B (the
// two fake upstreams: A is "vllm", B is "ollama"), API_KEY, BAD_KEY (when
// set, a 401 is expected with it), COOLDOWN_MS (breaker cooldown).
'use strict';
const OpenAI = require('openai');
const assert = require('assert');

const proxy = process.env.PROXY_URL + '/v1';
const A = process.env.MOCK_A, B = process.env.MOCK_B;
const cooldown = Number(process.env.COOLDOWN_MS || '1500');
const client = new OpenAI({ baseURL: proxy, apiKey: process.env.API_KEY,
    maxRetries: 0, timeout: 20000 });
let failed = 0;

async function ctl(base, path, body) {
	const r = await fetch(base + path, { method: body ? 'POST' : 'GET',
	    body: body ? JSON.stringify(body) : undefined });
	return r.json();
}
const mode = (base, m) => ctl(base, '/_mock/mode', Object.assign({
    mode: 'ok', pace_ms: 20, chunks: 8, split: false, delay_ms: 0 }, m));
const stats = (base) => ctl(base, '/_mock/stats');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function check(name, fn) {
	const t0 = Date.now();
	try {
		await fn();
		console.log(`ok - ${name} (${Date.now() - t0} ms)`);
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

async function collect(stream) {
	const out = [];
	for await (const c of stream)
		out.push({ t: Date.now(), c });
	return out;
}

async function main() {
	await mode(A, {});
	await mode(B, {});

	await check('models.list has the upstream and built-in models',
	    async () => {
		const ids = [];
		for await (const m of client.models.list())
			ids.push(m.id);
		for (const want of ['mock-chat', 'mock-embed',
		    'ods-hash-embed-384', 'gpt-4o-mini'])
			assert.ok(ids.includes(want), `${want} in ${ids}`);
	});

	await check('chat non-stream (alias gpt-4o-mini)', async () => {
		const r = await client.chat.completions.create({
		    model: 'gpt-4o-mini', temperature: 0.25, top_p: 0.5,
		    stop: ['\n\n'], seed: 7, user: 'sdk',
		    messages: [{ role: 'user', content: 'say hello' }] });
		assert.strictEqual(r.choices[0].message.content,
		    'Hello from mock.');
		assert.strictEqual(r.usage.prompt_tokens, 2);
		const fwd = JSON.parse((await stats(A)).last_body);
		assert.strictEqual(fwd.model, 'mock-chat');
		assert.strictEqual(fwd.top_p, 0.5);
		assert.deepStrictEqual(fwd.stop, ['\n\n']);
		assert.strictEqual(fwd.seed, 7);
		assert.strictEqual(fwd.user, 'sdk');
	});

	await check('completions non-stream', async () => {
		const r = await client.completions.create({ model: 'mock-chat',
		    prompt: 'one two three' });
		assert.strictEqual(r.choices[0].text, 'Hello from mock.');
	});

	await check('stream arrives paced as the upstream sends it',
	    async () => {
		await mode(A, { pace_ms: 150, chunks: 6 });
		const t0 = Date.now();
		const s = await client.chat.completions.create({
		    model: 'mock-chat', stream: true,
		    messages: [{ role: 'user', content: 'x' }] });
		const got = await collect(s);
		assert.strictEqual(got.length, 6);
		const text = got.map((g) =>
		    g.c.choices[0].delta.content).join('');
		assert.strictEqual(text, 'tok1 tok2 tok3 tok4 tok5 ');
		for (let i = 1; i < got.length; i++) {
			const gap = got[i].t - got[i - 1].t;
			assert.ok(gap >= 100 && gap < 400,
			    `gap ${i} = ${gap} ms`);
		}
		assert.ok(got[0].t - t0 < 300, `first after ${got[0].t - t0}`);
		assert.ok(got.every((g) => !g.c.usage),
		    'usage chunk leaked to a client that did not ask');
	});

	await check('stream with include_usage keeps the usage event',
	    async () => {
		await mode(A, { chunks: 3, split: true });
		const s = await client.chat.completions.create({
		    model: 'mock-chat', stream: true,
		    stream_options: { include_usage: true },
		    messages: [{ role: 'user', content: 'a b c' }] });
		const got = await collect(s);
		assert.strictEqual(got.length, 4);
		assert.strictEqual(got[3].c.usage.completion_tokens, 3);
		assert.strictEqual(got[3].c.choices.length, 0);
	});

	await check('embeddings float and base64 (built-in) decode equal',
	    async () => {
		const input = ['the quick brown fox', '数据治理平台'];
		const f = await client.embeddings.create({
		    model: 'ods-hash-embed-384', input,
		    encoding_format: 'float' });
		const b = await client.embeddings.create({
		    model: 'ods-hash-embed-384', input });
		assert.strictEqual(f.data.length, 2);
		assert.strictEqual(f.data[0].embedding.length, 384);
		for (let i = 0; i < 2; i++)
			assert.deepStrictEqual(b.data[i].embedding,
			    Array.from(Float32Array.from(f.data[i].embedding)));
		assert.strictEqual(f.model, 'ods-hash-embed-384');
		assert.ok(f.usage.prompt_tokens > 0);
	});

	await check('embeddings via the upstream, float and base64',
	    async () => {
		const f = await client.embeddings.create({ model: 'mock-embed',
		    input: 'hello', encoding_format: 'float' });
		const b = await client.embeddings.create({ model: 'mock-embed',
		    input: 'hello' });
		assert.strictEqual(f.data[0].embedding.length, 8);
		assert.deepStrictEqual(b.data[0].embedding,
		    f.data[0].embedding);
	});

	await check('unknown model -> NotFoundError (404)', async () => {
		const e = await expectError(OpenAI.NotFoundError, () =>
		    client.chat.completions.create({ model: 'no-such-model',
		    messages: [{ role: 'user', content: 'x' }] }));
		assert.strictEqual(e.code, 'model_not_found');
	});

	await check('bad input -> BadRequestError (400), never 500',
	    async () => {
		await expectError(OpenAI.BadRequestError, () =>
		    client.chat.completions.create({ model: 'mock-chat',
		    messages: 'not an array' }));
		await expectError(OpenAI.BadRequestError, () =>
		    client.chat.completions.create({ model: 'mock-chat',
		    messages: [], stream: 'yes' }));
		await expectError(OpenAI.BadRequestError, () =>
		    client.embeddings.create({ model: 'ods-hash-embed-384',
		    input: [1, 2, 3] }));
	});

	if (process.env.BAD_KEY)
		await check('bad key -> AuthenticationError (401)', async () => {
			const bad = new OpenAI({ baseURL: proxy, maxRetries: 0,
			    apiKey: process.env.BAD_KEY });
			await expectError(OpenAI.AuthenticationError, () =>
			    bad.models.list());
		});

	await check('upstream 429 everywhere -> RateLimitError', async () => {
		await mode(A, { mode: '429' });
		await mode(B, { mode: '429' });
		await expectError(OpenAI.RateLimitError, () =>
		    client.chat.completions.create({ model: 'mock-chat',
		    messages: [{ role: 'user', content: 'x' }] }));
		await mode(A, {});
		await mode(B, {});
	});

	await check('fallback before the first byte: A 500 -> B answers',
	    async () => {
		await mode(A, { mode: '500' });
		const r = await client.chat.completions.create({
		    model: 'mock-chat',
		    messages: [{ role: 'user', content: 'x' }] });
		assert.strictEqual(r.choices[0].message.content,
		    'Hello from mockB.');
		await mode(A, { mode: 'reset' });
		const s = await client.chat.completions.create({
		    model: 'mock-chat', stream: true,
		    messages: [{ role: 'user', content: 'x' }] });
		assert.strictEqual((await collect(s)).length, 8);
		await mode(A, { mode: 'slow', delay_ms: 3000 });
		const t0 = Date.now();
		const r2 = await client.chat.completions.create({
		    model: 'mock-chat',
		    messages: [{ role: 'user', content: 'x' }] });
		assert.strictEqual(r2.choices[0].message.content,
		    'Hello from mockB.');
		assert.ok(Date.now() - t0 < 2500, 'first-byte timeout');
	});

	await check('breaker opens after failures and recovers', async () => {
		await mode(A, { mode: '500' });
		await ctl(A, '/_mock/reset-stats', {});
		for (let i = 0; i < 6; i++)
			await client.chat.completions.create({
			    model: 'mock-chat',
			    messages: [{ role: 'user', content: 'x' }] });
		const seen = (await stats(A)).requests;
		const h = await (await fetch(process.env.PROXY_URL +
		    '/health')).json();
		const st = h.backends.find((b) => b.name === 'vllm').state;
		assert.strictEqual(st, 'open', JSON.stringify(h));
		// Two workers, each with its own breaker: at most 2 x 3 tries.
		assert.ok(seen <= 6, `A saw ${seen} requests`);
		await mode(A, {});
		await sleep(cooldown + 300);
		let fromA = 0;
		for (let i = 0; i < 6; i++) {
			const r = await client.chat.completions.create({
			    model: 'mock-chat',
			    messages: [{ role: 'user', content: 'x' }] });
			if (r.choices[0].message.content === 'Hello from mock.')
				fromA++;
		}
		assert.ok(fromA >= 4, `A answered ${fromA} of 6 after recovery`);
	});

	await check('upstream breaks mid-stream -> error event (APIError)',
	    async () => {
		await mode(A, { mode: 'midreset' });
		const s = await client.chat.completions.create({
		    model: 'mock-chat', stream: true,
		    messages: [{ role: 'user', content: 'x' }] });
		let n = 0;
		const e = await expectError(OpenAI.APIError, async () => {
			for await (const c of s)
				n++;
		});
		assert.strictEqual(n, 3);
		assert.match(e.message, /backend failed during the stream/);
		await mode(A, {});
	});

	await check('client gone mid-stream -> upstream closed within 1 s',
	    async () => {
		await mode(A, { pace_ms: 200, chunks: 100 });
		await mode(B, { pace_ms: 200, chunks: 100 });
		const before = (await stats(A)).streams_aborted +
		    (await stats(B)).streams_aborted;
		const ac = new AbortController();
		const s = await client.chat.completions.create({
		    model: 'mock-chat', stream: true,
		    messages: [{ role: 'user', content: 'x' }] },
		    { signal: ac.signal });
		let n = 0, t;
		try {
			for await (const c of s) {
				if (++n === 2) {
					t = Date.now();
					ac.abort();
				}
			}
		} catch (e) { /* aborted */ }
		let after = before;
		while (Date.now() - t < 3000) {
			after = (await stats(A)).streams_aborted +
			    (await stats(B)).streams_aborted;
			if (after > before)
				break;
			await sleep(50);
		}
		const dt = Date.now() - t;
		assert.ok(after > before, 'upstream stream never closed');
		assert.ok(dt < 1000, `upstream closed after ${dt} ms`);
		await mode(A, {});
		await mode(B, {});
	});

	if (failed > 0) {
		console.log(`${failed} check(s) failed`);
		process.exit(1);
	}
}

main().catch((e) => {
	console.log('not ok - ' + (e && e.stack || e));
	process.exit(1);
});
