dnl ODS_ARG_ENABLE_ASAN: --enable-asan builds everything with AddressSanitizer
dnl and UndefinedBehaviorSanitizer; the test command runs make check with it once.
AC_DEFUN([ODS_ARG_ENABLE_ASAN], [
	AC_ARG_ENABLE([asan],
	    [AS_HELP_STRING([--enable-asan], [build with -fsanitize=address,undefined])],
	    [ods_asan=$enableval], [ods_asan=no])
	ODS_SAN_CFLAGS=
	ODS_SAN_LDFLAGS=
	AS_IF([test "x$ods_asan" = xyes], [
		ODS_SAN_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
		ODS_SAN_LDFLAGS="-fsanitize=address,undefined"
		AC_DEFINE([ODS_ASAN], [1], [Built with sanitizers])
	])
	AC_SUBST([ODS_SAN_CFLAGS])
	AC_SUBST([ODS_SAN_LDFLAGS])
])
