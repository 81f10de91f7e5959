/*
 * fcgi/proxy/h_usage.c — GET /api/v1/usage (admin): tokens and requests
 * per key, model and day, from api_usage, paged: data is the page's
 * array, the page numbers are at the top level (reference-api §11.3).
 */
#include "config.h"

#include "h_proxy.h"

enum ods_status
h_usage_get(struct ods_req *r, struct ods_resp *w)
{
	struct ods_jw	*jw;
	struct ods_page	 pg;
	struct ods_buf	 b;
	enum ods_err	 er;
	int64_t		 total = 0;

	if (ods_req_db(r) == NULL)
		return ods_resp_error(w, ODS_EUNAVAIL, "no database");
	if (ods_req_page(r, 1000, &pg) != ODS_OK)
		return ods_resp_bad_page(w);
	/* Built aside: a database error must not leave half an envelope. */
	ods_buf_init(&b, 16u << 20);
	jw = ods_req_alloc(r, sizeof(*jw));
	if (jw == NULL)
		return ods_resp_error(w, ODS_ENOMEM, NULL);
	ods_jw_init(jw, &b);
	er = ods_llm_usage_report(ods_req_db(r), ods_req_query(r, "key_id"),
	    ods_req_query(r, "from"), ods_req_query(r, "to"), pg.offset,
	    pg.page_size, jw, &total);
	if (er == ODS_OK && (er = ods_jw_error(jw)) == ODS_OK) {
		jw = ods_resp_envelope(w, ODS_HTTP_200, NULL);
		ods_jw_raw(jw, b.data, b.len);
		ods_jw_page(jw, &pg, total);
	}
	ods_buf_free(&b);
	if (er == ODS_EINVAL)
		return ods_resp_error(w, er, "from and to must be YYYY-MM-DD");
	if (er != ODS_OK)
		return ods_resp_error(w, er, NULL);
	return ods_resp_send(w);
}
