// tests/lib/fcgi-close.js — one FastCGI request, as nginx sends it, to a
// pool's unix socket; then this side stays open and finds when the pool
// has closed the connection for good: a byte written every 25 ms fails
// (EPIPE) once it has. A FIN alone is not that: libfcgi shuts its sending
// side first, then reads until the web server closes (its lingering close)
// and holds the thread meanwhile. Prints one JSON line:
//   {"status": "<the Status header>", "close_ms": <ms from FCGI_END_REQUEST
//    to the pool's close, or null when it did not close within WAIT_MS>}
//
// usage: node fcgi-close.js SOCKET METHOD PATH [BODY_LENGTH [BYTES_SENT]]
// A body of BODY_LENGTH bytes is announced (CONTENT_LENGTH); BYTES_SENT of
// them are sent (all by default), and the empty FCGI_STDIN record that ends
// the body only when all were. FCGI_AUTHORIZATION in the environment is
// sent as the Authorization header.
'use strict';
const net = require('net');

const WAIT_MS = 4000;
const [sock, method, path, blen, bsent] = process.argv.slice(2);
if (!sock || !method || !path) {
	console.error('usage: node fcgi-close.js SOCKET METHOD PATH [BODY_LENGTH [BYTES_SENT]]');
	process.exit(2);
}
const bodyLen = blen ? Number(blen) : 0;
const sent = bsent !== undefined ? Number(bsent) : bodyLen;

function record(type, content) {
	const h = Buffer.alloc(8);
	h[0] = 1;			// version
	h[1] = type;
	h.writeUInt16BE(1, 2);		// request id
	h.writeUInt16BE(content.length, 4);
	return Buffer.concat([h, content]);
}

function pairLen(n) {
	if (n < 128)
		return Buffer.from([n]);
	const b = Buffer.alloc(4);
	b.writeUInt32BE((n | 0x80000000) >>> 0);
	return b;
}

function params(obj) {
	const parts = [];
	for (const [k, v] of Object.entries(obj)) {
		const kb = Buffer.from(k), vb = Buffer.from(v);
		parts.push(pairLen(kb.length), pairLen(vb.length), kb, vb);
	}
	return Buffer.concat(parts);
}

const env = {
	REQUEST_METHOD: method, REQUEST_URI: path, DOCUMENT_URI: path,
	SCRIPT_NAME: path, QUERY_STRING: '', SERVER_PROTOCOL: 'HTTP/1.1',
	GATEWAY_INTERFACE: 'CGI/1.1', REMOTE_ADDR: '127.0.0.1',
};
if (process.env.FCGI_AUTHORIZATION)
	env.HTTP_AUTHORIZATION = process.env.FCGI_AUTHORIZATION;
if (bodyLen > 0) {
	env.CONTENT_LENGTH = String(bodyLen);
	env.CONTENT_TYPE = 'application/json';
}
// BEGIN_REQUEST: role 1 (responder), flags 0 (the server closes).
const out = [record(1, Buffer.from([0, 1, 0, 0, 0, 0, 0, 0])),
	record(4, params(env)), record(4, Buffer.alloc(0))];
if (sent > 0)
	out.push(record(5, Buffer.alloc(sent, 0x20)));
if (sent >= bodyLen)
	out.push(record(5, Buffer.alloc(0)));

let buf = Buffer.alloc(0), stdout = '', ended = null, done = false;
const c = net.createConnection({ path: sock, allowHalfOpen: true });

function finish(closeMs) {
	if (done)
		return;
	done = true;
	const m = /^Status: ([^\r\n]*)/m.exec(stdout);
	console.log(JSON.stringify({ status: m ? m[1] : null, close_ms: closeMs }));
	c.destroy();
	process.exit(0);
}

function elapsed() {
	return Number(process.hrtime.bigint() - ended) / 1e6;
}

function probe() {
	if (done)
		return;
	if (elapsed() > WAIT_MS) {
		finish(null);
		return;
	}
	c.write(Buffer.from([0]));
	setTimeout(probe, 25);
}

c.on('connect', () => c.write(Buffer.concat(out)));
c.on('data', (d) => {
	buf = Buffer.concat([buf, d]);
	while (buf.length >= 8) {
		const type = buf[1], len = buf.readUInt16BE(4), pad = buf[6];
		if (buf.length < 8 + len + pad)
			break;
		if (type === 6)
			stdout += buf.subarray(8, 8 + len).toString();
		if (type === 3 && ended === null) {
			ended = process.hrtime.bigint();
			probe();
		}
		buf = buf.subarray(8 + len + pad);
	}
});
c.on('error', (e) => {
	if (ended !== null && (e.code === 'EPIPE' || e.code === 'ECONNRESET')) {
		finish(elapsed());
		return;
	}
	console.error(String(e));
	process.exit(1);
});
setTimeout(() => {
	if (ended === null) {
		console.error('no FCGI_END_REQUEST within 10 s');
		process.exit(1);
	}
}, 10000);
