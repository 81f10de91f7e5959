dnl ODS_CHECK_DEPS: every library the project links, found through pkg-config.
dnl A missing library stops configure with the Debian package that provides it.
AC_DEFUN([ODS_CHECK_DEPS], [
	PKG_CHECK_MODULES([FCGI], [fcgi], [],
	    [AC_MSG_ERROR([libfcgi not found (Debian: libfcgi-dev)])])
	PKG_CHECK_MODULES([MARIADB], [libmariadb >= 3.1], [],
	    [AC_MSG_ERROR([Connector/C not found (Debian: libmariadb-dev)])])
	PKG_CHECK_MODULES([HIREDIS], [hiredis >= 0.14], [],
	    [AC_MSG_ERROR([hiredis not found (Debian: libhiredis-dev)])])
	PKG_CHECK_MODULES([JSONC], [json-c >= 0.15], [],
	    [AC_MSG_ERROR([json-c not found (Debian: libjson-c-dev)])])
	PKG_CHECK_MODULES([CURL], [libcurl >= 7.68], [],
	    [AC_MSG_ERROR([libcurl not found (Debian: libcurl4-openssl-dev)])])
	PKG_CHECK_MODULES([JWT], [libjwt >= 1.10], [],
	    [AC_MSG_ERROR([libjwt not found (Debian: libjwt-dev)])])
	PKG_CHECK_MODULES([CRYPTO], [libcrypto >= 1.1], [],
	    [AC_MSG_ERROR([libcrypto not found (Debian: libssl-dev)])])
	dnl svc/data (libods_data.a) only: PostgreSQL data sources.
	PKG_CHECK_MODULES([PQ], [libpq >= 13], [],
	    [AC_MSG_ERROR([libpq not found (Debian: libpq-dev)])])
	dnl lib/text (libods_text.a) only: document text extraction.
	PKG_CHECK_MODULES([XML2], [libxml-2.0 >= 2.9], [],
	    [AC_MSG_ERROR([libxml2 not found (Debian: libxml2-dev)])])
	PKG_CHECK_MODULES([LIBZIP], [libzip >= 1.5], [],
	    [AC_MSG_ERROR([libzip not found (Debian: libzip-dev)])])
	PKG_CHECK_MODULES([POPPLER], [poppler-glib >= 0.82], [],
	    [AC_MSG_ERROR([poppler-glib not found (Debian: libpoppler-glib-dev)])])
	PKG_CHECK_MODULES([UCHARDET], [uchardet >= 0.0.6], [],
	    [AC_MSG_ERROR([uchardet not found (Debian: libuchardet-dev)])])
	PKG_CHECK_MODULES([SQLITE], [sqlite3 >= 3.35], [],
	    [AC_MSG_ERROR([SQLite not found (Debian: libsqlite3-dev)])])
	dnl lib/vec (the keyword index): English stems. Debian ships no .pc.
	AC_CHECK_HEADER([libstemmer.h], [],
	    [AC_MSG_ERROR([libstemmer not found (Debian: libstemmer-dev)])])
	AC_CHECK_LIB([stemmer], [sb_stemmer_new], [STEMMER_LIBS=-lstemmer],
	    [AC_MSG_ERROR([libstemmer not found (Debian: libstemmer-dev)])])
	AC_SUBST([STEMMER_LIBS])
	PKG_CHECK_MODULES([CHECK], [check >= 0.10], [have_check=yes],
	    [have_check=no
	     AC_MSG_WARN([Check not found (Debian: check): make check disabled])])
	AM_CONDITIONAL([HAVE_CHECK], [test "x$have_check" = xyes])
])
