// The dispatcher's map: coastwatch's style and tiles, live positions, the alert panel, the
// town filter and the token entry. Everything comes from the coastwatch server itself.

import 'maplibre-gl/dist/maplibre-gl.css';
import './style.css';
import { Map as MapLibreMap, NavigationControl, ScaleControl, setWorkerUrl } from 'maplibre-gl';
import { AlertPanel } from './alerts.js';
import { api, authHeaders, getToken, say, setToken } from './api.js';
import { CardPanel, CasePanel, setUpTabs } from './command.js';
import { t, translatePage } from './i18n.js';
import { inspectPage } from './inspect.js';
import { buildLayerToggles, prepareStyle, startLiveRefresh } from './layers.js';
import { enablePopups } from './popup.js';

// MAPLIBRE_WORKER_FILE is defined by build.mjs: the hashed file beside this bundle
setWorkerUrl(new URL(`./${MAPLIBRE_WORKER_FILE}`, import.meta.url).href);

const TOWN_KEY = 'coastwatch.town';

/** Sends the token with the map's own requests to this server (tiles), never elsewhere. */
function transformRequest(url) {
  return new URL(url, location.href).origin === location.origin ? { url, headers: authHeaders() } : { url };
}

/** The bounding box of a GeoJSON geometry: [[west, south], [east, north]]. */
function bounds(geometry) {
  const box = [[180, 90], [-180, -90]];
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      box[0] = [Math.min(box[0][0], c[0]), Math.min(box[0][1], c[1])];
      box[1] = [Math.max(box[1][0], c[0]), Math.max(box[1][1], c[1])];
    } else c.forEach(walk);
  };
  walk(geometry.coordinates);
  return box;
}

/** Fills the town filter from the `areas` layer; choosing a town filters alerts and zooms. */
async function setUpTowns(map, panel) {
  const select = document.getElementById('town');
  const towns = new Map();
  try {
    const areas = await api('/ogc/collections/areas/items?limit=1000');
    for (const f of areas.features.filter((f) => f.properties.kind === 'town' && f.geometry)) {
      towns.set(f.properties.name, f.geometry);
    }
  } catch (error) {
    say(`towns: ${error.message}`, { error: true });
  }
  for (const name of [...towns.keys()].sort()) select.append(new Option(name, name));
  const choose = (town, zoom) => {
    localStorage.setItem(TOWN_KEY, town);
    panel.setTown(town);
    if (zoom && towns.has(town)) map.fitBounds(bounds(towns.get(town)), { padding: 40 });
  };
  select.addEventListener('change', () => choose(select.value, true));
  const saved = localStorage.getItem(TOWN_KEY) ?? '';
  select.value = towns.has(saved) ? saved : '';
  choose(select.value, !location.hash);
}

function setUpToken(panel = null) {
  const input = document.getElementById('token');
  input.value = getToken();
  document.getElementById('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    setToken(input.value.trim());
    say(t(input.value.trim() ? 'token saved' : 'token removed'));
    panel?.connect();
  });
}

async function main() {
  translatePage();
  if (location.pathname.endsWith('/inspect')) {
    setUpToken();
    return inspectPage();
  }
  const style = prepareStyle(await api('/style.json'));
  const map = new MapLibreMap({ container: 'map', style, transformRequest, hash: true });
  map.addControl(new NavigationControl({ showCompass: false }));
  map.addControl(new ScaleControl());
  map.on('error', (event) => say(`map: ${event.error?.message ?? 'error'}`, { error: true }));
  const panel = new AlertPanel(map);
  const cases = new CasePanel(map);
  const cards = new CardPanel(map);
  panel.onCase = (item) => cases.upsert(item);
  setUpTabs((tab) => {
    if (tab === 'case-panel') cases.load();
    cards.show(tab === 'card-panel');
  });
  window.coastwatch = { map, panel, cases, cards }; // for the browser test and the console
  setUpToken(panel);
  await map.once('load');
  buildLayerToggles(map);
  enablePopups(map);
  startLiveRefresh(map);
  await setUpTowns(map, panel);
}

main().catch((error) => say(`cannot start the map: ${error.message}`, { error: true }));
