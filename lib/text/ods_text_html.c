/*
 * lib/text/ods_text_html.c — HTML to text with libxml2's HTML parser
 * (recovering, as browsers do, from whatever it is given). The bytes are
 * made UTF-8 first (BOM, valid UTF-8, the <meta> charset, else uchardet),
 * the tree is walked without recursion: <head>, <script>, <style>,
 * <noscript>, <template> are left out, block elements end lines (the
 * large ones leave a blank line), table cells are separated by tabs,
 * white space is collapsed but in <pre>; libxml2 has already decoded the
 * entities. libxml2's objects stay in this file.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "core/ods_err.h"
#include "text/ods_text_int.h"

/* What an element does to the text around it. */
enum {
	E_DROP = 1,	/* leave it and all inside it out */
	E_PRE = 2,	/* white space kept */
	E_CELL = 4,	/* a tab after it */
	E_BR = 8	/* one more line break */
};

struct elem {
	const char	*name;
	int		 brk;	/* line breaks before and after: 0, 1, 2 */
	int		 flags;
};

/* Sorted by name (bsearch). */
static const struct elem elems[] = {
	{ "address", 1, 0 }, { "article", 2, 0 }, { "aside", 2, 0 },
	{ "blockquote", 2, 0 }, { "body", 1, 0 }, { "br", 0, E_BR },
	{ "caption", 1, 0 }, { "dd", 1, 0 }, { "details", 1, 0 },
	{ "dialog", 1, 0 }, { "div", 1, 0 }, { "dl", 2, 0 }, { "dt", 1, 0 },
	{ "fieldset", 1, 0 }, { "figcaption", 1, 0 }, { "figure", 2, 0 },
	{ "footer", 2, 0 }, { "form", 1, 0 }, { "h1", 2, 0 }, { "h2", 2, 0 },
	{ "h3", 2, 0 }, { "h4", 2, 0 }, { "h5", 2, 0 }, { "h6", 2, 0 },
	{ "head", 0, E_DROP }, { "header", 2, 0 }, { "hr", 2, 0 },
	{ "iframe", 0, E_DROP }, { "legend", 1, 0 }, { "li", 1, 0 },
	{ "main", 2, 0 }, { "nav", 2, 0 }, { "noscript", 0, E_DROP },
	{ "object", 0, E_DROP }, { "ol", 2, 0 }, { "option", 1, 0 },
	{ "p", 2, 0 }, { "pre", 2, E_PRE }, { "script", 0, E_DROP },
	{ "section", 2, 0 }, { "select", 1, 0 }, { "style", 0, E_DROP },
	{ "summary", 1, 0 }, { "svg", 0, E_DROP }, { "table", 2, 0 },
	{ "td", 0, E_CELL }, { "template", 0, E_DROP },
	{ "textarea", 1, E_PRE }, { "th", 0, E_CELL }, { "tr", 1, 0 },
	{ "ul", 2, 0 },
};

static pthread_once_t	xml_once = PTHREAD_ONCE_INIT;

static void
xml_init(void)
{
	xmlInitParser();
}

/* libxml2 wants xmlInitParser() once before threads use it. */
void
odsi_text_xml_init(void)
{
	pthread_once(&xml_once, xml_init);
}

static int
elem_cmp(const void *k, const void *e)
{
	return strcmp(k, ((const struct elem *)e)->name);
}

static const struct elem *
lookup(const xmlNode *n)
{
	if (n->type != XML_ELEMENT_NODE || n->name == NULL)
		return NULL;
	return bsearch(n->name, elems, ODS_NELEM(elems), sizeof(elems[0]),
	    elem_cmp);
}

struct walk {
	struct odsi_text_out	*o;
	int			 pre;	/* inside <pre> */
};

/* On the way in: 1 to go into the children. */
static enum ods_err
enter(struct walk *w, const xmlNode *n, int *down)
{
	const struct elem	*e;
	const char		*s;

	*down = 0;
	if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
		if ((s = (const char *)n->content) == NULL)
			return ODS_OK;
		return w->pre ? odsi_text_hard(w->o, s, strlen(s)) :
		    odsi_text_flow(w->o, s, strlen(s));
	}
	if (n->type != XML_ELEMENT_NODE && n->type != XML_DOCUMENT_NODE &&
	    n->type != XML_HTML_DOCUMENT_NODE)
		return ODS_OK;
	if ((e = lookup(n)) != NULL) {
		if (e->flags & E_DROP)
			return ODS_OK;
		if (e->flags & E_BR)
			odsi_text_brk(w->o, w->o->nl + 1);
		if (e->brk > 0)
			odsi_text_brk(w->o, e->brk);
		if (e->flags & E_PRE)
			w->pre++;
	}
	*down = 1;
	return ODS_OK;
}

/* On the way out of an element whose children were walked. */
static void
leave(struct walk *w, const xmlNode *n)
{
	const struct elem	*e;

	if ((e = lookup(n)) == NULL || (e->flags & E_DROP))
		return;
	if (e->brk > 0)
		odsi_text_brk(w->o, e->brk);
	if (e->flags & E_CELL)
		odsi_text_sep(w->o, '\t');
	if ((e->flags & E_PRE) && w->pre > 0)
		w->pre--;
}

/* Depth first, no recursion: the tree can be as deep as the input. */
static enum ods_err
walk(struct odsi_text_out *o, xmlNode *top)
{
	struct walk	 w = { o, 0 };
	xmlNode		*n = top;
	enum ods_err	 er;
	int		 down;

	while (n != NULL && !o->full) {
		if ((er = enter(&w, n, &down)) != ODS_OK)
			return er;
		if (down && n->children != NULL) {
			n = n->children;
			continue;
		}
		for (;;) {
			if (down)
				leave(&w, n);
			if (n == top)
				return ODS_OK;
			if (n->next != NULL) {
				n = n->next;
				break;
			}
			n = n->parent;
			down = 1;	/* a parent was entered */
		}
	}
	return ODS_OK;
}

/*
 * The charset a <meta> of the first bytes names, for iconv: GB2312 and
 * GBK read as their superset GB18030, Latin-1 and ASCII as windows-1252,
 * as browsers do. 0 when there is none.
 */
static int
meta_charset(const char *in, size_t len, char *cs, size_t cssz)
{
	const char	*p, *end;
	size_t		 n, i;

	if (len > 4096)
		len = 4096;
	end = in + len;
	for (p = in; p + 8 < end; p++) {
		if (strncasecmp(p, "charset=", 8) != 0)
			continue;
		p += 8;
		while (p < end && (*p == '"' || *p == '\'' || *p == ' '))
			p++;
		for (n = 0; p + n < end && n < cssz - 1 &&
		    (isalnum((unsigned char)p[n]) || p[n] == '-' ||
		    p[n] == '_' || p[n] == '.' || p[n] == ':'); n++)
			cs[n] = p[n];
		cs[n] = '\0';
		for (i = 0; i < n; i++)
			cs[i] = (char)toupper((unsigned char)cs[i]);
		if (strcmp(cs, "GB2312") == 0 || strcmp(cs, "GBK") == 0)
			snprintf(cs, cssz, "GB18030");
		else if (strcmp(cs, "ISO-8859-1") == 0 ||
		    strcmp(cs, "LATIN1") == 0 || strcmp(cs, "US-ASCII") == 0)
			snprintf(cs, cssz, "WINDOWS-1252");
		return n > 0;
	}
	return 0;
}

enum ods_err
odsi_text_html(struct odsi_text_out *o, const char *in, size_t len,
    char charset[32], struct ods_why *why)
{
	struct odsi_text_out	 u;
	htmlDocPtr		 doc;
	char			 hint[32];
	enum ods_err		 er;

	/* UTF-8 first, uncapped: the cap is on the text, not the markup. */
	odsi_text_out_init(&u, (size_t)INT_MAX);
	er = odsi_text_decode(&u, in, len,
	    meta_charset(in, len, hint, sizeof(hint)) ? hint : NULL, charset,
	    why);
	if (er != ODS_OK)
		goto out;
	if (u.full) {
		ods_why_set(why, NULL, "the HTML is too large");
		er = ODS_ETOOBIG;
		goto out;
	}
	if (u.len == 0)
		goto out;
	odsi_text_xml_init();
	doc = htmlReadMemory(u.buf, (int)u.len, NULL, "UTF-8",
	    HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
	    HTML_PARSE_NONET | HTML_PARSE_IGNORE_ENC | HTML_PARSE_COMPACT);
	if (doc == NULL) {
		ods_why_set(why, NULL, "the HTML cannot be parsed");
		er = ODS_EINVAL;
		goto out;
	}
	er = walk(o, (xmlNode *)doc);
	xmlFreeDoc(doc);
out:
	odsi_text_out_fini(&u);
	return er;
}
