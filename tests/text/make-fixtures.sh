#!/usr/bin/env bash
# tests/text/make-fixtures.sh — (re)make the small files tests/check_ods_text.c
# extracts text from. The outputs are committed; this is only needed to change
# them. Needs iconv (libc-bin), zip, python3 (to patch zip headers and to cut
# a PDF short) and groff (gropdf makes the PDF), all Debian packages.
set -euo pipefail
cd "$(dirname "$0")"

# ---- plain text in several charsets ----
zh='知识库把上传的文档切成小块，再为每一块计算向量。检索时先找到最相近的段落，然后交给模型回答问题。这段文字用来检查字符集的识别和转换是否正确。'
tw='知識庫把上傳的文件切成小塊，再為每一塊計算向量。檢索時先找到最相近的段落，然後交給模型回答問題。這段文字用來檢查字元集的識別和轉換是否正確。'
ja='知識ベースはアップロードされた文書を小さな塊に分けて、それぞれのベクトルを計算します。検索ではもっとも近い段落を見つけて、モデルに質問の答えを作らせます。'
fr='Les données sont découpées en morceaux. Chaque élément reçoit un vecteur calculé à partir du texte. À la fin, le modèle répond à la question posée en français, grâce à ces extraits déjà pré-traités.'
printf '%s\n' "$zh" | iconv -f UTF-8 -t GBK >gbk.txt
printf '%s\n' "$tw" | iconv -f UTF-8 -t BIG5 >big5.txt
printf '%s\n' "$ja" | iconv -f UTF-8 -t SHIFT_JIS >sjis.txt
printf '%s\n' "$fr" | iconv -f UTF-8 -t LATIN1 >latin1.txt
printf '\xff\xfe' >utf16le.txt
printf '%s\n' "$zh" | iconv -f UTF-8 -t UTF-16LE >>utf16le.txt
printf '\xef\xbb\xbf%s\n' "$fr" >utf8bom.txt

# ---- Markdown, CSV, JSON ----
cat >sample.md <<'MD'
# Ingestion guide

Upload a **document** and the service splits it into chunks.

- PDF, DOCX and HTML are read as text.
- 中文文档也可以。
MD
cat >sample.csv <<'CSV'
id,name,city
1,Alice,"Paris, France"
2,王小明,北京
CSV
cat >sample.json <<'JSON'
{
  "title": "Retrieval settings",
  "top_k": 5,
  "note": "检索设置"
}
JSON

# ---- HTML ----
cat >sample.html <<'HTML'
<!DOCTYPE html>
<html><head><title>Head title must not appear</title>
<style>body { color: red; } .secret-style {}</style>
<script>var secretScript = "must not appear";</script></head>
<body>
<h1>Welcome &amp; hello</h1>
<p>The first    paragraph
spans two lines.</p><p>Second paragraph with an entity: &eacute;t&eacute; &lt;ok&gt; &#x4E2D;&#25991;</p>
<script type="text/javascript">document.write("inline script hidden")</script>
<table><tr><th>Name</th><th>Role</th></tr><tr><td>Ada</td><td>Engineer</td></tr></table>
<ul><li>First item</li><li>Second item</li></ul>
<pre>line one
  indented line two</pre>
<div>Last<br>line</div>
</body></html>
HTML
{
	printf '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><body><p>'
	printf '%s' "$zh" | iconv -f UTF-8 -t GBK
	printf '</p></body></html>\n'
} >gbk.html

# ---- DOCX: a zip of hand-written WordprocessingML ----
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/d/_rels" "$tmp/d/word"
cat >"$tmp/d/[Content_Types].xml" <<'XML'
<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>
XML
cat >"$tmp/d/_rels/.rels" <<'XML'
<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>
XML
cat >"$tmp/d/word/document.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>
<w:p><w:r><w:t>Quarterly report</w:t></w:r></w:p>
<w:p><w:r><w:t xml:space="preserve">Revenue grew </w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>twelve percent</w:t></w:r><w:r><w:t>.</w:t></w:r></w:p>
<w:p><w:r><w:t>Label</w:t></w:r><w:r><w:tab/><w:t>Value</w:t></w:r></w:p>
<w:p><w:r><w:t>第二段是中文。</w:t></w:r><w:r><w:br/><w:t>After a break.</w:t></w:r></w:p>
<w:p><w:r><w:delText>deleted text must not appear</w:delText></w:r><w:r><w:instrText>PAGE</w:instrText></w:r></w:p>
<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Cell A1</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Cell B1</w:t></w:r></w:p></w:tc></w:tr>
<w:tr><w:tc><w:p><w:r><w:t>Cell A2</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Cell B2</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
<w:p><w:r><w:t>The end &amp; goodbye.</w:t></w:r></w:p>
</w:body></w:document>
XML
rm -f sample.docx notdocx.zip bigentry.docx liar.docx
(cd "$tmp/d" && zip -q -X -r "$OLDPWD/sample.docx" '[Content_Types].xml' _rels word)
# A zip that is not a DOCX (no word/document.xml).
mkdir -p "$tmp/n" && printf 'hello\n' >"$tmp/n/readme.txt"
(cd "$tmp/n" && zip -q -X "$OLDPWD/notdocx.zip" readme.txt)
# word/document.xml whose declared size (central directory and local
# header) is 3 GiB: refused before anything is inflated; and one that
# declares 100 bytes and inflates to more: stopped while reading.
for out in bigentry.docx:3221225472 liar.docx:100; do
python3 - sample.docx "${out%%:*}" "${out#*:}" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
name = b'word/document.xml'
i = 0
while True:
    i = b.find(b'PK\x01\x02', i)
    if i < 0: break
    n = struct.unpack_from('<H', b, i + 28)[0]
    if b[i + 46:i + 46 + n] == name:
        struct.pack_into('<I', b, i + 24, int(sys.argv[3]))
        off = struct.unpack_from('<I', b, i + 42)[0]
        struct.pack_into('<I', b, off + 22, int(sys.argv[3]))
    i += 4
open(sys.argv[2], 'wb').write(b)
PY
done

# ---- PDF: two pages from groff; a copy cut short ----
groff -ms -Tpdf >sample.pdf <<'MS'
.TL
Knowledge base manual
.PP
The first page explains how documents are ingested into the knowledge base.
Every sentence here should come out of the PDF as text.
.bp
.PP
The second page talks about retrieval and the vector index.
The end of the document is here.
MS
python3 - sample.pdf corrupt.pdf <<'PY'
import sys
b = open(sys.argv[1], 'rb').read()
open(sys.argv[2], 'wb').write(b[:400] + b'\x00garbage' * 8)
PY
printf 'not a pdf at all\n' >notpdf.pdf
ls -l
