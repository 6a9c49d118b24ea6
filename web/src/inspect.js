// The grid officer's page (`/inspect`, made for a phone): the risk points nearest first, the
// findings, and the visit recorded where the phone is (the server refuses a visit recorded far
// from the site). Below, the sites whose inspection is overdue.

import { el } from './alerts.js';
import { ApiError, api, say } from './api.js';
import { dateTime, name, t } from './i18n.js';

/** Metres between two lon/lat points (haversine). */
function metres([lon1, lat1], [lon2, lat2]) {
  const rad = Math.PI / 180;
  const a = Math.sin(((lat2 - lat1) * rad) / 2) ** 2
    + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lon2 - lon1) * rad) / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(a));
}

export async function inspectPage() {
  document.body.classList.add('inspect-page');
  const position = el('p', { id: 'position', textContent: t('Locating…') });
  const site = el('select', { id: 'site', required: true });
  const findings = el('textarea', { id: 'findings', rows: 4, required: true });
  const result = el('select', { id: 'result' }, ...['ok', 'issues'].map((r) => el('option', { value: r, textContent: name('result', r) })));
  const submit = el('button', { type: 'submit', textContent: t('Record inspection'), disabled: true });
  const overdue = el('ul', { id: 'overdue' });
  const form = el('form', { id: 'inspect-form' },
    el('h2', { textContent: t('Inspection') }),
    position,
    el('label', {}, t('Risk point'), site),
    el('label', {}, t('Findings'), findings),
    el('label', {}, t('Result'), result),
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
    say(`${t('Risk point')}: ${error.message}`, { error: true });
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
      say(`${t('Overdue inspections')}: ${error.message}`, { error: true });
    }
  };
  loadOverdue();

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!here) return;
    try {
      await api('/api/v1/inspections', {
        method: 'POST',
        body: { risk_point_id: Number(site.value), lon: here[0], lat: here[1], findings: findings.value, result: result.value },
      });
      say(t('Inspection recorded'));
      findings.value = '';
      loadOverdue();
    } catch (error) {
      const hint = error instanceof ApiError && (error.status === 401 || error.status === 403)
        ? ` ${t('(enter a dispatcher token at the top right)')}` : '';
      say(`${error.message}${hint}`, { error: true });
    }
  });
}
