#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked gnome-keyring, so keychain
# tests talk to a real Secret Service. Keyrings live in a temporary XDG_DATA_HOME.
set -euo pipefail
keyring_home=$(mktemp -d "${TMPDIR:-/tmp}/exvault-keyring-XXXXXX")
trap 'rm -rf "$keyring_home"' EXIT
export EXVAULT_TEST_KEYRING_HOME="$keyring_home"
# shellcheck disable=SC2016
XDG_DATA_HOME="$keyring_home" dbus-run-session -- sh -c '
  echo -n "exvault-test-keyring" | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
  exec "$@"' sh "$@"
