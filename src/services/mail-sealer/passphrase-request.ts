// Passphrase encryption asked for in the Subject: "[KEYWORD:passphrase]" (keyword from the
// config, any case). Returns the passphrase and the Subject without the request, so the
// passphrase never travels next to the mail it protects.
export interface PassphraseRequest {
  passphrase: string;
  subject: string;
}

export function passphraseRequest(subject: string | undefined, keyword: string): PassphraseRequest | null {
  if (!subject) return null;
  const m = new RegExp(`\\[\\s*${keyword}\\s*:([^\\]]*)\\]`, 'i').exec(subject);
  if (!m) return null;
  return { passphrase: m[1].trim(), subject: (subject.slice(0, m.index) + subject.slice(m.index + m[0].length)).replace(/\s{2,}/g, ' ').trim() };
}
