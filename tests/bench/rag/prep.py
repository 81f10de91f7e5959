#!/usr/bin/env python3
"""tests/bench/rag/prep.py — the retrieval evaluation's data, as TSV.

    prep.py OUTDIR MANUAL.zh.md QUESTIONS.zh.tsv TRANSLATION-EN...

English: Debian's package descriptions (apt's Translation-en files,
lz4-compressed or plain). The short description is the query, the long
description the document. Kept: one package per distinct long text
(Description-md5), not a -dbg/-dbgsym/-doc package, a long description of
at least MIN_LONG characters whose first paragraph no other package shares
(library families repeat theirs), a short description of at least three
words that is not found inside the long one and shares at most half of
its word pairs with it (no near-copies: "Foo modules for X" against "Foo::Bar
provides modules for X"). Seeded sample: NDOCS
documents, the first NQUERIES of them also give a query.

Chinese: the operations manual split at its headings (outside code
blocks); each section is a document named by its heading; the questions
(written by hand, phrased unlike the text) name the heading they expect.

Documents are cut into chunks of about CHUNK characters at paragraph (then
sentence, then space) boundaries, as a chunker would.

Writes: eval_chunks.tsv (chunk_id, doc_id, text), eval_queries.tsv (doc_id,
query), perf_chunks.tsv (every kept-or-not distinct description, for the
latency and indexing figures), scale_chunks.tsv (eval_chunks.tsv and then
perf_chunks.tsv's other descriptions, under doc ids from 10 000 000, up to
N chunks: the English queries among N chunks), zh_chunks.tsv,
zh_queries.tsv, zh_docs.tsv.
"""
import os
import random
import re
import subprocess
import sys

NDOCS = int(os.environ.get("NDOCS", "6000"))
NQUERIES = int(os.environ.get("NQUERIES", "1500"))
MIN_LONG = 300
CHUNK = int(os.environ.get("CHUNK", "600"))
PERF_CHUNK = int(os.environ.get("PERF_CHUNK", "320"))
COPY = 0.5	# at most this share of the query's word pairs in the document
SEED = 20261202


def read_text(path):
    if path.endswith(".lz4"):
        return subprocess.run(["lz4cat", path], check=True,
                              stdout=subprocess.PIPE).stdout.decode("utf-8", "replace")
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def parse_translation(text):
    """(package, md5, short, [paragraphs]) per stanza."""
    for stanza in text.split("\n\n"):
        pkg = md5 = short = None
        paras, cur, in_desc = [], [], False
        for line in stanza.split("\n"):
            if line.startswith("Package: "):
                pkg = line[9:].strip()
            elif line.startswith("Description-md5: "):
                md5 = line[17:].strip()
            elif line.startswith("Description-en: "):
                short = line[16:].strip()
                in_desc = True
            elif in_desc and line.startswith(" "):
                body = line[1:]
                if body.strip() == ".":
                    if cur:
                        paras.append(" ".join(cur))
                    cur = []
                else:
                    cur.append(body.strip())
            else:
                in_desc = False
        if cur:
            paras.append(" ".join(cur))
        if pkg and short and paras:
            yield pkg, md5 or pkg, short, paras


def norm(s):
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", s.lower())).strip()


def pairs(s):
    w = norm(s).split()
    return set(zip(w, w[1:]))


def copied(short, longtext):
    """The share of the short description's word pairs in the long one."""
    q = pairs(short)
    return len(q & pairs(longtext)) / len(q) if q else 1.0


def cut(piece, size):
    """Pieces of at most size characters, cut at spaces when there are."""
    while len(piece) > size:
        at = piece.rfind(" ", 0, size)
        at = at if at > size // 2 else size
        yield piece[:at]
        piece = piece[at:].strip()
    if piece:
        yield piece


def pack(pieces, size, sep):
    """Consecutive pieces joined by sep into runs of at most size."""
    out, cur = [], ""
    for piece in pieces:
        if cur and len(cur) + len(piece) + 1 > size:
            out.append(cur)
            cur = ""
        cur = (cur + sep + piece).strip()
    if cur:
        out.append(cur)
    return out


def split_long(p, size):
    """A paragraph over size: cut at sentence ends, then at spaces."""
    sentences = re.split(r"(?<=[.!?。！？])\s*", p)
    return pack([c for s in sentences for c in cut(s, size)], size, " ")


def chunks(paras, size=CHUNK):
    return pack([c for p in paras
                 for c in (split_long(p, size) if len(p) > size else [p])],
                size, "\n")


def clean(s):
    return s.replace("\t", " ").replace("\r", " ").replace("\n", " ")


def write_chunks(path, docs, size=CHUNK):
    """docs: [(doc_id, [paragraphs])]; returns the chunk count."""
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        for doc_id, paras in docs:
            for c in chunks(paras, size):
                n += 1
                f.write("%d\t%d\t%s\n" % (n, doc_id, clean(c)))
    return n


def english(outdir, files):
    seen, recs = set(), []
    for path in files:
        for pkg, md5, short, paras in parse_translation(read_text(path)):
            if md5 in seen:
                continue
            seen.add(md5)
            recs.append((pkg, short, paras))
    perf = [(i + 1, p) for i, (_, _, p) in enumerate(recs)]
    nperf = write_chunks(os.path.join(outdir, "perf_chunks.tsv"), perf,
                         PERF_CHUNK)
    first = {}
    for _, _, paras in recs:
        k = norm(paras[0])[:150]
        first[k] = first.get(k, 0) + 1
    kept = []
    for pkg, short, paras in recs:
        if re.search(r"-(dbg|dbgsym|doc)$", pkg):
            continue
        longtext = " ".join(paras)
        if len(longtext) < MIN_LONG or len(norm(short).split()) < 3:
            continue
        if norm(short) in norm(longtext) or copied(short, longtext) > COPY:
            continue
        if first[norm(paras[0])[:150]] > 1:
            continue
        kept.append((pkg, short, paras))
    npass = len(kept)
    random.Random(SEED).shuffle(kept)
    kept = kept[:NDOCS]
    docs = [(i + 1, p) for i, (_, _, p) in enumerate(kept)]
    nchunks = write_chunks(os.path.join(outdir, "eval_chunks.tsv"), docs)
    with open(os.path.join(outdir, "eval_queries.tsv"), "w",
              encoding="utf-8") as f:
        for i, (_, short, _) in enumerate(kept[:NQUERIES]):
            f.write("%d\t%s\n" % (i + 1, clean(short)))
    print("english: %d distinct descriptions, %d pass the filters; "
          "sample of %d documents (%d chunks), %d queries; perf set %d "
          "chunks" % (len(recs), npass, len(docs), nchunks,
                      min(NQUERIES, len(docs)), nperf))


def scale(outdir, n):
    """eval_chunks.tsv plus other descriptions, up to n chunks."""
    def rows(name):
        with open(os.path.join(outdir, name), encoding="utf-8") as f:
            return [l.rstrip("\n").split("\t", 2) for l in f]

    def first(rs):
        seen = {}
        for _, doc, text in rs:
            seen.setdefault(doc, text[:80])
        return seen

    ev, pf = rows("eval_chunks.tsv"), rows("perf_chunks.tsv")
    # The sample's documents (cut differently in perf) are not repeated.
    known = set(first(ev).values())
    same = {d for d, t in first(pf).items() if t in known}
    m = 0
    with open(os.path.join(outdir, "scale_chunks.tsv"), "w",
              encoding="utf-8") as f:
        for _, doc, text in ev:
            m += 1
            f.write("%d\t%s\t%s\n" % (m, doc, text))
        for _, doc, text in pf:
            if m >= n:
                break
            if doc not in same:
                m += 1
                f.write("%d\t%d\t%s\n" % (m, 10000000 + int(doc), text))
    print("scale: %d chunks" % m)


def chinese(outdir, manual, questions):
    sections, cur_head, cur, fence = [], None, [], False
    with open(manual, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("```"):
                fence = not fence
            m = None if fence else re.match(r"^(#{1,4})\s+(.*)$", line)
            if m:
                if cur_head is not None:
                    sections.append((cur_head, cur))
                cur_head, cur = m.group(2).strip(), [m.group(2).strip()]
            elif line.strip():
                cur.append(line.strip())
    if cur_head is not None:
        sections.append((cur_head, cur))
    # A heading with nothing under it but subsections is no answer.
    sections = [(h, b) for h, b in sections if len("".join(b[1:])) >= 20]
    ids = {h: i + 1 for i, (h, _) in enumerate(sections)}
    write_chunks(os.path.join(outdir, "zh_chunks.tsv"),
                 [(ids[h], b) for h, b in sections])
    with open(os.path.join(outdir, "zh_docs.tsv"), "w", encoding="utf-8") as f:
        for h, _ in sections:
            f.write("%d\t%s\n" % (ids[h], h))
    n = 0
    with open(questions, encoding="utf-8") as f, \
            open(os.path.join(outdir, "zh_queries.tsv"), "w",
                 encoding="utf-8") as out:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            q, head = line.rstrip("\n").split("\t")
            if head not in ids:
                sys.exit("zh question names no section: %r" % head)
            out.write("%d\t%s\n" % (ids[head], q))
            n += 1
    print("chinese: %d sections, %d questions" % (len(sections), n))


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    outdir, manual, questions = sys.argv[1:4]
    os.makedirs(outdir, exist_ok=True)
    english(outdir, sys.argv[4:])
    scale(outdir, int(os.environ.get("N", "100000")))
    chinese(outdir, manual, questions)


if __name__ == "__main__":
    main()
