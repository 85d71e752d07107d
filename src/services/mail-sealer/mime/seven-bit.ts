// Makes an entity safe to sign: a signed part must reach the verifier byte for byte, and a relay
// may re-encode 8-bit content on the way (RFC 8551 3.1.1). Leaf parts with 8-bit bytes and no
// transfer encoding are re-encoded as base64; multiparts are rebuilt around their parts.
import { contentTypeOf, field, headerValue, multipartParts, parseEntity, serialize, base64Wrapped, without } from './entity.ts';

function is7bit(buf: Buffer): boolean {
  for (let i = 0; i < buf.length; i++) if (buf[i] > 0x7f || buf[i] === 0) return false;
  return true;
}

export function make7bit(entity: Buffer, depth = 0): Buffer {
  if (is7bit(entity) || depth > 20) return entity;
  const e = parseEntity(entity);
  const ct = contentTypeOf(e);
  if (ct.type.startsWith('multipart/') && ct.params.boundary) {
    const b = ct.params.boundary;
    const parts = multipartParts(e.body, b).map((p) => make7bit(p, depth + 1));
    const body = Buffer.concat([...parts.flatMap((p) => [Buffer.from(`--${b}\r\n`, 'latin1'), p, Buffer.from('\r\n', 'latin1')]), Buffer.from(`--${b}--\r\n`, 'latin1')]);
    return serialize({ headers: e.headers, body });
  }
  if (ct.type === 'message/rfc822') return serialize({ headers: e.headers, body: make7bit(e.body, depth + 1) });
  const cte = (headerValue(e.headers, 'content-transfer-encoding') ?? '7bit').toLowerCase();
  if (cte === 'base64' || cte === 'quoted-printable') return entity;
  const headers = [...without(e.headers, ['content-transfer-encoding']), field('Content-Transfer-Encoding', 'base64')];
  return serialize({ headers, body: base64Wrapped(e.body, 76) });
}
