#!/usr/bin/env node
// tests/llm/mock-openai.js — a fake OpenAI-compatible upstream for the
// proxy's tests and benchmark.  Deterministic answers (fixed ids and
// timestamps) so a response through the proxy can be compared byte for
// byte with the same request sent here directly.
//
//   node mock-openai.js --port P [--name N] [--models a,b] [--pace-ms 20]
//                       [--chunks 8] [--prefix /v1]
//
// Routes (under --prefix, default /v1): GET /models, POST
// /chat/completions, POST /completions, POST /embeddings.  Control (no
// prefix): POST /_mock/mode {"mode":"ok"|"500"|"429"|"401"|"400key"|"reset"|"hang"|"midreset"|
// "stall"|"dribble"|"malformed"|"slow","delay_ms":N,"pace_ms":N,"chunks":N,"split":bool,
// "null_usage":bool,"usage_tokens":N (prompt tokens each chat answer reports; 0: counted)}, GET /_mock/stats, POST /_mock/reset-stats.
// Streams: each event is one write (two writes with a pause when split),
// paced pace_ms apart (pace_ms 0: bursts of 1000, as fast as it goes); a
// usage-only event before [DONE] when the request
// had stream_options.include_usage.
'use strict';
const http = require('http');

const args = process.argv.slice(2);
function opt(name, def) {
	const i = args.indexOf('--' + name);
	return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
}
const port = Number(opt('port', '0'));
const name = opt('name', 'mock');
const prefix = opt('prefix', '/v1');
const models = opt('models', 'mock-chat,mock-embed').split(',');
const state = {
	mode: 'ok', delay_ms: 0, pace_ms: Number(opt('pace-ms', '20')),
	chunks: Number(opt('chunks', '8')), split: false, null_usage: false,
	usage_tokens: 0,
};
const stats = {
	requests: 0, by_path: {}, streams_open: 0, streams_done: 0,
	streams_aborted: 0, last_body: null, last_closed_at: 0,
};

function send(res, status, obj) {
	const body = JSON.stringify(obj);
	res.writeHead(status, { 'Content-Type': 'application/json',
	    'Content-Length': Buffer.byteLength(body) });
	res.end(body);
}

function words(v) {
	const s = typeof v === 'string' ? v : JSON.stringify(v || '');
	return s.split(/\s+/).filter(Boolean).length;
}

// Agents (issue 18): with `tools` in the request and no "tool" message
// yet, the answer calls the calculator on the last arithmetic expression
// of the user's message (two calls in one answer when it says
// "parallel"); "call NAME {json}" (several separated by ";") calls
// those tools with those arguments instead. After the tool messages, it
// answers with their results.
// Without tools, a ReAct system prompt ("Action Input:") gets a
// Thought/Action/Action Input answer, then after an "Observation:" a
// Final Answer; a request for a numbered plan gets a plan.
function expressionOf(text) {
	const m = String(text || '').match(/[-+*\/%^().\d\s]*\d[-+*\/%^().\d\s]*/g) || [];
	const e = m.map((x) => x.trim()).filter((x) => /\d\s*[-+*\/%^]\s*[\d(]/.test(x));
	return e.length ? e[e.length - 1] : '1+1';
}

function lastOf(msgs, role) {
	for (let i = msgs.length - 1; i >= 0; i--)
		if (msgs[i].role === role)
			return msgs[i];
	return null;
}

function resultOf(text) {
	try {
		const o = JSON.parse(text);
		return o.result !== undefined ? String(o.result) :
		    JSON.stringify(o);
	} catch (e) {
		return String(text);
	}
}

function agentMessage(req) {
	const msgs = Array.isArray(req.messages) ? req.messages : [];
	const user = lastOf(msgs, 'user');
	const sys = lastOf(msgs, 'system');
	if (Array.isArray(req.tools) && req.tools.length) {
		const tools = msgs.filter((m) => m.role === 'tool');
		if (tools.length)
			return { role: 'assistant', content: 'The answer is ' +
			    tools.map((t) => resultOf(t.content)).join(' and ') +
			    '.' };
		const named = String(user && user.content).split(/;\s*/)
		    .map((x) => x.match(/^\s*call ([a-z][a-z0-9_]*) (\{.*\})\s*$/))
		    .filter(Boolean);
		if (named.length)
			return { role: 'assistant', content: null, tool_calls:
			    named.map((m, i) => ({ id: 'call_' + (i + 1),
			    type: 'function', function: { name: m[1],
			    arguments: m[2] } })) };
		const expr = expressionOf(user && user.content);
		const calls = [{ id: 'call_1', type: 'function', function: {
		    name: 'calculator',
		    arguments: JSON.stringify({ expression: expr }) } }];
		if (/parallel/.test(user && user.content))
			calls.push({ id: 'call_2', type: 'function', function: {
			    name: 'calculator',
			    arguments: JSON.stringify({ expression: expr +
			    '*2' }) } });
		return { role: 'assistant', content: null, tool_calls: calls };
	}
	if (sys && /^You translate questions into one read-only SQL/.test(sys.content)) {
		// Text to SQL: a table of the context the question names.
		const tables = [...sys.content.matchAll(/^Table: ([^.\s]+)\.(\w+)/gm)].map((m) => m[2]);
		const q = String(user && user.content).toLowerCase();
		const t = tables.find((x) => q.includes(x.replace(/s$/, ''))) || tables[0] || 'missing';
		const sql = /drop/.test(q) ? 'DROP TABLE ' + t :
		    /bogus/.test(q) ? 'SELECT bogus_column FROM ' + t :
		    /how many/.test(q) ? 'SELECT COUNT(*) AS n FROM ' + t :
		    'SELECT * FROM ' + t;
		return { role: 'assistant', content: '```sql\n' + sql + ';\n```' };
	}
	if (sys && /numbered plan/.test(sys.content))
		return { role: 'assistant', content: '1. Compute the ' +
		    'expression with the calculator.\n2. Give the result.' };
	if (sys && /Action Input:/.test(sys.content)) {
		const obs = lastOf(msgs, 'user');
		if (obs && /^Observation:/.test(obs.content))
			return { role: 'assistant', content: 'Thought: I know ' +
			    'the answer.\nFinal Answer: The answer is ' +
			    resultOf(obs.content.replace(/^Observation:\s*/, '')) +
			    '.' };
		const q = msgs.filter((m) => m.role === 'user')[0];
		return { role: 'assistant', content: 'Thought: I should ' +
		    'compute it.\nAction: calculator\nAction Input: ' +
		    JSON.stringify({ expression: expressionOf(q && q.content) }) };
	}
	return null;
}

function chatBody(req) {
	// usage_tokens: what each answer says it cost (the token limits).
	const pt = state.usage_tokens > 0 ? state.usage_tokens :
	    words(req.messages);
	const am = agentMessage(req);
	if (am)
		return { id: 'chatcmpl-mock', object: 'chat.completion',
		    created: 1700000000, model: req.model,
		    choices: [{ index: 0, message: am, logprobs: null,
		    finish_reason: am.tool_calls ? 'tool_calls' : 'stop' }],
		    usage: { prompt_tokens: pt, completion_tokens: 12,
		    total_tokens: pt + 12 } };
	return { id: 'chatcmpl-mock', object: 'chat.completion',
	    created: 1700000000, model: req.model,
	    choices: [{ index: 0, message: { role: 'assistant',
	    content: 'Hello from ' + name + '.' }, logprobs: null,
	    finish_reason: 'stop' }],
	    usage: { prompt_tokens: pt, completion_tokens: 4,
	    total_tokens: pt + 4 } };
}

function chunk(req, i, n, chat) {
	const c = chat ?
	    { index: 0, delta: i === 0 ? { role: 'assistant', content: '' } :
	    { content: 'tok' + i + ' ' }, logprobs: null,
	    finish_reason: i === n - 1 ? 'stop' : null } :
	    { index: 0, text: 'tok' + i + ' ', logprobs: null,
	    finish_reason: i === n - 1 ? 'stop' : null };
	const o = { id: chat ? 'chatcmpl-mock' : 'cmpl-mock',
	    object: chat ? 'chat.completion.chunk' : 'text_completion',
	    created: 1700000000, model: req.model, choices: [c] };
	if (state.null_usage)
		o.usage = null;
	return 'data: ' + JSON.stringify(o) + '\n\n';
}

function usageEvent(req, n, chat) {
	const pt = words(chat ? req.messages : req.prompt);
	return 'data: ' + JSON.stringify({ id: chat ? 'chatcmpl-mock' :
	    'cmpl-mock', object: chat ? 'chat.completion.chunk' :
	    'text_completion', created: 1700000000, model: req.model,
	    choices: [], usage: { prompt_tokens: pt, completion_tokens: n,
	    total_tokens: pt + n } }) + '\n\n';
}

function stream(req, res, chat) {
	const n = state.chunks;
	const events = [];
	for (let i = 0; i < n; i++)
		events.push(chunk(req, i, n, chat));
	if (req.stream_options && req.stream_options.include_usage)
		events.push(usageEvent(req, n, chat));
	events.push('data: [DONE]\n\n');
	res.writeHead(200, { 'Content-Type': 'text/event-stream',
	    'Cache-Control': 'no-cache' });
	stats.streams_open++;
	let i = 0, finished = false, timer = null;
	res.on('close', () => {
		stats.streams_open--;
		stats.last_closed_at = Date.now();
		if (!finished)
			stats.streams_aborted++;
		if (timer)
			clearTimeout(timer);
	});
	const next = () => {
		if (state.mode === 'midreset' && i === 3) {
			res.socket.destroy();
			return;
		}
		if (state.mode === 'stall' && i === 3)
			return;	/* silent from here on, the connection open */
		if (state.mode === 'malformed' && i === 2)
			res.write('data: {"id":"broken",\n\n');
		if (i >= events.length) {
			finished = true;
			stats.streams_done++;
			res.end();
			return;
		}
		const ev = events[i++];
		if (state.split) {
			const cut = Math.max(1, ev.length - 3);
			res.write(ev.slice(0, cut));
			timer = setTimeout(() => {
				res.write(ev.slice(cut));
				timer = setTimeout(next, state.pace_ms);
			}, 5);
		} else if (state.pace_ms === 0) {
			/* As fast as it goes: a burst of events per tick. */
			res.write(ev);
			for (let k = 0; k < 999 && i < events.length - 1; k++)
				res.write(events[i++]);
			timer = setTimeout(next, 0);
		} else {
			res.write(ev);
			timer = setTimeout(next, state.pace_ms);
		}
	};
	next();
}

function embedding(text, i, b64) {
	const v = new Float32Array(8);
	for (let k = 0; k < 8; k++)
		v[k] = ((text.length + k * 7 + i) % 13) / 13 - 0.5;
	return b64 ? Buffer.from(v.buffer).toString('base64') : Array.from(v);
}

function embeddings(req, res) {
	const input = Array.isArray(req.input) ? req.input : [req.input];
	const b64 = req.encoding_format === 'base64';
	send(res, 200, { object: 'list', data: input.map((t, i) => ({
	    object: 'embedding', index: i,
	    embedding: embedding(String(t), i, b64) })), model: req.model,
	    usage: { prompt_tokens: input.length * 2,
	    total_tokens: input.length * 2 } });
}

function control(req, res, body) {
	if (req.url === '/_mock/stats')
		return send(res, 200, stats);
	if (req.url === '/_mock/reset-stats') {
		Object.assign(stats, { requests: 0, by_path: {},
		    streams_done: 0, streams_aborted: 0, last_body: null });
		return send(res, 200, stats);
	}
	const m = JSON.parse(body || '{}');
	Object.assign(state, m);
	return send(res, 200, state);
}

function api(req, res, body) {
	const path = req.url.slice(prefix.length);
	let o = {};
	if (req.method === 'POST') {
		try { o = JSON.parse(body); } catch (e) {
			return send(res, 400, { error: { message: 'bad json',
			    type: 'invalid_request_error', param: null,
			    code: null } });
		}
	}
	if (path === '/models' && req.method === 'GET')
		return send(res, 200, { object: 'list', data: models.map((id) =>
		    ({ id, object: 'model', created: 0, owned_by: name })) });
	if (path !== '/chat/completions' && path !== '/completions' &&
	    path !== '/embeddings')
		return send(res, 404, { error: { message: 'no route',
		    type: 'invalid_request_error', param: null, code: null } });
	if (!models.includes(o.model))
		return send(res, 404, { error: { message: 'The model `' +
		    o.model + '` does not exist.', type: 'NotFoundError',
		    param: null, code: 404 } });
	if (state.mode === '429')
		return send(res, 429, { error: { message: 'mock rate limit',
		    type: 'requests', param: null, code: 'rate_limit_exceeded' } });
	// OpenAI's answer to a refused key quotes part of it; "400key" is
	// another 4xx whose body holds a key, to be redacted on the way.
	if (state.mode === '401')
		return send(res, 401, { error: { message: 'Incorrect API key ' +
		    'provided: sk-abc123***************************xyz9. You ' +
		    'can find your API key at https://platform.openai.com/' +
		    'account/api-keys.', type: 'invalid_request_error',
		    param: null, code: 'invalid_api_key' } });
	if (state.mode === '400key')
		return send(res, 400, { error: { message: 'Bad request for ' +
		    'key sk-proj-LEAKED0123456789abcdef.', type:
		    'invalid_request_error', param: null, code: null } });
	if (state.mode === '500')
		return send(res, 500, { error: { message: 'mock failure',
		    type: 'server_error', param: null, code: null } });
	if (state.mode === 'dribble') {
		/* JSON (even for a stream), one byte every pace_ms */
		res.writeHead(200, { 'Content-Type': 'application/json' });
		const text = JSON.stringify({ id: 'dribble', choices: [] });
		let i = 0;
		const tick = () => {
			if (i >= text.length)
				return res.end();
			res.write(text[i++]);
			setTimeout(tick, state.pace_ms);
		};
		return tick();
	}
	if (path === '/embeddings')
		return embeddings(o, res);
	const chat = path === '/chat/completions';
	if (o.stream)
		return stream(o, res, chat);
	if (chat)
		return send(res, 200, chatBody(o));
	return send(res, 200, { id: 'cmpl-mock', object: 'text_completion',
	    created: 1700000000, model: o.model, choices: [{ index: 0,
	    text: 'Hello from ' + name + '.', logprobs: null,
	    finish_reason: 'stop' }], usage: { prompt_tokens: words(o.prompt),
	    completion_tokens: 4, total_tokens: words(o.prompt) + 4 } });
}

const server = http.createServer((req, res) => {
	let body = '';
	req.on('data', (d) => { body += d; });
	req.on('end', () => {
		if (req.url.startsWith('/_mock/'))
			return control(req, res, body);
		stats.requests++;
		stats.by_path[req.url] = (stats.by_path[req.url] || 0) + 1;
		if (req.method === 'POST')
			stats.last_body = body;
		if (state.mode === 'reset' && !req.url.endsWith('/models'))
			return req.socket.destroy();
		if (state.mode === 'hang' && !req.url.endsWith('/models'))
			return;
		const go = () => api(req, res, body);
		if (state.mode === 'slow' && !req.url.endsWith('/models'))
			setTimeout(go, state.delay_ms);
		else
			go();
	});
});
server.keepAliveTimeout = 60000;
server.listen(port, '127.0.0.1', () => {
	process.stdout.write(String(server.address().port) + '\n');
});
