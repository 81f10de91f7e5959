/*
 * svc/agent/agent_react.c — ReAct for models without tools (agent.h):
 * the tools described in the system prompt, the answer parsed by
 * ods_react_parse, the tool's result fed back as "Observation:". And
 * plan_execute: one call for a numbered plan, then ReAct with the plan
 * in the system prompt.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "agent.h"
#include "agent_int.h"
#include "tool.h"

#define PROMPT_MAX	((size_t)256 * 1024)

/* "- name: arguments (JSON Schema) {...}" for each tool offered. */
static void
describe_tools(const struct agent_run *a, struct ods_buf *b)
{
	size_t	i;

	for (i = 0; i < ods_toolset_count(a->set); i++)
		agent_addf(b, "- %s: arguments (JSON Schema) %s\n",
		    ods_toolset_name(a->set, i), ods_toolset_params(a->set, i));
}

static void
system_prompt(struct agent_run *a, const char *plan)
{
	struct ods_buf	b;

	ods_buf_init(&b, PROMPT_MAX);
	agent_addf(&b, "%s\n\nYou can use these tools:\n",
	    agent_system(a));
	describe_tools(a, &b);
	agent_addf(&b, "\nAnswer in this format:\n"
	    "Thought: what to do next\n"
	    "Action: the tool's name\n"
	    "Action Input: the tool's arguments as a JSON object\n"
	    "Then stop and wait: the result comes back as \"Observation: "
	    "...\". Repeat as needed. When you know the answer:\n"
	    "Thought: I know the answer\n"
	    "Final Answer: the answer\n");
	if (plan != NULL)
		agent_addf(&b, "\nFollow this plan:\n%s\n", plan);
	agent_msg(a, "system", b.data, b.len, NULL);
	ods_buf_free(&b);
}

/* One answer of the model: 1 when final, 0 to go on. */
static int
react_answer(struct agent_run *a, const char *text)
{
	struct ods_react	 r;
	struct ods_buf		 out, obs;
	char			 name[128];
	size_t			 n = strlen(text);

	ods_react_parse(text, n, &r);
	if (r.thought_len > 0)
		(void)agent_step(a, "thought", text + r.thought,
		    r.thought_len, NULL, 0);
	if (!r.has_action) {
		/* A final answer, or plain text: the model's answer. */
		char *ans = r.has_final ? ods_xstrndup(text + r.final,
		    r.final_len) : ods_xstrdup(text);
		agent_final(a, ans);
		free(ans);
		return 1;
	}
	snprintf(name, sizeof(name), "%.*s", (int)r.action_len,
	    text + r.action);
	(void)agent_step(a, "action", name, strlen(name), text + r.input,
	    r.input_len);
	agent_msg(a, "assistant", text, r.input + r.input_len, NULL);
	agent_tool(a, name, text + r.input, r.input_len, NULL, &out);
	(void)agent_step(a, "observation", name, strlen(name), out.data,
	    out.len);
	ods_buf_init(&obs, out.len + 32);
	agent_addf(&obs, "Observation: %.*s", (int)out.len, out.data);
	agent_msg(a, "user", obs.data, obs.len, NULL);
	ods_buf_free(&obs);
	ods_buf_free(&out);
	return 0;
}

/* plan_execute's first call: a numbered plan (a step of type "plan"). */
static enum ods_err
make_plan(struct agent_run *a, char **plan)
{
	struct ods_buf	 b;
	enum ods_err	 er;

	ods_buf_init(&b, PROMPT_MAX);
	agent_addf(&b, "Write a short numbered plan (at most 5 "
	    "steps) to answer the question below with these tools; do not "
	    "answer it yet.\n");
	describe_tools(a, &b);
	agent_msg(a, "system", b.data, b.len, NULL);
	ods_buf_free(&b);
	agent_msg(a, "user", a->spec->query, strlen(a->spec->query), NULL);
	if ((er = agent_llm(a, NULL, plan)) != ODS_OK)
		return er;
	(void)agent_step(a, "plan", *plan, strlen(*plan), NULL, 0);
	/* The plan's own messages are not the execution's. */
	ods_buf_reset(&a->msgs);
	agent_add(&a->msgs, "[", 1);
	return ODS_OK;
}

enum ods_err
agent_react(struct agent_run *a)
{
	char		*plan = NULL;
	enum ods_err	 er;

	if (a->spec->type == ODS_AGENT_PLAN_EXECUTE &&
	    (er = make_plan(a, &plan)) != ODS_OK)
		return er;
	system_prompt(a, plan);
	free(plan);
	agent_msg(a, "user", a->spec->query, strlen(a->spec->query), NULL);
	return agent_loop(a, NULL, react_answer);
}
