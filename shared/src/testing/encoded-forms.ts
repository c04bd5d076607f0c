// The forms in which a secret could leak, for the leak canary (TESTING.md): the raw value,
// URL-encoded, hex, and base64 / base64url at each of the three byte alignments it can have inside
// a longer encoded blob. Runtime-neutral (TextEncoder, btoa), so that the Node suites and the
// extension's own tests search for the same list.

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

export function encodedForms(secret: string): { name: string; value: string }[] {
  const raw = new TextEncoder().encode(secret);
  const forms = [
    { name: 'raw', value: secret },
    { name: 'url-encoded', value: encodeURIComponent(secret) },
    { name: 'hex', value: Array.from(raw, (byte) => byte.toString(16).padStart(2, '0')).join('') },
  ];
  for (let shift = 0; shift < 3; shift++) {
    const padded = new Uint8Array(shift + raw.length);
    padded.set(raw, shift);
    const b64 = base64(padded);
    // Drop the characters that mix in the unknown bytes before and after the secret.
    const start = shift === 0 ? 0 : Math.ceil((shift * 4) / 3);
    const fullGroups = Math.floor(padded.length / 3) * 4;
    const core = b64.slice(start, fullGroups);
    if (core.length >= 8) {
      forms.push({ name: `base64@${shift}`, value: core });
      forms.push({ name: `base64url@${shift}`, value: core.replace(/\+/g, '-').replace(/\//g, '_') });
    }
  }
  // Forms that coincide (a URL-encoded alphanumeric key is the raw key) are searched once.
  return forms.filter((form, index) => forms.findIndex((other) => other.value === form.value) === index);
}

/** The values alone, for a search that needs no form names. */
export function encodedValues(secret: string): string[] {
  return encodedForms(secret).map((form) => form.value);
}
