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
complete -c zonectl -n "__fish_zonectl_needs_command" -f -a "keygen" -d 'Generate a DNSSEC key pair in BIND\'s key file format'
complete -c zonectl -n "__fish_zonectl_needs_command" -f -a "sign" -d 'Sign a zone with DNSSEC (NSEC or NSEC3)'
complete -c zonectl -n "__fish_zonectl_needs_command" -f -a "verify" -d 'Verify the DNSSEC signatures and NSEC/NSEC3 chain of a signed zone'
complete -c zonectl -n "__fish_zonectl_needs_command" -f -a "ds" -d 'Print DS records for a zone\'s key-signing keys'
complete -c zonectl -n "__fish_zonectl_needs_command" -f -a "xfr" -d 'Transfer a zone from a primary (AXFR or IXFR) into a local file'
complete -c zonectl -n "__fish_zonectl_needs_command" -f -a "notify" -d 'Send NOTIFY for a zone to secondaries'
complete -c zonectl -n "__fish_zonectl_needs_command" -f -a "probe" -d 'Check a domain\'s nameserver IP diversity and delegation health'
complete -c zonectl -n "__fish_zonectl_needs_command" -f -a "serve" -d 'Run an authoritative DNS server for zone files'
complete -c zonectl -n "__fish_zonectl_needs_command" -f -a "diff" -d 'Compare two zones RRset by RRset'
complete -c zonectl -n "__fish_zonectl_needs_command" -f -a "push" -d 'Push zones to their servers or DNS providers, plan first'
complete -c zonectl -n "__fish_zonectl_needs_command" -f -a "tsig-keygen" -d 'Generate a TSIG key (as BIND\'s tsig-keygen or Knot\'s keymgr -t)'
complete -c zonectl -n "__fish_zonectl_needs_command" -f -a "completions" -d 'Print shell completions to standard output'
complete -c zonectl -n "__fish_zonectl_needs_command" -f -a "man" -d 'Write man pages (one per subcommand) into a directory'
complete -c zonectl -n "__fish_zonectl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c zonectl -n "__fish_zonectl_using_subcommand check" -s z -s n -l origin -d 'Zone origin (default: the owner of the SOA, else the file name)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand check" -l format -d 'Output format' -r -f -a "text\t'One line per finding, file:line:column: severity[code]: message'
table\t'A table of findings'
json\t'JSON with stable field names'"
complete -c zonectl -n "__fish_zonectl_using_subcommand check" -l color -d 'When to colour the text output' -r -f -a "auto\t'Colour when standard output is a terminal and NO_COLOR is unset'
always\t''
never\t''"
complete -c zonectl -n "__fish_zonectl_using_subcommand check" -l check-names -d 'Host-name syntax checks of owners and targets (RFC 952/1123)' -r -f -a "ignore\t''
warn\t''
fail\t''"
complete -c zonectl -n "__fish_zonectl_using_subcommand check" -l max-ttl -d 'Report records whose TTL exceeds this (seconds or units, e.g. 1d)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand check" -l ignore -d 'Leave out findings with this code (repeatable), e.g. soa-timers' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand check" -l max-errors -d 'Stop reading a zone after this many syntax errors' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand check" -s j -l jobs -d 'Zones checked at once (default: the number of cores)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand check" -l include-root -d '$INCLUDEd files must be inside this directory (default: anywhere, as BIND allows)' -r -F
complete -c zonectl -n "__fish_zonectl_using_subcommand check" -l strict -d 'Exit 1 on warnings too (info findings never fail)'
complete -c zonectl -n "__fish_zonectl_using_subcommand check" -l no-dnssec -d 'Leave out the DNSSEC checks (keys, CDS/CDNSKEY, NSEC/NSEC3 chains, signatures)'
complete -c zonectl -n "__fish_zonectl_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zonectl -n "__fish_zonectl_using_subcommand check" -s V -l version -d 'Print version'
complete -c zonectl -n "__fish_zonectl_using_subcommand fmt" -s z -s n -l origin -d 'Zone origin (default: the owner of the SOA, else the file name)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand fmt" -s o -l output -d 'Write here (atomically) instead of standard output' -r -F
complete -c zonectl -n "__fish_zonectl_using_subcommand fmt" -l include-root -d '$INCLUDEd files must be inside this directory (default: anywhere, as BIND allows)' -r -F
complete -c zonectl -n "__fish_zonectl_using_subcommand fmt" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zonectl -n "__fish_zonectl_using_subcommand fmt" -s V -l version -d 'Print version'
complete -c zonectl -n "__fish_zonectl_using_subcommand keygen" -s a -l algorithm -d 'The algorithm, by name or number' -r -f -a "ECDSAP256SHA256\t''
ECDSAP384SHA384\t''
ED25519\t''
RSASHA256\t''
RSASHA512\t''"
complete -c zonectl -n "__fish_zonectl_using_subcommand keygen" -l bits -d 'RSA modulus size' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand keygen" -s K -l directory -d 'Directory for the key files' -r -F
complete -c zonectl -n "__fish_zonectl_using_subcommand keygen" -l import -d 'Import a PKCS #8 PEM private key (Knot\'s keystore, OpenSSL) instead of generating one' -r -F
complete -c zonectl -n "__fish_zonectl_using_subcommand keygen" -l ksk -d 'A key-signing key (flags 257)'
complete -c zonectl -n "__fish_zonectl_using_subcommand keygen" -l csk -d 'A combined signing key (flags 257, signs everything)'
complete -c zonectl -n "__fish_zonectl_using_subcommand keygen" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zonectl -n "__fish_zonectl_using_subcommand keygen" -s V -l version -d 'Print version'
complete -c zonectl -n "__fish_zonectl_using_subcommand sign" -s K -l keys -d 'A key file (.key or .private), or a directory of them; repeat for more' -r -F
complete -c zonectl -n "__fish_zonectl_using_subcommand sign" -s o -l output -d 'The signed zone (written atomically)' -r -F
complete -c zonectl -n "__fish_zonectl_using_subcommand sign" -s z -s n -l origin -d 'Zone origin (default: the owner of the SOA, else the file name)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand sign" -l iterations -d 'NSEC3 extra iterations (RFC 9276: 0; more than 100 needs --force-iterations)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand sign" -l salt -d 'NSEC3 salt in hex (at most 255 octets), or - for none (RFC 9276: none)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand sign" -l inception -d 'Signature inception' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand sign" -l expiration -d 'Signature expiration' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand sign" -l jitter -d 'Spread expirations over this much before --expiration (e.g. 1d)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand sign" -l refresh -d 'Keep existing signatures valid for longer than this (e.g. 7d)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand sign" -l serial -d 'SOA serial policy' -r -f -a "keep\t''
increment\t''
unixtime\t''
dateserial\t''"
complete -c zonectl -n "__fish_zonectl_using_subcommand sign" -l format -d 'Output format of the summary' -r -f -a "table\t''
json\t''"
complete -c zonectl -n "__fish_zonectl_using_subcommand sign" -l include-root -d '$INCLUDEd files must be inside this directory (default: anywhere, as BIND allows)' -r -F
complete -c zonectl -n "__fish_zonectl_using_subcommand sign" -l nsec3 -d 'Authenticated denial with NSEC3 (RFC 5155) instead of NSEC'
complete -c zonectl -n "__fish_zonectl_using_subcommand sign" -l force-iterations -d 'Sign with more NSEC3 iterations than validators accept'
complete -c zonectl -n "__fish_zonectl_using_subcommand sign" -l opt-out -d 'Leave insecure delegations out of the NSEC3 chain'
complete -c zonectl -n "__fish_zonectl_using_subcommand sign" -l zonemd -d 'Add a ZONEMD record (RFC 8976, SIMPLE, SHA-384)'
complete -c zonectl -n "__fish_zonectl_using_subcommand sign" -l cds -d 'Publish CDS (SHA-256) and CDNSKEY for the KSKs (RFC 7344)'
complete -c zonectl -n "__fish_zonectl_using_subcommand sign" -l cds-delete -d 'Publish the CDS/CDNSKEY delete form (RFC 8078 §4)'
complete -c zonectl -n "__fish_zonectl_using_subcommand sign" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zonectl -n "__fish_zonectl_using_subcommand sign" -s V -l version -d 'Print version'
complete -c zonectl -n "__fish_zonectl_using_subcommand verify" -s z -s n -l origin -d 'Zone origin (default: the owner of the SOA, else the file name)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand verify" -l time -d 'Check signature validity at this time instead of now' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand verify" -l trust-anchor -d 'A file of DS or DNSKEY records that must match a key signing the DNSKEY RRset' -r -F
complete -c zonectl -n "__fish_zonectl_using_subcommand verify" -l format -d 'Output format' -r -f -a "table\t''
json\t''"
complete -c zonectl -n "__fish_zonectl_using_subcommand verify" -l include-root -d '$INCLUDEd files must be inside this directory (default: anywhere, as BIND allows)' -r -F
complete -c zonectl -n "__fish_zonectl_using_subcommand verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zonectl -n "__fish_zonectl_using_subcommand verify" -s V -l version -d 'Print version'
complete -c zonectl -n "__fish_zonectl_using_subcommand ds" -l digest -d 'Digest type' -r -f -a "sha256\t''
sha384\t''"
complete -c zonectl -n "__fish_zonectl_using_subcommand ds" -s z -s n -l origin -d 'Zone origin for a zone file' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand ds" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zonectl -n "__fish_zonectl_using_subcommand ds" -s V -l version -d 'Print version'
complete -c zonectl -n "__fish_zonectl_using_subcommand xfr" -l from -d 'The primary: ADDRESS, ADDRESS:PORT, [IPv6]:PORT or HOST[:PORT]' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand xfr" -s p -l port -d 'Port when --from names none' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand xfr" -s o -l output -d 'The local copy: read for IXFR, replaced atomically (default: the zone to standard output, AXFR)' -r -F
complete -c zonectl -n "__fish_zonectl_using_subcommand xfr" -s y -l tsig -d 'TSIG key as [ALGORITHM:]NAME:SECRET or NAME:ALGORITHM:SECRET (visible to other users in ps: prefer --tsig-file)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand xfr" -s k -l tsig-file -d 'File with TSIG keys: BIND key statements or a Knot key: section' -r -F
complete -c zonectl -n "__fish_zonectl_using_subcommand xfr" -l tsig-key -d 'Which key of --tsig-file to use (default: the only one)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand xfr" -l tsig-fudge -d 'Allowed clock difference, in seconds' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand xfr" -l keep -d 'Keep this many previous versions as FILE.1 … FILE.N' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand xfr" -l journal-size -d 'Largest journal (FILE.jnl), in bytes or with a unit (k, M, G)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand xfr" -l max-time -d 'The longest the whole transfer may take (e.g. 30m, 2h)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand xfr" -l max-size -d 'The most the transfer may bring, in bytes or with a unit (k, M, G)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand xfr" -l max-ixfr-size -d 'The most IXFR changes held in memory before they are applied' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand xfr" -l timeout -d 'Seconds to wait for the server at each step (1 to 3600)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand xfr" -l format -d 'Output format of the summary (to standard error when the zone goes to standard output)' -r -f -a "table\t''
json\t''"
complete -c zonectl -n "__fish_zonectl_using_subcommand xfr" -l axfr -d 'Always take the whole zone'
complete -c zonectl -n "__fish_zonectl_using_subcommand xfr" -l ixfr -d 'Only take an IXFR (fail rather than fall back to AXFR)'
complete -c zonectl -n "__fish_zonectl_using_subcommand xfr" -l udp -d 'Ask for the IXFR over UDP first (TCP when it does not fit)'
complete -c zonectl -n "__fish_zonectl_using_subcommand xfr" -l if-newer -d 'Ask the primary\'s SOA first; transfer only if its serial is newer'
complete -c zonectl -n "__fish_zonectl_using_subcommand xfr" -l verify-dnssec -d 'Verify the received zone\'s DNSSEC signatures before replacing the local copy'
complete -c zonectl -n "__fish_zonectl_using_subcommand xfr" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zonectl -n "__fish_zonectl_using_subcommand xfr" -s V -l version -d 'Print version'
complete -c zonectl -n "__fish_zonectl_using_subcommand notify" -l to -d 'A secondary to notify (repeatable): ADDRESS, ADDRESS:PORT or [IPv6]:PORT' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand notify" -s p -l port -d 'Port when a target names none' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand notify" -l zone-file -d 'Zone file whose SOA the NOTIFY carries' -r -F
complete -c zonectl -n "__fish_zonectl_using_subcommand notify" -s y -l tsig -d 'TSIG key as [ALGORITHM:]NAME:SECRET or NAME:ALGORITHM:SECRET (visible to other users in ps: prefer --tsig-file)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand notify" -s k -l tsig-file -d 'File with TSIG keys: BIND key statements or a Knot key: section' -r -F
complete -c zonectl -n "__fish_zonectl_using_subcommand notify" -l tsig-key -d 'Which key of --tsig-file to use (default: the only one)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand notify" -l tsig-fudge -d 'Allowed clock difference, in seconds' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand notify" -l timeout -d 'Seconds to wait for the first answer (1 to 60); doubled at each retry' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand notify" -l tries -d 'Tries per target (1 to 10)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand notify" -l format -d 'Output format' -r -f -a "table\t''
json\t''"
complete -c zonectl -n "__fish_zonectl_using_subcommand notify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zonectl -n "__fish_zonectl_using_subcommand notify" -s V -l version -d 'Print version'
complete -c zonectl -n "__fish_zonectl_using_subcommand probe" -l file -d 'Read domains from this file, one per line (# starts a comment)' -r -F
complete -c zonectl -n "__fish_zonectl_using_subcommand probe" -l resolver -d 'Recursive resolver for the lookups (default: the first nameserver of /etc/resolv.conf)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand probe" -s p -l port -d 'Port to ask the nameservers themselves (parent and the domain\'s) on' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand probe" -l format -d 'Output format' -r -f -a "table\t''
json\t''"
complete -c zonectl -n "__fish_zonectl_using_subcommand probe" -l min-v4-blocks -d 'Fewest distinct IPv4 blocks that pass' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand probe" -l min-v6-blocks -d 'Fewest distinct IPv6 blocks that pass (0: IPv6 not required)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand probe" -l v4-prefix -d 'IPv4 block size (prefix length)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand probe" -l v6-prefix -d 'IPv6 block size (prefix length)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand probe" -l asn-db -d 'Offline IP-to-AS table (ip2asn TSV) to group by origin AS too' -r -F
complete -c zonectl -n "__fish_zonectl_using_subcommand probe" -l timeout -d 'Seconds to wait for each answer (0.05 to 3600)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand probe" -l max-time -d 'The longest one domain\'s probe may take, all its queries together (seconds)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand probe" -l retries -d 'Further tries after a timeout (0 to 10)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand probe" -s j -l jobs -d 'Domains probed at once (1 to 256)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand probe" -l query -d 'Ask every nameserver address for the SOA (the default)'
complete -c zonectl -n "__fish_zonectl_using_subcommand probe" -l no-query -d 'Do not contact the nameservers; judge the addresses only'
complete -c zonectl -n "__fish_zonectl_using_subcommand probe" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zonectl -n "__fish_zonectl_using_subcommand probe" -s V -l version -d 'Print version'
complete -c zonectl -n "__fish_zonectl_using_subcommand serve" -s c -l config -d 'Configuration file (YAML)' -r -F
complete -c zonectl -n "__fish_zonectl_using_subcommand serve" -l zone -d 'A zone to serve, as NAME=FILE (repeatable; added to the configuration\'s zones)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand serve" -s l -l listen -d 'Address to answer on, as ADDRESS:PORT (repeatable; replaces the configuration\'s; port 0 picks one)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand serve" -l workers -d 'UDP worker threads, one socket each (0: one per core)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand serve" -l identity -d 'Answer id.server and hostname.bind (class CH) with this text' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand serve" -l nsid -d 'NSID to send to clients that ask (text, or hex:DIGITS)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand serve" -l log-level -d 'Log level: error, warn, info, debug or trace (RUST_LOG overrides)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand serve" -l format -d 'Output format of --check-config' -r -f -a "table\t''
json\t''"
complete -c zonectl -n "__fish_zonectl_using_subcommand serve" -l check-config -d 'Check the configuration and load every zone, then exit without serving'
complete -c zonectl -n "__fish_zonectl_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zonectl -n "__fish_zonectl_using_subcommand serve" -s V -l version -d 'Print version'
complete -c zonectl -n "__fish_zonectl_using_subcommand diff" -s f -l format -r -f -a "diff\t'A unified diff of zone text, per RRset'
table\t'A table of changed RRsets'
json\t'JSON with stable field names'
patch\t'A change list that `zonectl push --patch` applies'"
complete -c zonectl -n "__fish_zonectl_using_subcommand diff" -l color -r -f -a "auto\t'Colour when standard output is a terminal and NO_COLOR is unset'
always\t''
never\t''"
complete -c zonectl -n "__fish_zonectl_using_subcommand diff" -l config -d 'The push configuration that target:NAME/ZONE refers to' -r -F
complete -c zonectl -n "__fish_zonectl_using_subcommand diff" -s z -l origin -d 'The zone\'s origin, for zone files that do not say it' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand diff" -s y -l tsig -d 'TSIG key as [ALGORITHM:]NAME:SECRET or NAME:ALGORITHM:SECRET (visible to other users in ps: prefer --tsig-file)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand diff" -s k -l tsig-file -d 'File with TSIG keys: BIND key statements or a Knot key: section' -r -F
complete -c zonectl -n "__fish_zonectl_using_subcommand diff" -l tsig-key -d 'Which key of --tsig-file to use (default: the only one)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand diff" -l tsig-fudge -d 'Allowed clock difference, in seconds' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand diff" -l dnssec -d 'Compare DNSSEC records too'
complete -c zonectl -n "__fish_zonectl_using_subcommand diff" -l serial -d 'Count a change of the SOA serial alone'
complete -c zonectl -n "__fish_zonectl_using_subcommand diff" -l exit-code -d 'Exit 1 when the zones differ'
complete -c zonectl -n "__fish_zonectl_using_subcommand diff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zonectl -n "__fish_zonectl_using_subcommand diff" -s V -l version -d 'Print version'
complete -c zonectl -n "__fish_zonectl_using_subcommand push" -s c -l config -d 'The push configuration (YAML)' -r -F
complete -c zonectl -n "__fish_zonectl_using_subcommand push" -l zone -d 'Only these zones (default: every zone of the configuration)' -r
complete -c zonectl -n "__fish_zonectl_using_subcommand push" -l plan-out -d 'Save the plan, with the checksum of the target state it was made against' -r -F
complete -c zonectl -n "__fish_zonectl_using_subcommand push" -l plan-in -d 'Apply exactly this saved plan (with --apply)' -r -F
complete -c zonectl -n "__fish_zonectl_using_subcommand push" -l patch -d 'The desired state is the target\'s current state with this patch (from `zonectl diff --format patch`)' -r -F
complete -c zonectl -n "__fish_zonectl_using_subcommand push" -s f -l format -r -f -a "table\t''
json\t''"
complete -c zonectl -n "__fish_zonectl_using_subcommand push" -l color -r -f -a "auto\t'Colour when standard output is a terminal and NO_COLOR is unset'
always\t''
never\t''"
complete -c zonectl -n "__fish_zonectl_using_subcommand push" -l apply -d 'Make the change (without it, only the plan is printed)'
complete -c zonectl -n "__fish_zonectl_using_subcommand push" -l force -d 'Go on past the safety rules (max-change, apex NS, SOA, DNSSEC)'
complete -c zonectl -n "__fish_zonectl_using_subcommand push" -l exit-code -d 'Exit 1 when there are changes'
complete -c zonectl -n "__fish_zonectl_using_subcommand push" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zonectl -n "__fish_zonectl_using_subcommand push" -s V -l version -d 'Print version'
complete -c zonectl -n "__fish_zonectl_using_subcommand tsig-keygen" -s a -l algorithm -d 'The HMAC algorithm' -r -f -a "hmac-sha256\t''
hmac-sha384\t''
hmac-sha512\t''
hmac-sha224\t''
hmac-sha1\t''
hmac-md5\t''"
complete -c zonectl -n "__fish_zonectl_using_subcommand tsig-keygen" -l knot -d 'Write a Knot key: section instead of a BIND key statement'
complete -c zonectl -n "__fish_zonectl_using_subcommand tsig-keygen" -s h -l help -d 'Print help'
complete -c zonectl -n "__fish_zonectl_using_subcommand tsig-keygen" -s V -l version -d 'Print version'
complete -c zonectl -n "__fish_zonectl_using_subcommand completions" -s h -l help -d 'Print help'
complete -c zonectl -n "__fish_zonectl_using_subcommand completions" -s V -l version -d 'Print version'
complete -c zonectl -n "__fish_zonectl_using_subcommand man" -l dir -d 'Directory to write the pages into' -r -F
complete -c zonectl -n "__fish_zonectl_using_subcommand man" -s h -l help -d 'Print help'
complete -c zonectl -n "__fish_zonectl_using_subcommand man" -s V -l version -d 'Print version'
complete -c zonectl -n "__fish_zonectl_using_subcommand help; and not __fish_seen_subcommand_from check fmt keygen sign verify ds xfr notify probe serve diff push tsig-keygen completions man help" -f -a "check" -d 'Check zone files for syntax and semantic errors'
complete -c zonectl -n "__fish_zonectl_using_subcommand help; and not __fish_seen_subcommand_from check fmt keygen sign verify ds xfr notify probe serve diff push tsig-keygen completions man help" -f -a "fmt" -d 'Rewrite a zone in canonical presentation format'
complete -c zonectl -n "__fish_zonectl_using_subcommand help; and not __fish_seen_subcommand_from check fmt keygen sign verify ds xfr notify probe serve diff push tsig-keygen completions man help" -f -a "keygen" -d 'Generate a DNSSEC key pair in BIND\'s key file format'
complete -c zonectl -n "__fish_zonectl_using_subcommand help; and not __fish_seen_subcommand_from check fmt keygen sign verify ds xfr notify probe serve diff push tsig-keygen completions man help" -f -a "sign" -d 'Sign a zone with DNSSEC (NSEC or NSEC3)'
complete -c zonectl -n "__fish_zonectl_using_subcommand help; and not __fish_seen_subcommand_from check fmt keygen sign verify ds xfr notify probe serve diff push tsig-keygen completions man help" -f -a "verify" -d 'Verify the DNSSEC signatures and NSEC/NSEC3 chain of a signed zone'
complete -c zonectl -n "__fish_zonectl_using_subcommand help; and not __fish_seen_subcommand_from check fmt keygen sign verify ds xfr notify probe serve diff push tsig-keygen completions man help" -f -a "ds" -d 'Print DS records for a zone\'s key-signing keys'
complete -c zonectl -n "__fish_zonectl_using_subcommand help; and not __fish_seen_subcommand_from check fmt keygen sign verify ds xfr notify probe serve diff push tsig-keygen completions man help" -f -a "xfr" -d 'Transfer a zone from a primary (AXFR or IXFR) into a local file'
complete -c zonectl -n "__fish_zonectl_using_subcommand help; and not __fish_seen_subcommand_from check fmt keygen sign verify ds xfr notify probe serve diff push tsig-keygen completions man help" -f -a "notify" -d 'Send NOTIFY for a zone to secondaries'
complete -c zonectl -n "__fish_zonectl_using_subcommand help; and not __fish_seen_subcommand_from check fmt keygen sign verify ds xfr notify probe serve diff push tsig-keygen completions man help" -f -a "probe" -d 'Check a domain\'s nameserver IP diversity and delegation health'
complete -c zonectl -n "__fish_zonectl_using_subcommand help; and not __fish_seen_subcommand_from check fmt keygen sign verify ds xfr notify probe serve diff push tsig-keygen completions man help" -f -a "serve" -d 'Run an authoritative DNS server for zone files'
complete -c zonectl -n "__fish_zonectl_using_subcommand help; and not __fish_seen_subcommand_from check fmt keygen sign verify ds xfr notify probe serve diff push tsig-keygen completions man help" -f -a "diff" -d 'Compare two zones RRset by RRset'
complete -c zonectl -n "__fish_zonectl_using_subcommand help; and not __fish_seen_subcommand_from check fmt keygen sign verify ds xfr notify probe serve diff push tsig-keygen completions man help" -f -a "push" -d 'Push zones to their servers or DNS providers, plan first'
complete -c zonectl -n "__fish_zonectl_using_subcommand help; and not __fish_seen_subcommand_from check fmt keygen sign verify ds xfr notify probe serve diff push tsig-keygen completions man help" -f -a "tsig-keygen" -d 'Generate a TSIG key (as BIND\'s tsig-keygen or Knot\'s keymgr -t)'
complete -c zonectl -n "__fish_zonectl_using_subcommand help; and not __fish_seen_subcommand_from check fmt keygen sign verify ds xfr notify probe serve diff push tsig-keygen completions man help" -f -a "completions" -d 'Print shell completions to standard output'
complete -c zonectl -n "__fish_zonectl_using_subcommand help; and not __fish_seen_subcommand_from check fmt keygen sign verify ds xfr notify probe serve diff push tsig-keygen completions man help" -f -a "man" -d 'Write man pages (one per subcommand) into a directory'
complete -c zonectl -n "__fish_zonectl_using_subcommand help; and not __fish_seen_subcommand_from check fmt keygen sign verify ds xfr notify probe serve diff push tsig-keygen completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
