# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_zonectl_global_optspecs
    string join \n h/help V/version
end

function __fish_zonectl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_zonectl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_zonectl_using_subcommand
    set -l cmd (__fish_zonectl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c zonectl -n "__fish_zonectl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zonectl -n "__fish_zonectl_needs_command" -s V -l version -d 'Print version'
complete -c zonectl -n "__fish_zonectl_needs_command" -f -a "check" -d 'Check zone files for syntax and semantic errors'
complete -c zonectl -n "__fish_zonectl_needs_command" -f -a "fmt" -d 'Rewrite a zone in canonical presentation format'
complete -c zonectl -n "__fish_zonectl_needs_command" -f -a "completions" -d 'Print shell completions to standard output'
complete -c zonectl -n "__fish_zonectl_needs_command" -f -a "man" -d 'Write man pages (one per subcommand) into a directory'
complete -c zonectl -n "__fish_zonectl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c zonectl -n "__fish_zonectl_using_subcommand check" -s o -l origin -d 'Zone origin (default: the owner of the SOA, else the file name)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand check" -l format -d 'Output format' -r -f -a "table\t''
json\t''"
complete -c zonectl -n "__fish_zonectl_using_subcommand check" -l check-names -d 'Host-name syntax checks of owners and targets (RFC 952/1123)' -r -f -a "ignore\t''
warn\t''
fail\t''"
complete -c zonectl -n "__fish_zonectl_using_subcommand check" -l max-ttl -d 'Report records whose TTL exceeds this (seconds or units, e.g. 1d)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand check" -l ignore -d 'Leave out findings with this code (repeatable), e.g. soa-timers' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand check" -l max-errors -d 'Stop reading a zone after this many syntax errors' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand check" -s j -l jobs -d 'Zones checked at once (default: the number of cores)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand check" -l strict -d 'Exit 1 on warnings too'
complete -c zonectl -n "__fish_zonectl_using_subcommand check" -l no-dnssec -d 'Leave out the DNSSEC checks (keys, CDS/CDNSKEY, NSEC/NSEC3 chains, signatures)'
complete -c zonectl -n "__fish_zonectl_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zonectl -n "__fish_zonectl_using_subcommand check" -s V -l version -d 'Print version'
complete -c zonectl -n "__fish_zonectl_using_subcommand fmt" -l origin -d 'Zone origin (default: the owner of the SOA, else the file name)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand fmt" -s o -l output -d 'Write here (atomically) instead of standard output' -r -F
complete -c zonectl -n "__fish_zonectl_using_subcommand fmt" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zonectl -n "__fish_zonectl_using_subcommand fmt" -s V -l version -d 'Print version'
complete -c zonectl -n "__fish_zonectl_using_subcommand completions" -s h -l help -d 'Print help'
complete -c zonectl -n "__fish_zonectl_using_subcommand completions" -s V -l version -d 'Print version'
complete -c zonectl -n "__fish_zonectl_using_subcommand man" -l dir -d 'Directory to write the pages into' -r -F
complete -c zonectl -n "__fish_zonectl_using_subcommand man" -s h -l help -d 'Print help'
complete -c zonectl -n "__fish_zonectl_using_subcommand man" -s V -l version -d 'Print version'
complete -c zonectl -n "__fish_zonectl_using_subcommand help; and not __fish_seen_subcommand_from check fmt completions man help" -f -a "check" -d 'Check zone files for syntax and semantic errors'
complete -c zonectl -n "__fish_zonectl_using_subcommand help; and not __fish_seen_subcommand_from check fmt completions man help" -f -a "fmt" -d 'Rewrite a zone in canonical presentation format'
complete -c zonectl -n "__fish_zonectl_using_subcommand help; and not __fish_seen_subcommand_from check fmt completions man help" -f -a "completions" -d 'Print shell completions to standard output'
complete -c zonectl -n "__fish_zonectl_using_subcommand help; and not __fish_seen_subcommand_from check fmt completions man help" -f -a "man" -d 'Write man pages (one per subcommand) into a directory'
complete -c zonectl -n "__fish_zonectl_using_subcommand help; and not __fish_seen_subcommand_from check fmt completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
