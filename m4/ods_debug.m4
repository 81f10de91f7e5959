dnl ODS_ARG_ENABLE_DEBUG: --enable-debug turns off optimisation, turns on every
dnl useful warning as an error, and keeps assertions.
AC_DEFUN([ODS_ARG_ENABLE_DEBUG], [
	AC_ARG_ENABLE([debug],
	    [AS_HELP_STRING([--enable-debug], [build with -O0 -g3 and -Werror])],
	    [ods_debug=$enableval], [ods_debug=no])
	ODS_WARN_CFLAGS=
	AX_APPEND_COMPILE_FLAGS([-Wall -Wextra -Wshadow -Wpointer-arith \
	    -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
	    -Wno-unused-parameter -Wno-missing-field-initializers], [ODS_WARN_CFLAGS])
	AS_IF([test "x$ods_debug" = xyes], [
		AX_APPEND_COMPILE_FLAGS([-O0 -g3 -Werror], [ODS_WARN_CFLAGS])
		AC_DEFINE([ODS_DEBUG], [1], [Debug build])
	])
	AC_SUBST([ODS_WARN_CFLAGS])
])
