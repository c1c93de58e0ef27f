// Canary secrets: values no output, log, file or command line may ever contain, except where
// a command's purpose is to reveal them. Distinctive enough that a hit is never chance.
export const CANARY = {
  apiKey: 'CanaryKeyQ7vX2mZ9pL4wT8rN1bY6cH3jF5dS0gA2eK7uI9oP4xW1zV6nM8qR3tB5y',
  apiSecret: 'CanarySecretH4kJ8dF2sA6gL0qW3eR7tY1uI5oP9zX2cV6bN0mQ4wE8rT3yU7iO1p',
  passphrase: 'CanaryPass-7Hq2!',
  vaultPassphrase: 'canary vault passphrase 81d2c7',
};

export const CANARY_VALUES: string[] = Object.values(CANARY);

/** The first canary value found in text, or null. Also looks for base64 and hex forms. */
export function findCanary(text: string | Buffer): string | null {
  const s = Buffer.isBuffer(text) ? text.toString('latin1') : text;
  for (const v of CANARY_VALUES) {
    const forms = [v, Buffer.from(v).toString('base64').slice(0, 24), Buffer.from(v).toString('hex')];
    if (forms.some((f) => s.includes(f))) return v;
  }
  return null;
}
