# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# live.sh: helpers for the live-change tests (t4xxx): reloads, boots, the
# control socket. Source after netbootfs.sh.
#
#   json_get EXPR < JSON       evaluate the Perl expression EXPR with $j the
#                              decoded document; print it (null, true, false)
#   nb_status_json             `netbootctl status --json` of the running daemon
#   nb_node NODE KEY           one key of NODE in the status ("null" if unset)
#   nb_gens                    open generations, "ID IMAGE REFS" per line
#   nb_log_count ERE           lines of the daemon log matching ERE
#   nb_wait_log ERE N [S]      wait up to S (10) seconds for more than N lines
#   nb_reconfig <<EOF          nb_write_config, then wait for the daemon to
#                              log that it reloaded (or refused)
#   nb_boot SERIAL             simulate a boot: wait out boot_gap seconds of
#                              TFTP silence (and so boot_quiet seconds of a
#                              quiet root), then read SERIAL/start4.elf as
#                              the TFTP server (nb_tftp_read)
#   nb_keepalive SERIAL        keep reading SERIAL/config.txt on the server
#                              every 0.5 s in the background (such reads
#                              start no boot, t4080); nb_keepalive_stop
#   nb_fds_to PATH-ERE         how many of the daemon's fds point at PATH-ERE
#   t_todo DESC REASON CMD...  a known failure, as a TAP TODO result

json_get()
{
	perl -MJSON::PP -e '
		local $/;
		our $j = JSON::PP->new->decode(scalar <STDIN>);
		my $v = eval $ARGV[0];
		die $@ if $@;
		print !defined $v ? "null" : JSON::PP::is_bool($v) ? ($v ? "true" : "false") : $v, "\n";
	' "$1"
}

nb_status_json()
{
	"$NETBOOTCTL" -c "$NB_CONF" status --json
}

nb_node()
{
	nb_status_json | json_get "(grep { \$_->{name} eq '$1' } @{\$j->{nodes}})[0]{$2}"
}

nb_gens()
{
	nb_status_json |
		json_get 'join "\n", map { "$_->{id} $_->{image} $_->{refs}" } @{$j->{generations}}'
}

nb_log_count()
{
	grep -Ec -- "$1" "$NB/netbootfs.log"
}

nb_wait_log()
{
	wait_for "[ \$(nb_log_count '$1') -gt $2 ]" "${3:-10}"
}

nb_reconfig()
{
	local n
	n=$(nb_log_count ': (reloaded|reload refused)')
	nb_write_config && nb_wait_log ': (reloaded|reload refused)' "$n"
}

nb_boot()
{
	local gap
	gap=$(awk -F' *= *' '$1 == "boot_gap" { print $2 }' "$NB_CONF")
	[ "${gap:-60}" -ge 2 ] || gap=2 # boot_quiet's default
	sleep "$((${gap:-60} + 1))"
	nb_tftp_read "$NB/tftp/$1/start4.elf"
}

nb_keepalive()
{
	(
		while [ ! -e "$T/.keepalive.stop" ]; do
			cat "$NB/tftp/$1/config.txt" >/dev/null 2>&1
			sleep 0.5
		done
	) &
	NB_KEEPALIVE_PID=$!
	at_exit "stop_pid $NB_KEEPALIVE_PID"
}

nb_keepalive_stop()
{
	touch "$T/.keepalive.stop"
	wait "$NB_KEEPALIVE_PID" 2>/dev/null
	rm -f "$T/.keepalive.stop"
}

nb_fds_to()
{
	local n=0 fd
	for fd in /proc/"$NB_PID"/fd/*; do
		[[ $(readlink "$fd" 2>/dev/null) =~ $1 ]] && n=$((n + 1))
	done
	echo "$n"
}

# t_todo DESC REASON CMD...: a known failure, reported as a TAP TODO (prove
# does not count it; it shows as "unexpectedly succeeded" once fixed).
t_todo()
{
	local desc=$1 reason=$2 rc=0
	shift 2
	"$@" >"$T/.t_out" 2>&1 || rc=$?
	_t_count=$((_t_count + 1))
	if [ $rc -eq 0 ]; then
		echo "ok $_t_count - $desc # TODO $reason"
	else
		echo "not ok $_t_count - $desc # TODO $reason"
	fi
}
