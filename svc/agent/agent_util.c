/*
 * svc/agent/agent_util.c — the public ids every file of
 * svc/agent uses (agent_int.h), apart from the knowledge-base code so
 * that a program using one module (the proxy: prompt templates) links
 * only that module.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/ods_mem.h"
#include "core/ods_util.h"
#include "store/ods_db.h"
#include "agent_int.h"

void
kbi_new_id(const char *prefix, char *out, size_t len)
{
	unsigned char	b[6];
	char		hex[13];

	ods_random(b, sizeof(b));
	ods_hex(b, sizeof(b), hex);
	hex[12] = '\0';
	snprintf(out, len, "%s-%s", prefix, hex);
}
