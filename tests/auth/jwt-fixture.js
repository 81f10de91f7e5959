#!/usr/bin/env node
// tests/auth/jwt-fixture.js — test-only JWT material, built from Node's
// crypto module with keys made at test time (nothing private is committed).
//
//   keygen DIR NAME [BITS]      DIR/NAME.key.pem (private, PKCS#8) and
//                               DIR/NAME.jwk.json (public JWK, kid NAME)
//   jwks DIR OUT NAME...        OUT = {"keys":[DIR/NAME.jwk.json...]};
//                               NAME "enc:X" adds X as a use=enc key
//   mint [options]              print one compact JWS on stdout
//     --alg RS256|HS256|none    --key PEM_FILE (RS256)
//     --secret STRING | --secret-file FILE (HS256; a PEM file's bytes
//                               make the RS->HS key-confusion token)
//     --kid K  --claims JSON  --header JSON (merged into the header)
//     --claims-raw TEXT (the claims exactly as given)
//     --tamper                  change the payload after signing
//     --badsig                  flip a bit of the signature
//   serve DIR PORTFILE          HTTP on 127.0.0.1, port 0 (written to
//                               PORTFILE): GET /SET/.../certs ->
//                               DIR/SET.jwks.json (DIR/SET.status: answer
//                               that status instead), GET /count/SET ->
//                               {"certs":n}, POST .../token (refresh grant:
//                               "good-refresh" works, others get 400),
//                               POST .../logout (204 for "good-refresh",
//                               503 for "down-refresh", others 400).
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const path = require('path');

function b64u(buf) {
	return Buffer.from(buf).toString('base64url');
}

function keygen(dir, name, bits) {
	const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', {
		modulusLength: bits ? Number(bits) : 2048,
	});
	fs.writeFileSync(path.join(dir, name + '.key.pem'),
	    privateKey.export({ type: 'pkcs8', format: 'pem' }),
	    { mode: 0o600 });
	fs.writeFileSync(path.join(dir, name + '.pub.pem'),
	    publicKey.export({ type: 'spki', format: 'pem' }));
	const jwk = publicKey.export({ format: 'jwk' });
	jwk.kid = name;
	jwk.use = 'sig';
	jwk.alg = 'RS256';
	fs.writeFileSync(path.join(dir, name + '.jwk.json'),
	    JSON.stringify(jwk));
}

function jwks(dir, out, names) {
	const keys = names.map((n) => {
		const enc = n.startsWith('enc:');
		const k = JSON.parse(fs.readFileSync(path.join(dir,
		    (enc ? n.slice(4) : n) + '.jwk.json')));
		if (enc) {
			k.use = 'enc';
			k.alg = 'RSA-OAEP';
		}
		return k;
	});
	fs.writeFileSync(out + '.tmp', JSON.stringify({ keys }));
	fs.renameSync(out + '.tmp', out);
}

function opts(argv) {
	const o = {};
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '--tamper' || a === '--badsig')
			o[a.slice(2)] = true;
		else
			o[a.slice(2)] = argv[++i];
	}
	return o;
}

function mint(o) {
	const alg = o.alg || 'RS256';
	const header = Object.assign({ alg, typ: 'JWT' },
	    o.kid ? { kid: o.kid } : {},
	    o.header ? JSON.parse(o.header) : {});
	const claims = o.claims ? JSON.parse(o.claims) : {};
	// --claims-raw: the bytes as given (numbers JavaScript cannot hold).
	const input = b64u(JSON.stringify(header)) + '.' +
	    b64u(o['claims-raw'] !== undefined ? o['claims-raw'] :
	    JSON.stringify(claims));
	let sig;
	if (alg === 'none') {
		sig = Buffer.alloc(0);
	} else if (alg === 'HS256') {
		const key = o['secret-file'] ?
		    fs.readFileSync(o['secret-file']) : Buffer.from(o.secret);
		sig = crypto.createHmac('sha256', key).update(input).digest();
	} else {
		const key = crypto.createPrivateKey(fs.readFileSync(o.key));
		sig = crypto.sign('sha256', Buffer.from(input), key);
	}
	if (o.badsig && sig.length > 0)
		sig[sig.length - 1] ^= 1;
	let payload = input.split('.')[1];
	if (o.tamper) {
		claims.realm_access = { roles: ['admin'] };
		payload = b64u(JSON.stringify(claims));
	}
	process.stdout.write(input.split('.')[0] + '.' + payload + '.' +
	    b64u(sig) + '\n');
}

function serve(dir, portfile) {
	const certs = {};
	const srv = http.createServer((req, res) => {
		let body = '';
		req.on('data', (d) => { body += d; });
		req.on('end', () => {
			const json = (st, o) => {
				res.writeHead(st, {
				    'Content-Type': 'application/json' });
				res.end(JSON.stringify(o));
			};
			const set = (req.url.split('/')[1] || '')
			    .replace(/[^A-Za-z0-9_-]/g, '');
			if (req.method === 'GET' &&
			    req.url.startsWith('/count/'))
				return json(200, {
				    certs: certs[req.url.slice(7)] || 0 });
			if (req.method === 'GET' &&
			    req.url.endsWith('/certs') && set !== '') {
				certs[set] = (certs[set] || 0) + 1;
				const stf = path.join(dir, set + '.status');
				const f = path.join(dir, set + '.jwks.json');
				if (fs.existsSync(stf))
					return json(Number(fs.readFileSync(stf,
					    'utf8')), { error: 'injected' });
				if (!fs.existsSync(f))
					return json(404, { error: 'no_set' });
				res.writeHead(200, {
				    'Content-Type': 'application/json' });
				return res.end(fs.readFileSync(f));
			}
			if (req.method === 'POST' &&
			    req.url.endsWith('/token')) {
				const f = new URLSearchParams(body);
				if (f.get('grant_type') === 'refresh_token' &&
				    f.get('client_id') &&
				    f.get('refresh_token') === 'good-refresh')
					return json(200, {
					    access_token: 'new-access',
					    refresh_token: 'new-refresh',
					    expires_in: 300,
					    refresh_expires_in: 1800,
					    token_type: 'Bearer' });
				return json(400, { error: 'invalid_grant' });
			}
			if (req.method === 'POST' &&
			    req.url.endsWith('/logout')) {
				const f = new URLSearchParams(body);
				if (!f.get('client_id'))
					return json(401, {
					    error: 'unauthorized_client' });
				if (f.get('refresh_token') === 'down-refresh')
					return json(503, { error: 'down' });
				if (f.get('refresh_token') === 'good-refresh') {
					res.writeHead(204);
					return res.end();
				}
				return json(400, { error: 'invalid_grant' });
			}
			json(404, { error: 'not_found' });
		});
	});
	srv.listen(0, '127.0.0.1', () => {
		fs.writeFileSync(portfile + '.tmp', String(srv.address().port));
		fs.renameSync(portfile + '.tmp', portfile);
	});
	process.on('SIGTERM', () => process.exit(0));
}

const [cmd, ...args] = process.argv.slice(2);
switch (cmd) {
case 'keygen':
	keygen(args[0], args[1], args[2]);
	break;
case 'jwks':
	jwks(args[0], args[1], args.slice(2));
	break;
case 'mint':
	mint(opts(args));
	break;
case 'serve':
	serve(args[0], args[1]);
	break;
default:
	process.stderr.write('usage: jwt-fixture.js keygen|jwks|mint|serve\n');
	process.exit(2);
}
