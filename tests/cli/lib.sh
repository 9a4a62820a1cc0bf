# lib.sh: helpers shared by the tests/cli scripts (sourced, not run).

# Number of lines as smtpclass counts them: newlines, plus one for a final
# line without '\n'.
count_lines() {
    local n
    n=$(wc -l < "$1")
    if [ -s "$1" ] && [ "$(tail -c 1 "$1" | od -An -tx1 | tr -d ' \n')" != "0a" ]; then
        n=$((n + 1))
    fi
    echo "$n"
}

# Remove the tags: on each line, from the last TAB whose following text
# starts with "class=" to the end of the line, keeping a trailing '\r' (the
# tags are inserted before it) and the '\n'. Binary-safe.
strip_tags() {
    perl -pe 'if (/\A(.*)\t(class=[^\t\n]*)(\n?)\z/s) {
                  my ($p, $t, $nl) = ($1, $2, $3);
                  my $cr = ($t =~ /\r\z/) ? "\r" : "";
                  $_ = $p . $cr . $nl;
              }'
}
