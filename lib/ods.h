/* lib/ods.h — the public module headers, nothing else. */
#ifndef ODS_H
#define ODS_H

#include "ods_auth.h"
#include "ods_conf.h"
#include "ods_db.h"
#include "ods_embed.h"
#include "ods_err.h"
#include "ods_fcgi.h"
#include "ods_health.h"
#include "ods_http.h"
#include "ods_json.h"
#include "ods_llm.h"
#include "ods_llm_usage.h"
#include "ods_log.h"
#include "ods_mem.h"
#include "ods_metrics.h"
#include "ods_migrate.h"
#include "ods_redis.h"
#include "ods_req.h"
#include "ods_router.h"
#include "ods_vec.h"

#endif /* ODS_H */
