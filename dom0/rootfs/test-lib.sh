# Helpers the dom0 scenario and bench scripts share (sourced, busybox sh):
# a domU's console captured to /tmp/con-DOMAIN, waits on it and on the
# kernel log, lines typed at its shell.

# con_lines DOMAIN: its console so far, less a last line still being written (the capture
# writes what arrives: a marker seen there may not have the rest of its line yet).
con_lines() {
    if [ -n "$(tail -c 1 "/tmp/con-$1" 2>/dev/null)" ]; then sed '$d' "/tmp/con-$1"; else cat "/tmp/con-$1" 2>/dev/null; fi
}
# console_until DOMAIN PATTERN SECONDS [COUNT]: its console shows PATTERN (COUNT times, whole lines) in time.
console_until() {
    local i
    for i in $(seq 1 $(($3 * 5))); do
        [ "$(con_lines "$1" | grep -c -- "$2")" -ge "${4:-1}" ] && return 0
        sleep 0.2
    done
    return 1
}
# kmsg_until PATTERN SECONDS: the kernel log (kl's monitors write there) shows PATTERN in time.
kmsg_until() {
    local i
    for i in $(seq 1 $(($2 * 5))); do
        dmesg | grep -q -- "$1" && return 0
        sleep 0.2
    done
    return 1
}
# watch_console DOMAIN: its console into /tmp/con-DOMAIN, in the background.
watch_console() { kl console "$1" > "/tmp/con-$1" 2>&1 < /dev/null & }
# type_in DOMAIN COMMAND: a line typed at the domain's shell.
type_in() { printf '%s\n' "$2" | timeout 3 kl console "$1" > /dev/null 2>&1; }
# state DOMAIN: its state column in kl list.
state() { kl list "$1" 2>/dev/null | awk 'NR == 2 { print $5 }'; }
# show DOMAIN [BYTES]: the end of its console on one line.
show() { tail -c "${2:-600}" "/tmp/con-$1" | tr '\r\n' '  '; }
