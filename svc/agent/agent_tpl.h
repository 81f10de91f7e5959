/*
 * svc/agent/agent_tpl.h — agent templates (the reference agent-api's
 * /agent/templates, table agent_templates of sql/0016): a saved agent
 * setup {name, description, agent_type, model, system_prompt, tools,
 * max_iterations, max_tokens, visibility} that a run names as
 * template_id, its settings the defaults the run's body may override.
 *
 * Who sees what: owner is the caller's user id, or NULL for an admin
 * (every row). A private template is its creator's: to anyone else it
 * does not exist (ODS_ENOTFOUND). A public one may be read and run by
 * anyone; changing or deleting it is its creator's (ODS_EFORBIDDEN).
 */
#ifndef SVC_AGENT_TPL_H
#define SVC_AGENT_TPL_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"
#include "agent.h"

struct json_object;
struct ods_db;
struct ods_jw;
struct ods_llm;
struct ods_why;

#define ODS_ATPL_ID_MAX		64
#define ODS_ATPL_NAME_MAX	255
#define ODS_ATPL_DESC_MAX	4000
#define ODS_ATPL_SYSTEM_MAX	(32u * 1024)
#define ODS_ATPL_MODEL_MAX	256

/*
 * The body of a create (create set: name required) or an update (only
 * the fields to change): unknown fields, an agent_type other than
 * function_calling|react|plan_execute, max_iterations outside
 * 1..ODS_AGENT_ITER_MAX, max_tokens below 1, a visibility other than
 * private|public, a model no backend serves (llm NULL: not checked) and
 * a tool that is neither built in nor stored are ODS_EINVAL naming the
 * field. The database's errors when the tools cannot be looked up.
 */
enum ods_err	 ods_agent_tpl_check(struct ods_db *, struct ods_llm *,
		    struct json_object *, int create, struct ods_why *)
		    ODS_MUSTCHECK;

/* A checked create body saved for user: the template written to jw. */
enum ods_err	 ods_agent_tpl_create(struct ods_db *, struct json_object *,
		    const char *user, struct ods_jw *, struct ods_why *)
		    ODS_MUSTCHECK;
/* The template as owner may see it written to jw, or ODS_ENOTFOUND. */
enum ods_err	 ods_agent_tpl_get(struct ods_db *, const char *id,
		    const char *owner, struct ods_jw *) ODS_MUSTCHECK;
/*
 * One page (newest first) of what owner may see: theirs and the public
 * ones. Each template written to jw (inside the caller's array);
 * *total counts them all.
 */
enum ods_err	 ods_agent_tpl_list(struct ods_db *, const char *owner,
		    size_t offset, size_t limit, struct ods_jw *,
		    int64_t *total) ODS_MUSTCHECK;
/* A checked update body applied; ODS_ENOTFOUND, ODS_EFORBIDDEN. */
enum ods_err	 ods_agent_tpl_update(struct ods_db *, const char *id,
		    struct json_object *, const char *owner, struct ods_jw *,
		    struct ods_why *) ODS_MUSTCHECK;
enum ods_err	 ods_agent_tpl_delete(struct ods_db *, const char *id,
		    const char *owner) ODS_MUSTCHECK;

/* A template's settings as a run takes them (malloc'ed strings). */
struct ods_agent_tpl {
	char			*template_id;
	enum ods_agent_type	 type;
	char			*model;		/* NULL: the run's default */
	char			*system_prompt;	/* NULL: the agents' own */
	char			**tools;	/* NULL: every enabled tool */
	size_t			 ntools;
	int			 max_iterations;
	int64_t			 max_tokens;	/* 0: the server's cap */
};
/* The template owner may run; ODS_ENOTFOUND. Release with _fini. */
enum ods_err	 ods_agent_tpl_load(struct ods_db *, const char *id,
		    const char *owner, struct ods_agent_tpl *) ODS_MUSTCHECK;
void		 ods_agent_tpl_fini(struct ods_agent_tpl *);

#endif /* SVC_AGENT_TPL_H */
