#!/usr/bin/env bash
# System packages the test suite needs: a D-Bus session and gnome-keyring (a real Secret
# Service for keychain tests), libsecret-tools (secret-tool, to inspect it), tmux (a real
# terminal for prompt tests), zsh and fish (completion tests in the real shells), git (scan
# tests), strace (fault injection; holding renames in the hostile-neighbour suite), util-linux and
# passwd (setpriv, useradd: a second OS user for the hostile-neighbour suites), dash and
# python3-yaml (secret-shape tests), age (the reference age and age-keygen, that the X25519
# key-slot tests interoperate with), argon2 (the reference Argon2 CLI the native Argon2id is
# checked against), keyutils (keyctl, to inspect the kernel keyring `vault unlock --for` uses),
# openssh-server and openssh-client (sshd and ssh: `vault sync` over ssh to a loopback sshd the
# sync test starts and stops itself, as the current user, with its own config and keys).
# Installs only what is missing; needs root and apt-get.
set -euo pipefail
need=()
command -v dbus-run-session >/dev/null || need+=(dbus dbus-x11)
command -v gnome-keyring-daemon >/dev/null || need+=(gnome-keyring)
command -v secret-tool >/dev/null || need+=(libsecret-tools)
command -v tmux >/dev/null || need+=(tmux)
command -v zsh >/dev/null || need+=(zsh)
command -v fish >/dev/null || need+=(fish)
command -v git >/dev/null || need+=(git)
command -v strace >/dev/null || need+=(strace)
command -v setpriv >/dev/null || need+=(util-linux)
command -v useradd >/dev/null || need+=(passwd)
# Readers the secret-shape tests check inject/export output with: dash, and the system
# Python 3.11+ (json, tomllib) with PyYAML.
command -v dash >/dev/null || need+=(dash)
/usr/bin/python3 -c 'import tomllib, yaml' 2>/dev/null || need+=(python3 python3-yaml)
# age and age-keygen (one package): files and identities made by the real age, for
# test/unit/crypto/age-x25519.test.ts.
command -v age-keygen >/dev/null || need+=(age)
command -v argon2 >/dev/null || need+=(argon2)
command -v keyctl >/dev/null || need+=(keyutils)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null || need+=(openssh-client)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "missing system packages: ${need[*]} (install them, e.g. with apt-get, then run the tests again)" >&2
  exit 1
fi
echo "installing system packages: ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
