/* lib/ods.h — the public module headers, nothing else. */
#ifndef ODS_H
#define ODS_H

#include "auth/ods_auth.h"
#include "core/ods_batch.h"
#include "core/ods_conf.h"
#include "core/ods_cron.h"
#include "store/ods_db.h"
#include "vec/ods_embed.h"
#include "vec/ods_fuse.h"
#include "vec/ods_kw.h"
#include "core/ods_err.h"
#include "server/ods_fcgi.h"
#include "server/ods_health.h"
#include "server/ods_job.h"
#include "net/ods_http.h"
#include "core/ods_json.h"
#include "store/ods_jobs.h"
#include "llm/ods_llm.h"
#include "llm/ods_llm_usage.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "core/ods_time.h"
#include "core/ods_tz.h"
#include "core/ods_util.h"
#include "metrics/ods_metrics.h"
#include "store/ods_migrate.h"
#include "store/ods_obj.h"
#include "net/ods_multipart.h"
#include "store/ods_redis.h"
#include "store/ods_sched.h"
#include "net/ods_req.h"
#include "server/ods_router.h"
#include "text/ods_text.h"	/* lib/text/libods_text.a */
#include "vec/ods_vec.h"

#endif /* ODS_H */
