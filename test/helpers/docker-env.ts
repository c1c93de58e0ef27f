// `docker run --env-file` as Docker documents it (docs.docker.com, "docker container run":
// --env-file; opts/envfile.go): one VAR=value per line, lines starting with # and blank lines
// ignored, leading white space of a line dropped, the value taken literally after the first
// "=" (no quotes, no escapes, no multi-line), a trailing CR of a line dropped, UTF-8 only.
// No Docker engine runs here, so tests read the file with this instead.
export function parseDockerEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.replace(/^\ufeff/, '').split('\n')) {
    const line = raw.replace(/\r$/, '').replace(/^\s+/, '');
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq === -1) continue; // VAR alone: taken from the caller's environment
    const name = line.slice(0, eq);
    if (/\s/.test(name)) throw new Error(`variable '${name}' contains whitespaces`);
    out[name] = line.slice(eq + 1);
  }
  return out;
}
