/* fcgi/odsctl/c_sched.h — `odsctl schedules ...` (c_sched.c). */
#ifndef C_SCHED_H
#define C_SCHED_H

struct ods_conf;

/* The usage lines of the schedules command. */
#define C_SCHED_USAGE \
	"  schedules list    every schedule, its next due time and runs\n" \
	"  schedules create NAME (--cron EXPR | --interval SECONDS) --job TYPE\n" \
	"                [--payload JSON] [--tz ZONE] [--paused]\n" \
	"                    a schedule enqueuing a job of TYPE when due " \
	"(ods-worker)\n" \
	"  schedules show|pause|resume|trigger|rm NAME|ID\n" \
	"                    one schedule as text; stop or restart its " \
	"regular runs;\n" \
	"                    run it once now; delete it\n"

/* argv[0] is "schedules". Returns the exit status (0, 1, 2 for usage). */
int	c_sched(const struct ods_conf *, int argc, char *argv[]);

#endif /* C_SCHED_H */
