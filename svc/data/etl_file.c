/*
 * svc/data/etl_file.c — the runs that read or write dataset files
 * (etl_int.h): file_import (a dataset version -> a table) and export (a
 * query -> a new dataset version).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "etl_int.h"

enum ods_err
odsi_etl_run_file(const struct ods_etl_env *env, const struct ods_etl_task *t,
    const char *exec_id, struct ods_etl_outcome *out)
{
	(void)env;
	(void)t;
	(void)exec_id;
	snprintf(out->error, sizeof(out->error), "file_import is not "
	    "implemented yet");
	return ODS_EINVAL;
}

enum ods_err
odsi_etl_run_export(const struct ods_etl_env *env,
    const struct ods_etl_task *t, const char *exec_id,
    struct ods_etl_outcome *out)
{
	(void)env;
	(void)t;
	(void)exec_id;
	snprintf(out->error, sizeof(out->error), "export is not implemented "
	    "yet");
	return ODS_EINVAL;
}
