#!/usr/bin/env node
// tests/openapi/validate.js — check HTTP answers against openapi/openapi.yaml.
//
//   node validate.js SPEC INDEX [--cover]
//   node validate.js --list SPEC
//
// --list prints the spec's operations, one "METHOD PATH" a line.
// INDEX has one answer per line, tab-separated:
//   SERVER  METHOD  PATH  STATUS  CONTENT-TYPE  BODYFILE
// SERVER is data, agent or proxy (the nginx server that answered), PATH
// the path as sent (a query is ignored), BODYFILE relative to INDEX's
// folder ("-" when the body was not kept).
//
// For a path and method of the spec: the status must be documented (the
// code, its "4XX" range, or "default"), the content type must be one of
// that response's, and a JSON body must be valid against its schema (ajv,
// JSON Schema 2020-12 as OpenAPI 3.1 uses it). For anything else (an
// unknown path, a method the path does not have): a success is an error
// (an undocumented route answered), an error must be JSON in the error
// shape of that server: OpenAIError for /v1/ on the proxy, Error elsewhere.
// With --cover, every operation of the spec must have been answered at
// least once with a checked body.
//
// Needs the npm packages yaml, ajv and ajv-formats (NODE_PATH).
'use strict';
const fs = require('fs');
const path = require('path');
const YAML = require('yaml');
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch',
    'trace'];
const SPEC_ID = 'ods-openapi';

function usage() {
	process.stderr.write('usage: validate.js SPEC INDEX [--cover]\n' +
	    '       validate.js --list SPEC\n');
	process.exit(2);
}

function list(spec) {
	for (const [t, item] of Object.entries(spec.paths || {}))
		for (const m of METHODS)
			if (item[m])
				process.stdout.write(`${m.toUpperCase()} ${t}\n`);
}

// '#/components/schemas/X' -> 'ods-openapi#/$defs/X': the spec's schemas
// are registered as the $defs of one schema, which every schema compiled
// on its own can reach.
function absRefs(v) {
	const pre = '#/components/schemas/';

	if (Array.isArray(v))
		return v.map(absRefs);
	if (v === null || typeof v !== 'object')
		return v;
	const o = {};
	for (const [k, x] of Object.entries(v))
		o[k] = k === '$ref' && typeof x === 'string' &&
		    x.startsWith(pre) ? SPEC_ID + '#/$defs/' +
		    x.slice(pre.length) : absRefs(x);
	return o;
}

// An OpenAPI-level $ref (responses, parameters) inside the spec.
function deref(spec, v) {
	let seen = 0;
	while (v && typeof v.$ref === 'string') {
		if (!v.$ref.startsWith('#/') || ++seen > 16)
			throw new Error('cannot resolve ' + v.$ref);
		v = v.$ref.slice(2).split('/').reduce((o, k) =>
		    o[k.replace(/~1/g, '/').replace(/~0/g, '~')], spec);
	}
	return v;
}

function compileTemplates(spec) {
	return Object.keys(spec.paths || {}).map((t) => {
		const segs = t.split('/').slice(1);
		const re = new RegExp('^/' + segs.map((s) => /^\{[^}]+\}$/.test(s) ?
		    '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('/') +
		    '$');
		return { template: t, re,
		    literal: segs.filter((s) => !s.startsWith('{')).length };
	});
}

// The spec's template for a request path: literal segments win, as in
// lib/server/ods_router.c.
function findTemplate(templates, p) {
	let best = null;
	for (const t of templates)
		if (t.re.test(p) && (best === null || t.literal > best.literal))
			best = t;
	return best;
}

function mediaType(ct) {
	return (ct || '').split(';')[0].trim().toLowerCase();
}

// The spec's media type for an answer's: the exact one, else its range
// (text/ plus a star), else the any-type range, as OpenAPI reads them (the
// more specific wins).
function mediaMatch(keys, mt) {
	const range = mt.split('/')[0] + '/*';
	return keys.find((k) => mediaType(k) === mt) ||
	    keys.find((k) => mediaType(k) === range) ||
	    keys.find((k) => mediaType(k) === '*/*');
}

function isJson(mt) {
	return mt === 'application/json' || /\+json$/.test(mt);
}

function pickResponse(op, status) {
	const r = op.responses || {};
	return r[String(status)] || r[String(status)[0] + 'XX'] ||
	    r[String(status)[0] + 'xx'] || r.default;
}

function main() {
	const argv = process.argv.slice(2);
	if (argv[0] === '--list' && argv.length === 2)
		return list(YAML.parse(fs.readFileSync(argv[1], 'utf8')));
	const cover = argv.includes('--cover');
	const files = argv.filter((a) => a !== '--cover');
	if (files.length !== 2)
		usage();
	const spec = YAML.parse(fs.readFileSync(files[0], 'utf8'));
	const index = files[1];
	const dir = path.dirname(index);
	const ajv = new Ajv2020({ allErrors: true, strict: true,
	    strictTypes: false, allowUnionTypes: true });
	addFormats(ajv);
	// OpenAPI 3.1's own annotations beside JSON Schema's.
	ajv.addVocabulary(['example', 'xml', 'externalDocs', 'discriminator']);
	ajv.addSchema({ $id: SPEC_ID,
	    $defs: absRefs((spec.components || {}).schemas || {}) });
	const templates = compileTemplates(spec);
	const cache = new Map();
	const validator = (key, schema) => {
		if (!cache.has(key))
			cache.set(key, ajv.compile(absRefs(schema)));
		return cache.get(key);
	};
	const errorShape = (server, p) => server === 'proxy' &&
	    p.startsWith('/v1/') ? 'OpenAIError' : 'Error';

	const failures = [];
	const covered = new Set();
	let checked = 0, unmatched = 0, textual = 0;
	const lines = fs.readFileSync(index, 'utf8').split('\n')
	    .filter((l) => l !== '');
	for (const line of lines) {
		const [server, method, rawPath, statusText, ct, bodyFile] =
		    line.split('\t');
		const status = Number(statusText);
		let p = rawPath.split(/[?#]/)[0];
		if (p.length > 1 && p.endsWith('/'))
			p = p.slice(0, -1);
		const what = `${method} ${rawPath} -> ${status} (${server})`;
		const fail = (why) => failures.push(`${what}: ${why}`);
		const mt = mediaType(ct);
		let body = null;
		const readJson = () => {
			const text = fs.readFileSync(path.join(dir, bodyFile),
			    'utf8');
			try {
				return JSON.parse(text);
			} catch (e) {
				fail(`body is not JSON (${e.message}): ` +
				    JSON.stringify(text.slice(0, 200)));
				return undefined;
			}
		};
		const t = findTemplate(templates, p);
		const op = t && spec.paths[t.template][method.toLowerCase()];
		if (!op) {
			unmatched++;
			if (status < 400) {
				fail('answered a path or method that is not ' +
				    'in the spec');
				continue;
			}
			if (!isJson(mt)) {
				fail('an error that is not JSON (' +
				    (ct || 'no Content-Type') + ')');
				continue;
			}
			if (bodyFile === '-' || (body = readJson()) === undefined)
				continue;
			const shape = errorShape(server, p);
			const v = validator('#' + shape, { $ref:
			    '#/components/schemas/' + shape });
			if (!v(body))
				fail(`not an ${shape}: ` + ajv.errorsText(v.errors,
				    { dataVar: 'body' }) + ': ' +
				    JSON.stringify(body).slice(0, 300));
			continue;
		}
		const resp = deref(spec, pickResponse(op, status));
		if (!resp || (status < 400 && resp === deref(spec,
		    op.responses.default))) {
			fail(`status ${status} is not documented for ` +
			    `${method} ${t.template}`);
			continue;
		}
		const content = resp.content || {};
		if (Object.keys(content).length === 0)
			continue;
		const media = mediaMatch(Object.keys(content), mt);
		if (media === undefined) {
			fail(`Content-Type '${ct}' is not documented (` +
			    Object.keys(content).join(', ') + ')');
			continue;
		}
		// (a JSON object under a wildcard range is bytes like any)
		if (!isJson(mediaType(media))) {
			textual++;
			covered.add(`${method} ${t.template}`);
			continue;
		}
		if (bodyFile === '-' || (body = readJson()) === undefined)
			continue;
		const schema = content[media].schema;
		if (schema === undefined)
			continue;
		const key = `${t.template} ${method} ${status} ${media}`;
		const v = validator(key, schema);
		checked++;
		if (!v(body)) {
			fail(`does not match the spec (${method.toLowerCase()} ` +
			    `${t.template} ${status}): ` +
			    ajv.errorsText(v.errors, { dataVar: 'body' }) +
			    ': ' + JSON.stringify(body).slice(0, 300));
			continue;
		}
		covered.add(`${method} ${t.template}`);
	}
	if (cover)
		for (const [t, item] of Object.entries(spec.paths))
			for (const m of METHODS)
				if (item[m] &&
				    !covered.has(`${m.toUpperCase()} ${t}`))
					failures.push(`${m.toUpperCase()} ${t}: ` +
					    'never answered in this test');
	for (const f of failures)
		process.stdout.write('spec: ' + f + '\n');
	process.stdout.write(`spec: ${lines.length} answers, ${checked} JSON ` +
	    `bodies checked against their operation, ${textual} non-JSON, ` +
	    `${unmatched} outside the spec (error shape checked), ` +
	    `${failures.length} problems\n`);
	process.exit(failures.length > 0 ? 1 : 0);
}

main();
