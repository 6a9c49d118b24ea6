// The grid officer's page (`/inspect`, made for a phone): the risk points nearest first, the
// findings, and the visit recorded where the phone is (the server refuses a visit recorded far
// from the site), with up to four photos shrunk to 1600 px. Below, the sites whose inspection
// is overdue.

import { api, say, sayFailure } from './api.js';
import { el } from './dom.js';
import { dateTime, name, t } from './i18n.js';

/** Metres between two lon/lat points (haversine). */
function metres([lon1, lat1], [lon2, lat2]) {
  const rad = Math.PI / 180;
  const a = Math.sin(((lat2 - lat1) * rad) / 2) ** 2
    + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lon2 - lon1) * rad) / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(a));
}

/** Photos one inspection may carry (the server's limit). */
const MAX_PHOTOS = 4;
/** A photo's longer side is cut to this before it is sent (a phone's are 4000 px and more). */
const PHOTO_MAX_SIDE = 1600;

/** A picture from the phone as a JPEG data URL, its longer side at most PHOTO_MAX_SIDE. */
async function shrink(file) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, PHOTO_MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  return canvas.toDataURL('image/jpeg', 0.8);
}

export async function inspectPage() {
  document.body.classList.add('inspect-page');
  const position = el('p', { id: 'position', textContent: t('Locating…') });
  const site = el('select', { id: 'site', required: true });
  const findings = el('textarea', { id: 'findings', rows: 4, required: true });
  const result = el('select', { id: 'result' }, ...['ok', 'issues'].map((r) => el('option', { value: r, textContent: name('result', r) })));
  const photos = el('input', { id: 'photos', type: 'file', accept: 'image/*', multiple: true });
  photos.setAttribute('capture', 'environment');
  const submit = el('button', { type: 'submit', textContent: t('Record inspection'), disabled: true });
  const overdue = el('ul', { id: 'overdue' });
  const form = el('form', { id: 'inspect-form' },
    el('h2', { textContent: t('Inspection') }),
    position,
    el('label', {}, t('Risk point'), site),
    el('label', {}, t('Findings'), findings),
    el('label', {}, t('Result'), result),
    el('label', {}, t('Photos (at most 4)'), photos),
    submit);
  document.querySelector('main').replaceChildren(el('section', { className: 'inspect' },
    form,
    el('h2', { textContent: t('Overdue inspections') }),
    overdue,
    el('a', { href: '/', textContent: t('Back to the map') })));

  let here = null;
  let sites = [];
  const fill = () => {
    const chosen = site.value;
    const sorted = here ? [...sites].sort((a, b) => metres(here, a.geometry.coordinates) - metres(here, b.geometry.coordinates)) : sites;
    site.replaceChildren(...sorted.map((f) => {
      const away = here ? ` · ${Math.round(metres(here, f.geometry.coordinates))} m` : '';
      return el('option', { value: f.id, textContent: `${f.properties.name} (${name('risk_kind', f.properties.kind)})${away}` });
    }));
    if (chosen) site.value = chosen;
    submit.disabled = !here || sites.length === 0;
  };
  try {
    sites = (await api('/ogc/collections/risk_points/items?limit=10000')).features;
  } catch (error) {
    sayFailure(t('Risk point'), error);
  }
  fill();
  navigator.geolocation?.watchPosition(
    (p) => {
      here = [p.coords.longitude, p.coords.latitude];
      position.textContent = `${t('Position')}: ${here[1].toFixed(5)}, ${here[0].toFixed(5)} (±${Math.round(p.coords.accuracy)} m)`;
      fill();
    },
    () => { position.textContent = t('no position: allow location access'); },
    { enableHighAccuracy: true, maximumAge: 10000 },
  );

  const loadOverdue = async () => {
    try {
      const due = await api('/api/v1/inspections/overdue');
      overdue.replaceChildren(...due.map((d) => el('li', {
        textContent: `${d.name} (${name('risk_kind', d.kind)}) · ${d.town ?? ''} · ${d.last_inspected ? dateTime(d.last_inspected) : t('never inspected')}`,
      })));
    } catch (error) {
      sayFailure(t('Overdue inspections'), error);
    }
  };
  loadOverdue();

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!here) return;
    try {
      const pictures = await Promise.all([...photos.files].slice(0, MAX_PHOTOS).map(shrink));
      await api('/api/v1/inspections', {
        method: 'POST',
        body: { risk_point_id: Number(site.value), lon: here[0], lat: here[1], findings: findings.value, result: result.value, photos: pictures },
      });
      say(t('Inspection recorded'));
      findings.value = '';
      photos.value = '';
      loadOverdue();
    } catch (error) {
      sayFailure(t('Inspection'), error);
    }
  });
}
