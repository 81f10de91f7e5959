#!/usr/bin/python3
# tests/bench/vec/chunk_man.py — split rendered man pages into RAG chunks
# the way the reference does (reference-api.md §4.4: 500 characters, 50
# overlap, cut after the last separator of the highest priority found in
# the window). Reads *.txt under a directory; writes one chunk per line.
#   chunk_man.py TEXTDIR OUT [MAXCHUNKS]
import os
import sys

SEPS = ["\n\n", "\n", "。", "！", "？", ".", "!", "?", " "]


def chunks(text, size=500, overlap=50):
    pos = 0
    while pos < len(text):
        end = min(pos + size, len(text))
        if end < len(text):
            window = text[pos:end]
            for sep in SEPS:
                cut = window.rfind(sep)
                if cut > 0:
                    end = pos + cut + len(sep)
                    break
        piece = " ".join(text[pos:end].split())
        if piece:
            yield piece
        nxt = end - overlap
        pos = nxt if nxt > pos else end


def main():
    src, out = sys.argv[1], sys.argv[2]
    cap = int(sys.argv[3]) if len(sys.argv) > 3 else 10**9
    n = 0
    with open(out, "w", encoding="utf-8") as f:
        for name in sorted(os.listdir(src)):
            with open(os.path.join(src, name), encoding="utf-8",
                      errors="replace") as g:
                for c in chunks(g.read()):
                    f.write(c + "\n")
                    n += 1
                    if n >= cap:
                        print("chunks", n)
                        return
    print("chunks", n)


main()
