/* fcgi/odsctl/c_kb.h — `odsctl kb ...` (c_kb.c). */
#ifndef C_KB_H
#define C_KB_H

struct ods_conf;

#define C_KB_USAGE \
	"  kb list           the knowledge bases: id, collection, model, " \
	"documents, chunks\n" \
	"  kb reindex KB|--all  (also: reindex KB|--all)\n" \
	"                    rebuild this machine's indexes of a knowledge " \
	"base from\n" \
	"                    MariaDB (run it where no agent process is the " \
	"writer)\n"

/* argv[0] is "kb". Returns the exit status (0, 1, 2 for usage). */
int	c_kb(const struct ods_conf *, int argc, char *argv[]);

#endif /* C_KB_H */
