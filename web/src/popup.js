// Details of a clicked vessel, vehicle, camera or risk point in a popup.

import { Popup } from 'maplibre-gl';

const time = (s) => (s ? new Date(s * 1000).toLocaleString() : '');
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

/** Per map layer: the title and the rows [label, property, format] of its popup. */
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
      ['Agency', 'agency'],
      ['Town', 'town'],
    ],
  },
  'risk-points': {
    title: (p) => p.name,
    rows: [
      ['Kind', 'kind'],
      ['Registered', 'registered', (v) => (v ? 'yes' : 'no')],
      ['Card', 'card'],
      ['Town', 'town'],
    ],
  },
};

function content(layerId, properties) {
  const { title, rows } = POPUPS[layerId];
  const root = document.createElement('div');
  root.className = `popup popup-${layerId}`;
  const heading = document.createElement('h3');
  heading.textContent = title(properties);
  const table = document.createElement('dl');
  for (const [label, key, format = String] of rows) {
    const value = properties[key];
    const dt = document.createElement('dt');
    dt.textContent = label;
    const dd = document.createElement('dd');
    dd.textContent = value === undefined || value === null || value === '' ? '—' : format(value);
    table.append(dt, dd);
  }
  root.append(heading, table);
  return root;
}

/** Opens a popup on click over the point layers that have one. */
export function enablePopups(map) {
  const layers = Object.keys(POPUPS).filter((id) => map.getLayer(id));
  const popup = new Popup({ maxWidth: '280px' });
  const hit = (point) => {
    const box = [[point.x - 4, point.y - 4], [point.x + 4, point.y + 4]];
    return map.queryRenderedFeatures(box, { layers })[0];
  };
  map.on('click', (event) => {
    const feature = hit(event.point);
    if (!feature) return;
    popup
      .setLngLat(feature.geometry.coordinates)
      .setDOMContent(content(feature.layer.id, feature.properties))
      .addTo(map);
  });
  map.on('mousemove', (event) => {
    map.getCanvas().style.cursor = hit(event.point) ? 'pointer' : '';
  });
}
