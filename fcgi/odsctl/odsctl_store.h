/*
 * fcgi/odsctl/odsctl_store.h — `odsctl store ...` (odsctl_store.c): the
 * object store from the command line, on the backend the environment
 * names (the pools' configuration).
 */
#ifndef ODSCTL_STORE_H
#define ODSCTL_STORE_H

#include <stdio.h>

/* The usage lines of `odsctl store` (part of odsctl's usage). */
void	odsctl_store_usage(FILE *);
/* argv[0] is "store"; returns the exit status (0, 1 failed, 2 usage). */
int	odsctl_store(int argc, char *argv[]);

#endif /* ODSCTL_STORE_H */
