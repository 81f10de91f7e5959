/* lib/ods.h — the public module headers, nothing else. */
#ifndef ODS_H
#define ODS_H

#include "ods_err.h"
#include "ods_log.h"
#include "ods_mem.h"

#endif /* ODS_H */
