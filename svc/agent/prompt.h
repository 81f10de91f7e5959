/*
 * svc/agent/prompt.h — prompt templates: rows of prompt_templates with
 * their versions (sql/0006_chat_apps.sql), and the {{variable}} language
 * they are written in. The Agent API's /prompts, the proxy's
 * /api/v1/templates and apps all read the same rows through here.
 *
 * The language. Content is text in which {{name}} is replaced by the
 * value of the variable name; white space (space, tab, CR, LF) may
 * surround the name inside the braces. A name has 1 to
 * ODS_PROMPT_NAME_MAX bytes of ASCII letters, digits, '_', '-' and '.',
 * starting with a letter or '_'. A backslash right before "{{" escapes
 * it: "\{{" is the literal text "{{" (the backslash is dropped); every
 * other backslash, '{' and '}' is literal text. "{{" with no "}}" after
 * the name, an empty name and a bad character (a nested "{{" included)
 * are errors, reported with their byte offset.
 *
 * Variables are declared as a JSON array of {name, type, default?,
 * required?, description?}; type is "string" (the default), "number",
 * "boolean" or "json". A string's value is put in as it is, others as
 * their JSON text. required defaults to true when there is no default.
 *
 * A template ("tpl-<12 hex>") has a name unique among live templates
 * (one namespace: the proxy looks templates up by name). It belongs to
 * its creator: owner arguments are the caller's user id, or NULL for an
 * admin, who sees and changes all. Others get ODS_ENOTFOUND, except that
 * a public template (is_public) can be read and rendered by anyone.
 * Deleting is soft (deleted_at set, live NULL: the name is free again).
 *
 * Thread-safe: every function takes its database pool and holds no state
 * of its own.
 */
#ifndef SVC_PROMPT_H
#define SVC_PROMPT_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"

struct json_object;
struct ods_db;
struct ods_jw;
struct ods_why;

#define ODS_PROMPT_NAME_MAX	64		/* a variable's name */
#define ODS_PROMPT_VARS_MAX	100		/* variables of a template */
#define ODS_PROMPT_TNAME_MAX	255		/* a template's name */
#define ODS_PROMPT_DESC_MAX	4000
#define ODS_PROMPT_CATEGORY_MAX	64
#define ODS_PROMPT_MODEL_MAX	128
#define ODS_PROMPT_CONTENT_MAX	(256 * 1024)	/* bytes of content */
#define ODS_PROMPT_RENDER_MAX	(1024 * 1024)	/* bytes of a rendering */
/* Templates or versions a page at most: each may hold the content max. */
#define ODS_PROMPT_LIST_MAX	100

/* ---- the language (no database) ---- */

/*
 * The variable names content uses, each once, in order of first use, as
 * a malloc'ed vector (free with ods_strv_free; NULL when none). Returns
 * ODS_OK, ODS_EINVAL (why: field "content", the fault and its offset) or
 * ODS_ETOOBIG (more than ODS_PROMPT_VARS_MAX names).
 */
enum ods_err	 ods_prompt_names(const char *content, size_t len,
		    char ***names, size_t *n, struct ods_why *) ODS_MUSTCHECK;

/*
 * The declaration of a create or update, normalised to the JSON text
 * stored (*out, malloc'ed): decl is the body's "variables" array, or NULL
 * to declare every name of content as a required string. Every name
 * content uses must be declared. ODS_EINVAL with why naming the field
 * (and, for undeclared names, all of them).
 */
enum ods_err	 ods_prompt_declare(struct json_object *decl,
		    const char *content, char **out, struct ods_why *)
		    ODS_MUSTCHECK;

/* A rendering: malloc'ed text and the values used (JSON object text). */
struct ods_prompt_text {
	char	*content;
	size_t	 len;
	char	*used;
	int	 version;	/* of the template rendered (0: none) */
	char	*template_id;
};
void		 ods_prompt_text_fini(struct ods_prompt_text *);

/*
 * Fill content with vars (an object; NULL: none) under the declaration
 * decl (the JSON text ods_prompt_declare made; NULL: every name a
 * required string). A value absent or null takes its default; a required
 * one with none is missing, and every missing name is listed in one
 * ODS_EINVAL; a value of the wrong type is ODS_EINVAL naming it;
 * output past max bytes is ODS_ETOOBIG. Names of vars that content does
 * not use are ignored.
 */
enum ods_err	 ods_prompt_fill(const char *content, size_t len,
		    const char *decl, struct json_object *vars, size_t max,
		    struct ods_prompt_text *, struct ods_why *) ODS_MUSTCHECK;

/* ---- stored templates ---- */

struct ods_prompt {
	int64_t	 id;
	char	*template_id;	/* "tpl-..." */
	char	*name;
	char	*description;
	char	*category;
	char	*content;
	char	*variables;	/* JSON array text */
	char	*model;
	char	*tags;		/* JSON array text or NULL */
	int	 version;
	int	 is_public;
	int64_t	 usage_count;
	char	*created_by;
	char	*created_at;	/* ISO-8601 UTC */
	char	*updated_at;
};

/* Fields of a create or an update: NULL / -1 leave them as they are. */
struct ods_prompt_spec {
	const char		*name;
	const char		*description;
	const char		*category;
	const char		*content;
	const char		*model;
	struct json_object	*variables;	/* array; NULL: from content */
	struct json_object	*tags;		/* array of strings */
	int			 is_public;
};
void		 ods_prompt_spec_init(struct ods_prompt_spec *);
/*
 * The body's fields into spec (borrowed from o): name, description,
 * category, content (or template, the proxy's name for it), model,
 * variables, tags, is_public. ODS_EINVAL naming a field of the wrong type.
 */
enum ods_err	 ods_prompt_spec_of(struct json_object *o,
		    struct ods_prompt_spec *, struct ods_why *) ODS_MUSTCHECK;

/*
 * Create a template owned by owner. name and content are required.
 * Returns ODS_OK, ODS_EINVAL (why names the field), ODS_ECONFLICT (a
 * live template has the name), or the errors of ods_db.
 */
enum ods_err	 ods_prompt_create(struct ods_db *,
		    const struct ods_prompt_spec *, const char *owner,
		    struct ods_prompt **out, struct ods_why *) ODS_MUSTCHECK;
/*
 * A live template by "tpl-..." id or by name. write 0: the owner's or a
 * public one; write 1: the owner's only (owner NULL: any). ODS_ENOTFOUND.
 */
enum ods_err	 ods_prompt_get(struct ods_db *, const char *id_or_name,
		    const char *owner, int write, struct ods_prompt **out)
		    ODS_MUSTCHECK;

struct ods_prompt_filter {
	const char	*owner;		/* NULL: all; else its own + public */
	const char	*category;	/* NULL: any */
	const char	*search;	/* substring of name or description */
};
enum ods_err	 ods_prompt_list(struct ods_db *,
		    const struct ods_prompt_filter *, size_t offset,
		    size_t limit, struct ods_prompt **out, size_t *n,
		    int64_t *total) ODS_MUSTCHECK;
/*
 * Update p (got with write 1) from spec and reload it into *p. A change
 * of content, variables, description or model first copies the row as it
 * was into prompt_template_versions and bumps the version. Errors as for
 * create; ODS_ENOTFOUND when it was deleted meanwhile.
 */
enum ods_err	 ods_prompt_update(struct ods_db *, struct ods_prompt *p,
		    const struct ods_prompt_spec *, struct ods_why *)
		    ODS_MUSTCHECK;
enum ods_err	 ods_prompt_delete(struct ods_db *, const struct ods_prompt *)
		    ODS_MUSTCHECK;
/*
 * The versions of p, newest first, the current one included, from offset
 * on, limit at most (ODS_PROMPT_LIST_MAX), as struct ods_prompt with
 * template_id, version, content, variables, description, model,
 * created_by and created_at set; *total counts them all.
 */
enum ods_err	 ods_prompt_versions(struct ods_db *, const struct ods_prompt *,
		    size_t offset, size_t limit, struct ods_prompt **out,
		    size_t *n, int64_t *total) ODS_MUSTCHECK;
void		 ods_prompt_free(struct ods_prompt *);
void		 ods_prompt_list_free(struct ods_prompt *, size_t n);

/*
 * Render a stored template (by id or name, as seen by owner) with vars:
 * version 0 is the current one, another an older version. usage_count is
 * bumped. Errors of ods_prompt_get (ODS_ENOTFOUND also for an unknown
 * version, why naming "version") and ods_prompt_fill.
 */
enum ods_err	 ods_prompt_render(struct ods_db *, const char *id_or_name,
		    const char *owner, int version, struct json_object *vars,
		    struct ods_prompt_text *out, struct ods_why *) ODS_MUSTCHECK;

/* The template object: template_id, id, name, content, variables, ... */
void		 ods_prompt_json(struct ods_jw *, const struct ods_prompt *);
/* One version: template_id, version, content, variables, ... */
void		 ods_prompt_version_json(struct ods_jw *,
		    const struct ods_prompt *);

#endif /* SVC_PROMPT_H */
