// The tenant API over fetch: the session cookie goes by itself; writes
// carry the session's CSRF token (docs/tenant.md).
let csrf = '';

export class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

export function setCsrf(token) { csrf = token || ''; }

export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-CSRF-Token'] = csrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(path, { method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
  if (!r.ok) {
    const err = data && data.error ? data.error : { code: 'http_' + r.status, message: text.slice(0, 200) };
    throw new ApiError(r.status, err.code, err.message);
  }
  return data;
}
