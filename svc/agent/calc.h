/*
 * svc/agent/calc.h — the calculator tool's arithmetic: a parser and
 * evaluator of one expression, no eval of code.
 *
 * Grammar (white space between tokens ignored):
 *   expr    = term { ("+" | "-") term }
 *   term    = unary { ("*" | "/" | "%") unary }
 *   unary   = ("-" | "+") unary | power
 *   power   = primary [ ("^" | "**") unary ]      right-associative
 *   primary = number | name | name "(" [expr { "," expr }] ")" | "(" expr ")"
 * Numbers are decimal with an optional fraction and exponent (1e3).
 * Names: the constants pi and e; the functions sqrt, abs, round (one or
 * two arguments: digits), floor, ceil, min, max (one or more), log (one
 * argument: natural; two: log(x, base)), log10, exp, sin, cos, tan.
 * -2^2 is -4 (as in mathematics).
 *
 * Bounded: ODS_CALC_MAX bytes, ODS_CALC_DEPTH nested levels,
 * ODS_CALC_ARGS arguments to a function.
 */
#ifndef SVC_CALC_H
#define SVC_CALC_H

#include <stddef.h>

#include "core/ods_err.h"

struct ods_why;

#define ODS_CALC_MAX	4096
#define ODS_CALC_DEPTH	64
#define ODS_CALC_ARGS	32

/*
 * Evaluate the n bytes at s into *out. ODS_EINVAL (why: the reason and
 * the byte offset: a syntax error, an unknown name, a division by zero,
 * a function outside its domain, a result that is not finite) or
 * ODS_ETOOBIG (past the bounds).
 */
enum ods_err	 ods_calc_eval(const char *s, size_t n, double *out,
		    struct ods_why *why) ODS_MUSTCHECK;

#endif /* SVC_CALC_H */
