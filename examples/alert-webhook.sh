#!/bin/sh
# An exvault alert command: posts the event (JSON on stdin) to a chat webhook.
#   vault config alert-command "/path/to/alert-webhook.sh"
# The webhook address is read from a file of yours, so it is not on any command line.
# The event holds names and counts only, never a secret value.
set -eu
url_file="${ALERT_WEBHOOK_FILE:-$HOME/.config/exvault/webhook-url}"
event=$(cat)
if [ ! -r "$url_file" ]; then
  # No webhook configured: fall back to the system log.
  logger -t exvault "alert: $event"
  exit 0
fi
# The address (its path is the webhook's token) goes to curl on stdin as a config line, not
# as an argument every user could read in ps; printf is a shell builtin, so no argv holds it.
printf 'url = "%s"\n' "$(cat "$url_file")" | curl --silent --show-error --max-time 8 --config - \
  -H 'Content-Type: application/json' \
  --data "{\"text\": $(printf '%s' "exvault alert: $event" | sed 's/\\/\\\\/g; s/"/\\"/g; s/^/"/; s/$/"/')}" >/dev/null
