// The map's layers: the server's style split into refreshable sources, layer toggles and the
// time window of the track layers.

import { serverNowS } from './api.js';
import { name } from './i18n.js';

/** Live layers drawn as tracks: limited to the chosen time window. */
const TRACK_LAYERS = ['vehicle_routes', 'vessel_tracks', 'camera_tracks'];
/** Seconds between refreshes of the live tiles. */
const REFRESH_S = 3;
/** Slack added to the server's clock so fixes stamped "just now" are never cut off. */
const CLOCK_SLACK_S = 60;
/** The choices of the time slider, in minutes. */
const WINDOWS_MIN = [15, 30, 60, 180, 360];

const HIDDEN_KEY = 'coastwatch.hidden-layers';
/** Layers hidden until the user turns them on: the gap cells would hide the map below them. */
const HIDDEN_AT_FIRST = ['coverage_gaps', 'ais_density'];

/** Tile URL templates of the `live` and `tracks` sources, without their time parameters. */
const templates = { live: '', tracks: '' };
const slider = () => document.getElementById('window');

/**
 * Rewrites the server's style for the page: the `live` source becomes `live` (latest
 * positions) and `tracks` (time-windowed), both re-requested every few seconds, and the
 * `alerts` layer is drawn from the alert panel's GeoJSON instead of tiles.
 */
export function prepareStyle(style) {
  const template = style.sources.live.tiles[0];
  const base = template.slice(0, template.indexOf('/tiles/'));
  const liveLayers = new Set();
  for (const layer of style.layers) {
    if (layer['source-layer'] === 'alerts') {
      layer.source = 'alerts';
      delete layer['source-layer'];
    } else if (layer.source === 'live' && TRACK_LAYERS.includes(layer['source-layer'])) {
      layer.source = 'tracks';
    } else if (layer.source === 'live') {
      liveLayers.add(layer['source-layer']);
    }
  }
  templates.live = `${base}/tiles/${[...liveLayers].join(',')}/{z}/{x}/{y}`;
  templates.tracks = `${base}/tiles/${TRACK_LAYERS.join(',')}/{z}/{x}/{y}`;
  const urls = tileUrls();
  style.sources.tracks = { ...style.sources.live, tiles: [urls.tracks] };
  style.sources.live = { ...style.sources.live, tiles: [urls.live] };
  style.sources.alerts = { type: 'geojson', data: { type: 'FeatureCollection', features: [] } };
  return style;
}

/** The live tile URLs for now and the slider's window. */
function tileUrls() {
  const minutes = WINDOWS_MIN[Number(slider().value)];
  document.getElementById('window-label').textContent =
    minutes < 60 ? `${minutes} min` : `${minutes / 60} h`;
  // the changing `to` is also what makes the browser fetch the tiles anew
  const to = serverNowS() + CLOCK_SLACK_S;
  const from = to - CLOCK_SLACK_S - minutes * 60;
  return {
    live: `${templates.live}?to=${to}`,
    tracks: `${templates.tracks}?from=${from}&to=${to}`,
  };
}

/** Re-requests the live tiles every few seconds and when the time slider moves. */
export function startLiveRefresh(map) {
  const refresh = () => {
    const urls = tileUrls();
    map.getSource('live').setTiles([urls.live]);
    map.getSource('tracks').setTiles([urls.tracks]);
  };
  slider().addEventListener('input', refresh);
  setInterval(() => {
    if (!document.hidden) refresh();
  }, REFRESH_S * 1000);
}

/** Fills the layer list with one checkbox per data layer (top of the map first). */
export function buildLayerToggles(map) {
  const groups = new Map();
  for (const layer of map.getStyle().layers) {
    const key = layer['source-layer'] ?? (layer.source === 'alerts' ? 'alerts' : null);
    if (!key) continue;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(layer.id);
  }
  const hidden = new Set(JSON.parse(localStorage.getItem(HIDDEN_KEY) ?? JSON.stringify(HIDDEN_AT_FIRST)));
  const list = document.getElementById('layers');
  for (const [key, ids] of [...groups].reverse()) {
    const setVisible = (visible) => {
      for (const id of ids) map.setLayoutProperty(id, 'visibility', visible ? 'visible' : 'none');
    };
    const box = Object.assign(document.createElement('input'), { type: 'checkbox', checked: !hidden.has(key) });
    box.dataset.layer = key;
    box.addEventListener('change', () => {
      setVisible(box.checked);
      if (box.checked) hidden.delete(key);
      else hidden.add(key);
      localStorage.setItem(HIDDEN_KEY, JSON.stringify([...hidden]));
    });
    setVisible(box.checked);
    const item = document.createElement('li');
    const label = document.createElement('label');
    label.append(box, ` ${name('layer', key)}`);
    item.append(label);
    list.append(item);
  }
}
