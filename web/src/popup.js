// Details of a clicked vessel, vehicle, camera, camera track or risk point in a popup; a camera
// that the server runs shows its latest frame.

import { Popup } from 'maplibre-gl';
import { api, loadImage } from './api.js';
import { TIME_ZONE, dateTime, lang, name, t } from './i18n.js';

const time = (s) => dateTime(s);
const unit = (suffix) => (v) => (v === undefined || v === null ? '' : `${v} ${suffix}`);
const list = (v) => {
  const items = typeof v === 'string' && v.startsWith('[') ? JSON.parse(v) : v;
  return Array.isArray(items) ? items.join(', ') || 'none' : String(items ?? '');
};

/** ITU-R M.1371 ship type codes, by their first digit (and the 3x specials). */
function shipType(code) {
  if (code === undefined || code === null) return '';
  const specials = { 30: 'fishing', 31: 'towing', 32: 'towing', 33: 'dredging', 34: 'diving', 35: 'military', 36: 'sailing', 37: 'pleasure craft' };
  const groups = { 2: 'wing in ground', 4: 'high-speed craft', 5: 'special craft', 6: 'passenger', 7: 'cargo', 8: 'tanker', 9: 'other' };
  return `${code} ${specials[code] ?? groups[Math.floor(code / 10)] ?? ''}`.trim();
}

/** The name of camera `id` of the `cameras` layer, from the tiles at hand (else its id). */
function cameraName(map, id) {
  const [camera] = map.getSource('static')
    ? map.querySourceFeatures('static', { sourceLayer: 'cameras', filter: ['==', ['id'], id] })
    : [];
  return camera?.properties.name ?? `camera ${id}`;
}

const TRACK_CLASSES = { vessel: 'Vessel', person: 'Person', vehicle: 'Vehicle', unknown: 'Moving object' };

/** A track seen by a camera: solid when AIS explains it, dashed when not. */
const CAMERA_TRACK = {
  title: (p) => `${t(TRACK_CLASSES[p.class] ?? TRACK_CLASSES.unknown)} ${t('seen by camera')}`,
  prepare: (map, p) => ({
    ...p,
    camera: p.camera_id === undefined ? undefined : cameraName(map, p.camera_id),
    ais: p.matched_mmsi === undefined || p.matched_mmsi === null ? t('no AIS') : `MMSI ${p.matched_mmsi}`,
  }),
  rows: [
    ['Class', 'class'],
    ['Camera', 'camera'],
    ['AIS', 'ais'],
    ['Hull marking', 'hull_text'],
    ['Plate', 'plate'],
    ['Seen from', 't_start', time],
    ['Seen to', 't_end', time],
  ],
};

/**
 * Per map layer: the title and the rows [label, property, format] of its popup, optionally the
 * properties it derives (`prepare`) and what it adds once open (`extra`).
 */
const POPUPS = {
  vessels: {
    title: (p) => p.name || `MMSI ${p.mmsi}`,
    rows: [
      ['MMSI', 'mmsi'],
      ['Call sign', 'callsign'],
      ['IMO', 'imo'],
      ['Ship type', 'ship_type', shipType],
      ['Speed', 'sog_kn', unit('kn')],
      ['Course', 'cog_deg', unit('°')],
      ['Heading', 'heading_deg', unit('°')],
      ['Last seen', 'last_seen', time],
      ['Flags', 'flags', list],
    ],
  },
  vehicles: {
    title: (p) => p.plate || p.vehicle_id,
    rows: [
      ['Vehicle', 'vehicle_id'],
      ['Class', 'class'],
      ['Speed', 'speed_kmh', unit('km/h')],
      ['Town', 'town'],
      ['Last seen', 'last_seen', time],
    ],
  },
  cameras: {
    title: (p) => p.name,
    rows: [
      ['Range', 'range_m', unit('m')],
      ['Heading', 'heading_deg', unit('°')],
      ['Field of view', 'hfov_deg', unit('°')],
      ['Agency', 'agency', (v) => name('agency', v)],
      ['Town', 'town'],
    ],
    extra: cameraVideo,
  },
  'camera-tracks': CAMERA_TRACK,
  'camera-tracks-unmatched': CAMERA_TRACK,
  'risk-points': {
    title: (p) => p.name,
    rows: [
      ['Kind', 'kind', (v) => name('risk_kind', v)],
      ['Registered', 'registered', (v) => t(v ? 'yes' : 'no')],
      ['Card', 'card', (v) => name('card', v)],
      ['Town', 'town'],
    ],
  },
};

/**
 * Adds to an open camera popup (`root`) the camera's video state and its latest frame, when
 * the server runs a camera placed at this feature; nothing otherwise. `keep(url)` receives the
 * frame's blob URL, freed when the popup closes.
 */
async function cameraVideo(root, feature, keep) {
  if (feature.id === undefined || feature.id === null) return;
  let running;
  try {
    running = (await api('/api/v1/vision/cameras')).cameras.find((c) => c.camera_id === Number(feature.id));
  } catch {
    return; // no read access, or no video core: the popup stays as it is
  }
  if (!running || !root.isConnected) return;
  const video = document.createElement('div');
  video.className = 'camera-video';
  const state = document.createElement('div');
  state.className = 'camera-state';
  const seen = running.last_frame ? ` · ${t('frame of')} ${new Date(running.last_frame).toLocaleTimeString(lang(), { timeZone: TIME_ZONE })}` : '';
  state.textContent = `${t('video:')} ${running.state}${seen}`;
  video.append(state);
  root.append(video);
  if (!running.last_frame) return;
  const frame = await loadImage(`/api/v1/vision/cameras/${encodeURIComponent(running.id)}/frame.jpg`, {
    alt: `latest frame of ${running.id}`,
    className: 'camera-frame',
    keep,
  });
  if (frame) video.append(frame);
}

function content(map, layerId, feature) {
  const { title, rows, prepare } = POPUPS[layerId];
  const properties = prepare ? prepare(map, feature.properties) : feature.properties;
  const root = document.createElement('div');
  root.className = `popup popup-${layerId}`;
  const heading = document.createElement('h3');
  heading.textContent = title(properties);
  const table = document.createElement('dl');
  for (const [label, key, format = String] of rows) {
    const value = properties[key];
    const dt = document.createElement('dt');
    dt.textContent = t(label);
    const dd = document.createElement('dd');
    dd.textContent = value === undefined || value === null || value === '' ? '—' : format(value);
    table.append(dt, dd);
  }
  root.append(heading, table);
  return root;
}

/** Opens a popup on click over the layers that have one. */
export function enablePopups(map) {
  const layers = Object.keys(POPUPS).filter((id) => map.getLayer(id));
  // closed by this click handler, not by the popup's own: that one would run after it on the
  // same click and close the popup just opened on another feature
  const popup = new Popup({ maxWidth: '280px', closeOnClick: false });
  // blob URLs of the open popup's pictures, freed when it closes or shows something else
  let urls = [];
  const free = () => {
    urls.forEach((url) => URL.revokeObjectURL(url));
    urls = [];
  };
  popup.on('close', free);
  const hit = (point) => {
    const box = [[point.x - 4, point.y - 4], [point.x + 4, point.y + 4]];
    return map.queryRenderedFeatures(box, { layers })[0];
  };
  map.on('click', (event) => {
    const feature = hit(event.point);
    if (!feature) {
      popup.remove();
      return;
    }
    free();
    const layerId = feature.layer.id;
    const root = content(map, layerId, feature);
    // a point's popup sits on the point, a line's where it was clicked
    const at = feature.geometry.type === 'Point' ? feature.geometry.coordinates : event.lngLat;
    popup.setLngLat(at).setDOMContent(root).addTo(map);
    const kept = urls;
    // a picture that arrives after its popup was closed or replaced is freed at once
    const keep = (url) => (kept === urls && root.isConnected ? urls.push(url) : URL.revokeObjectURL(url));
    POPUPS[layerId].extra?.(root, feature, keep);
  });
  map.on('mousemove', (event) => {
    map.getCanvas().style.cursor = hit(event.point) ? 'pointer' : '';
  });
}
