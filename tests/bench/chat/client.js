// tests/bench/chat/client.js — one row of the chat bench: N calls one after
// another (1 in flight, keep-alive), each timed to its end (whole answers)
// or to its first SSE frame (streams); prints the milliseconds, one a line.
//   node client.js URL BODY_JSON N [stream] [AUTH]
'use strict';
const http = require('http');
const [url, body, n, mode, auth] = process.argv.slice(2);
const u = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const stream = mode === 'stream';

function once() {
	return new Promise((resolve, reject) => {
		const t0 = process.hrtime.bigint();
		let first = null;
		const headers = { 'Content-Type': 'application/json',
		    'Content-Length': Buffer.byteLength(body) };
		if (auth)
			headers.Authorization = auth;
		const req = http.request({ host: u.hostname, port: u.port,
		    path: u.pathname, method: 'POST', agent, headers }, (res) => {
			let buf = '';
			res.on('data', (d) => {
				buf += d;
				if (stream && first === null && buf.includes('data:'))
					first = process.hrtime.bigint();
			});
			res.on('end', () => {
				if (res.statusCode !== 200)
					return reject(new Error(res.statusCode + ' ' + buf));
				const t = stream ? first : process.hrtime.bigint();
				resolve(Number(t - t0) / 1e6);
			});
		});
		req.on('error', reject);
		req.end(body);
	});
}

(async () => {
	const out = [];
	for (let i = 0; i < Number(n); i++)
		out.push((await once()).toFixed(3));
	process.stdout.write(out.join('\n') + '\n');
	agent.destroy();
})().catch((e) => { console.error(e.message); process.exit(1); });
