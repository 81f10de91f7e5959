/*
 * svc/agent/react.c — the ReAct text protocol (agent.h): find the
 * markers a model writes ("Thought:", "Action:", "Action Input:", "Final
 * Answer:"), case-insensitively at a line start, and cut the text at
 * them. Models add blank lines, bold markers and code fences around the
 * input; those are trimmed, not parsed.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "agent.h"

/* The offset just past marker m at a line start at or after from. */
static int
find(const char *t, size_t n, size_t from, const char *m, size_t *at,
    size_t *after)
{
	size_t	ml = strlen(m), i, j;

	for (i = from; i + ml <= n; i++) {
		if (i > 0 && t[i - 1] != '\n')
			continue;
		j = i;
		while (j < n && (t[j] == ' ' || t[j] == '\t' || t[j] == '*'))
			j++;
		if (j + ml <= n && strncasecmp(t + j, m, ml) == 0) {
			*at = i;
			j += ml;
			while (j < n && t[j] == '*')
				j++;
			*after = j;
			return 1;
		}
	}
	return 0;
}

/* Trim white space, '*' and code fences around [*off, *off + *len). */
static void
trim(const char *t, size_t *off, size_t *len)
{
	size_t	a = *off, b = *off + *len;

	for (;;) {
		while (a < b && (isspace((unsigned char)t[a]) || t[a] == '*'))
			a++;
		while (b > a && (isspace((unsigned char)t[b - 1]) ||
		    t[b - 1] == '*'))
			b--;
		if (b - a >= 3 && strncmp(t + a, "```", 3) == 0) {
			a += 3;
			while (a < b && t[a] != '\n' && !isspace(
			    (unsigned char)t[a]) && t[a] != '{')
				a++;	/* the fence's language tag */
			continue;
		}
		if (b - a >= 3 && strncmp(t + b - 3, "```", 3) == 0) {
			b -= 3;
			continue;
		}
		break;
	}
	*off = a;
	*len = b - a;
}

/* Bytes from from to the end of its line (or to end). */
static size_t
line_len(const char *t, size_t from, size_t end)
{
	const char	*nl = memchr(t + from, '\n', end - from);

	return nl != NULL ? (size_t)(nl - (t + from)) : end - from;
}

/* The input after "Action Input:": a line, or a JSON object's lines. */
static size_t
input_end(const char *t, size_t n, size_t from)
{
	size_t	i = from, depth = 0;
	int	str = 0, esc = 0, obj = 0;

	while (i < n && (t[i] == ' ' || t[i] == '\t'))
		i++;
	/* A fenced block: its first line is the fence, the input follows. */
	if (n - i >= 3 && strncmp(t + i, "```", 3) == 0) {
		while (i < n && t[i] != '\n')
			i++;
		while (i < n && isspace((unsigned char)t[i]))
			i++;
	}
	for (; i < n; i++) {
		if (!obj && t[i] == '\n')
			return i;
		if (t[i] == '{' && !str) {
			obj = 1;
			depth++;
		} else if (t[i] == '}' && !str && obj && --depth == 0)
			return i + 1;
		else if (obj && t[i] == '"' && !esc)
			str = !str;
		esc = str && t[i] == '\\' && !esc;
	}
	return n;
}

void
ods_react_parse(const char *t, size_t n, struct ods_react *r)
{
	size_t	fa, fe, aa, ae, ia, ie, end, th, ta;

	memset(r, 0, sizeof(*r));
	end = n;
	if (find(t, n, 0, "Final Answer:", &fa, &fe)) {
		r->has_final = 1;
		r->final = fe;
		r->final_len = n - fe;
		trim(t, &r->final, &r->final_len);
		end = fa;
	}
	if (find(t, end, 0, "Action:", &aa, &ae)) {
		r->has_action = 1;
		r->action = ae;
		r->action_len = line_len(t, ae, end);
		trim(t, &r->action, &r->action_len);
		if (find(t, end, ae, "Action Input:", &ia, &ie)) {
			r->input = ie;
			r->input_len = input_end(t, end, ie) - ie;
			trim(t, &r->input, &r->input_len);
		}
		end = aa;
	}
	/* "Thought:" opening the text is the marker, not the thought. */
	if (!find(t, end, 0, "Thought:", &ta, &th) || ta != 0)
		th = 0;
	r->thought = th;
	r->thought_len = end - th;
	trim(t, &r->thought, &r->thought_len);
}
