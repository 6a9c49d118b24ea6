// Talking to the coastwatch server: the user's token, JSON requests and the server's clock.

import { t } from './i18n.js';

const TOKEN_KEY = 'coastwatch.token';

/** The bearer token the user entered (kept in this browser), or ''. */
export function getToken() {
  return localStorage.getItem(TOKEN_KEY) ?? '';
}

/** Keeps `value` as the bearer token; an empty value forgets it. */
export function setToken(value) {
  if (value) localStorage.setItem(TOKEN_KEY, value);
  else localStorage.removeItem(TOKEN_KEY);
}

/** The Authorization header for same-origin requests, when a token is set. */
export function authHeaders() {
  const token = getToken();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** An error answer of the API: `{"error": "...", "detail": ...}` with its HTTP status. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

let clockOffsetMs = 0;

/** The server's time in epoch seconds (learned from the X-Coastwatch-Time header of its answers). */
export function serverNowS() {
  return Math.floor((Date.now() + clockOffsetMs) / 1000);
}

/** Sends a request to the API; resolves to the parsed JSON answer, rejects with ApiError. */
export async function api(path, { method = 'GET', body } = {}) {
  const headers = { Accept: 'application/json', ...authHeaders() };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // the server's own clock (it runs fast in the demo); the Date header as a fallback
  const stamped = Number.parseFloat(response.headers.get('X-Coastwatch-Time') ?? '') * 1000;
  const date = Number.isFinite(stamped) ? stamped : Date.parse(response.headers.get('Date') ?? '');
  if (!Number.isNaN(date)) clockOffsetMs = date - Date.now();
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiError(response.status, data?.error ?? `${response.status} ${response.statusText}`);
  }
  return data;
}

/**
 * Fetches a picture of the API with the bearer token (an <img> cannot send it) and resolves to
 * a blob URL for it (the caller frees it with URL.revokeObjectURL), or to null when the server
 * has none or the request fails.
 */
async function imageUrl(path) {
  try {
    const response = await fetch(path, { headers: { Accept: 'image/jpeg', ...authHeaders() } });
    if (!response.ok) return null;
    const blob = await response.blob();
    return blob.type.startsWith('image/') ? URL.createObjectURL(blob) : null;
  } catch {
    return null;
  }
}

/**
 * An <img> of the API picture at `path`, resolved once it is decoded, or null when there is
 * none or it does not decode (so no broken image is ever shown). `keep(url)` receives the blob
 * URL to free later; a picture that failed is freed here.
 */
export async function loadImage(path, { alt = '', className = '', keep = () => {} } = {}) {
  const url = await imageUrl(path);
  if (!url) return null;
  const img = Object.assign(document.createElement('img'), { alt, className, src: url });
  try {
    await img.decode();
  } catch {
    URL.revokeObjectURL(url);
    return null;
  }
  keep(url);
  return img;
}

/** Shows a short message in the header (errors stay until the next message). */
export function say(text, { error = false } = {}) {
  const element = document.getElementById('message');
  element.textContent = text;
  element.classList.toggle('error', error);
}

/** Shows that `what` failed with `error`; a refused token is told where to enter one. */
export function sayFailure(what, error) {
  const refused = error instanceof ApiError && (error.status === 401 || error.status === 403);
  const hint = refused ? ` ${t('(enter a dispatcher token at the top right)')}` : '';
  say(`${what}: ${error.message}${hint}`, { error: true });
}
