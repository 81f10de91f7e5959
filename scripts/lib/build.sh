# scripts/lib/build.sh — configure and build out of tree.  Needs
# scripts/lib/common.sh.  The source tree only gets the autotools outputs
# (configure, Makefile.in, ...), which .gitignore lists.

# ods_build DIR [CONFIGURE ARGS...]: generate configure when it is missing,
# (re)configure DIR when it has no Makefile or the arguments changed, then
# make -j.  Output goes to DIR/build.log; shown on failure.
ods_build() {
	local dir=$1 args
	shift
	args="$*"
	if [ ! -x "$ODS_ROOT/configure" ]; then
		ods_say "autoreconf -fi"
		(cd "$ODS_ROOT" && autoreconf -fi) >&2 || ods_die "autoreconf failed"
	fi
	mkdir -p "$dir"
	if [ ! -f "$dir/Makefile" ] ||
	    [ "$(cat "$dir/.ods-configure-args" 2>/dev/null)" != "$args" ]; then
		ods_say "configure $args (in $dir)"
		(cd "$dir" && "$ODS_ROOT/configure" -q "$@") >"$dir/build.log" 2>&1 || {
			tail -40 "$dir/build.log" >&2
			ods_die "configure failed (see $dir/config.log)"
		}
		printf '%s' "$args" >"$dir/.ods-configure-args"
	fi
	ods_say "make (in $dir)"
	make -C "$dir" -j"$(nproc)" >>"$dir/build.log" 2>&1 || {
		tail -40 "$dir/build.log" >&2
		ods_die "build failed (see $dir/build.log)"
	}
}
