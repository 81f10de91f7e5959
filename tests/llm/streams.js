#!/usr/bin/env node
// tests/llm/streams.js — concurrent SSE streams against a chat completions
// URL, for the proxy's benchmark: every event is parsed on its own (a
// merged or cut event fails JSON parsing), contents must arrive complete
// and in order, and the time to the first event and the longest gap
// between events are measured per stream.
//
//   node streams.js URL CONCURRENCY ROUNDS CHUNKS [MODEL]
// prints one JSON line: {streams, ok, lost, merged, errors, ttft_p50_ms,
// ttft_p99_ms, gap_max_ms, gap_p99_ms, wall_s}; MODEL is mock-chat unless
// given.
'use strict';
const http = require('http');

const [url, conc, rounds, chunks, model] = [process.argv[2],
    Number(process.argv[3] || 1), Number(process.argv[4] || 1),
    Number(process.argv[5] || 8), process.argv[6] || 'mock-chat'];
const agent = new http.Agent({ keepAlive: true, maxSockets: conc * 2 });
const body = JSON.stringify({ model, stream: true,
    messages: [{ role: 'user', content: 'bench' }] });
const res = { streams: 0, ok: 0, lost: 0, merged: 0, errors: 0 };
const ttft = [], gaps = [];

function one() {
	return new Promise((resolve) => {
		const t0 = process.hrtime.bigint();
		let last = null, buf = '', n = 0, bad = 0, maxGap = 0, done = false;
		const req = http.request(url, { method: 'POST', agent,
		    headers: { 'Content-Type': 'application/json',
		    'Content-Length': Buffer.byteLength(body) } }, (r) => {
			r.setEncoding('utf8');
			r.on('data', (d) => {
				buf += d;
				let i;
				while ((i = buf.indexOf('\n\n')) >= 0) {
					const ev = buf.slice(0, i);
					buf = buf.slice(i + 2);
					const now = process.hrtime.bigint();
					if (last === null)
						ttft.push(Number(now - t0) / 1e6);
					else
						maxGap = Math.max(maxGap,
						    Number(now - last) / 1e6);
					last = now;
					const data = ev.replace(/^data: /, '');
					if (data === '[DONE]') {
						done = true;
						continue;
					}
					try {
						const o = JSON.parse(data);
						const c = o.choices[0].delta.content;
						if (n > 0 && c !== 'tok' + n + ' ')
							bad++;
						n++;
					} catch (e) {
						bad++;
					}
				}
			});
			r.on('end', () => {
				res.streams++;
				if (bad)
					res.merged++;
				else if (n !== chunks || !done)
					res.lost++;
				else
					res.ok++;
				gaps.push(maxGap);
				resolve();
			});
		});
		req.on('error', () => { res.streams++; res.errors++; resolve(); });
		req.end(body);
	});
}

function pct(a, p) {
	if (a.length === 0)
		return 0;
	const s = a.slice().sort((x, y) => x - y);
	return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

(async () => {
	const t0 = Date.now();
	for (let r = 0; r < rounds; r++)
		await Promise.all(Array.from({ length: conc }, one));
	res.ttft_p50_ms = +pct(ttft, 0.5).toFixed(3);
	res.ttft_p99_ms = +pct(ttft, 0.99).toFixed(3);
	res.gap_p99_ms = +pct(gaps, 0.99).toFixed(3);
	res.gap_max_ms = +Math.max(0, ...gaps).toFixed(3);
	res.wall_s = (Date.now() - t0) / 1000;
	console.log(JSON.stringify(res));
	agent.destroy();
})();
