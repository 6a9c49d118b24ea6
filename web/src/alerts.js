// The alert panel: the list from the API, kept current by the SSE stream, with acknowledge,
// assign and resolve; the same alerts are drawn on the map. An alert raised from a camera shows
// its evidence pictures, loaded when its card comes into view.

import { api, getToken, loadImage, say, sayFailure } from './api.js';
import { button, el } from './dom.js';
import { clock, name, t } from './i18n.js';

const SEVERITY_RANK = { critical: 0, warning: 1, info: 2 };
const OUTCOMES = ['confirmed', 'false_alarm', 'other'];
const DONE = { ack: 'acknowledged', assign: 'assigned', resolve: 'resolved' };


/** The alert panel over `map`; `town` ('' for all) restricts what it shows. */
export class AlertPanel {
  constructor(map) {
    this.map = map;
    this.alerts = new Map(); // id → alert JSON
    this.cards = new Map(); // id → <li>
    this.town = '';
    this.stream = null;
    this.list = document.getElementById('alert-list');
    this.list.dataset.empty = t('No open alerts');
    /** Called with each case change the stream brings (the case panel listens). */
    this.onCase = () => {};
    this.showResolved = document.getElementById('show-resolved');
    this.showResolved.addEventListener('change', () => this.render());
    this.pictures = new Map(); // id → blob URLs of the card's evidence pictures
    // a camera alert's pictures are fetched when its card is first scrolled into view
    this.visible = new IntersectionObserver((entries) => {
      for (const entry of entries.filter((e) => e.isIntersecting)) {
        this.visible.unobserve(entry.target);
        this.showEvidence(entry.target);
      }
    }, { rootMargin: '100px' });
  }

  /** Shows the alerts of `town` ('' for all) from now on. */
  setTown(town) {
    this.town = town;
    this.alerts.clear();
    this.render();
    this.connect();
  }

  /** (Re)opens the stream, then loads the list, so nothing falls between the two. */
  connect() {
    this.stream?.close();
    // pictures that failed (a missing or refused token) are tried again with the new one
    for (const card of this.cards.values()) {
      if (card.dataset.evidence === 'none') this.watchEvidence(card);
    }
    const query = new URLSearchParams();
    if (this.town) query.set('town', this.town);
    if (getToken()) query.set('access_token', getToken()); // EventSource cannot send headers
    const status = document.getElementById('stream-status');
    status.textContent = t('connecting…');
    this.stream = new EventSource(`/api/v1/alerts/stream?${query}`);
    this.stream.addEventListener('open', () => {
      status.textContent = t('live');
      status.className = 'pill live';
    });
    this.stream.addEventListener('error', () => {
      status.textContent = t(this.stream.readyState === EventSource.CLOSED ? 'offline' : 'reconnecting…');
      status.className = 'pill down';
    });
    this.stream.addEventListener('alert', (event) => this.upsert(JSON.parse(event.data), true));
    this.stream.addEventListener('case', (event) => this.onCase(JSON.parse(event.data)));
    this.load();
  }

  async load() {
    const query = new URLSearchParams();
    if (this.town) query.set('town', this.town);
    try {
      for (const alert of await api(`/api/v1/alerts?${query}`)) this.upsert(alert, false);
    } catch (error) {
      sayFailure(t('Alerts'), error);
    }
  }

  /** Takes in the current state of an alert (the newer one wins). */
  upsert(alert, fresh) {
    if (this.town && alert.town !== this.town) return;
    const known = this.alerts.get(alert.id);
    if (known && known.updated_at > alert.updated_at) return;
    this.alerts.set(alert.id, alert);
    this.render();
    if (fresh && !known) this.cards.get(alert.id)?.classList.add('new');
  }

  /** Redraws the list (cards are reused, so an open form survives) and the map layer. */
  render() {
    const shown = [...this.alerts.values()]
      .filter((a) => this.showResolved.checked || a.status !== 'resolved')
      .sort((a, b) =>
        (a.status === 'resolved') - (b.status === 'resolved') ||
        (SEVERITY_RANK[a.severity] ?? 3) - (SEVERITY_RANK[b.severity] ?? 3) ||
        b.updated_at - a.updated_at);
    for (const [id, card] of this.cards) {
      if (!shown.some((a) => a.id === id)) {
        card.remove();
        this.cards.delete(id);
        this.visible.unobserve(card);
        this.freePictures(id);
      }
    }
    for (const alert of shown) {
      const card = this.cards.get(alert.id) ?? this.newCard(alert.id);
      fillCard(card, alert);
      if (alert.subject?.type === 'camera_track' && !card.dataset.evidence) this.watchEvidence(card);
      this.list.append(card); // moves it into sorted order
    }
    const open = shown.filter((a) => a.status !== 'resolved').length;
    document.getElementById('alert-count').textContent = open ? `(${open} ${t('open')})` : '';
    this.map.getSource('alerts')?.setData({
      type: 'FeatureCollection',
      features: shown
        .filter((a) => a.location && a.status !== 'resolved')
        .map((a) => ({ type: 'Feature', id: a.id, geometry: a.location, properties: { id: a.id, kind: a.kind, severity: a.severity, status: a.status } })),
    });
  }

  newCard(id) {
    const card = el('li', { className: 'alert' });
    card.dataset.alertId = id;
    card.append(
      el('div', { className: 'alert-head' }),
      el('div', { className: 'alert-subject' }),
      el('div', { className: 'alert-text' }),
      el('div', { className: 'alert-evidence' }),
      el('div', { className: 'alert-actions' },
        button(t('Acknowledge'), 'ack', () => this.act(id, 'ack', {})),
        button(t('Assign…'), 'assign', () => openForm(card, 'assign', (body) => this.act(id, 'assign', body))),
        button(t('Resolve…'), 'resolve', () => openForm(card, 'resolve', (body) => this.act(id, 'resolve', body)))),
      el('form', { className: 'alert-form', hidden: true }),
    );
    card.addEventListener('click', (event) => {
      const location = this.alerts.get(id)?.location;
      if (location && !event.target.closest('button, form')) {
        this.map.flyTo({ center: location.coordinates, zoom: Math.max(this.map.getZoom(), 13) });
      }
    });
    this.cards.set(id, card);
    return card;
  }

  /** Loads the card's evidence pictures once it comes into view. */
  watchEvidence(card) {
    card.dataset.evidence = 'waiting';
    this.visible.observe(card);
  }

  /**
   * Shows the snapshot (the camera's frame with the object boxed) and the crop of the card's
   * alert; a picture that cannot be had shows nothing. State in `data-evidence`: waiting,
   * loading, shown, none.
   */
  async showEvidence(card) {
    const id = Number(card.dataset.alertId);
    card.dataset.evidence = 'loading';
    const current = () => this.cards.get(id) === card;
    // a picture that arrives after its card left the list is freed at once
    const keep = (url) => {
      if (!current()) return URL.revokeObjectURL(url);
      if (!this.pictures.has(id)) this.pictures.set(id, []);
      this.pictures.get(id).push(url);
    };
    const base = `/api/v1/alerts/${id}`;
    const pictures = (await Promise.all([
      loadImage(`${base}/snapshot.jpg`, { alt: 'camera frame, the object boxed in red', className: 'snapshot', keep }),
      loadImage(`${base}/crop.jpg`, { alt: 'the object', className: 'crop', keep }),
    ])).filter(Boolean);
    if (!current()) return;
    card.querySelector('.alert-evidence').replaceChildren(...pictures);
    card.dataset.evidence = pictures.length ? 'shown' : 'none';
  }

  /** Frees the blob URLs of alert `id`'s pictures. */
  freePictures(id) {
    for (const url of this.pictures.get(id) ?? []) URL.revokeObjectURL(url);
    this.pictures.delete(id);
  }

  /** Sends ack, assign or resolve; the answer is the alert's new state. */
  async act(id, action, body) {
    try {
      this.upsert(await api(`/api/v1/alerts/${id}/${action}`, { method: 'POST', body }), false);
      say(`${t('Alerts')} ${id}: ${name('status', DONE[action])}`);
    } catch (error) {
      sayFailure(`${t('Alerts')} ${id}`, error);
    }
  }
}

function fillCard(card, alert) {
  card.className = `alert severity-${alert.severity} status-${alert.status}${card.classList.contains('new') ? ' new' : ''}`;
  const head = card.querySelector('.alert-head');
  head.replaceChildren(
    el('span', { className: 'severity', textContent: name('severity', alert.severity) }),
    el('b', { textContent: name('kind', alert.kind) }),
    el('span', { className: 'status', textContent: name('status', alert.status) }),
  );
  const subject = alert.subject ? alert.subject.name || `${alert.subject.type} ${alert.subject.id}` : '';
  const last = alert.history?.at(-1);
  const outcome = last?.outcome ? ` (${name('outcome', last.outcome)})` : '';
  const who = last?.assignee ? ` · ${t('assigned to')} ${last.assignee}`
    : last?.by ? ` · ${name('status', DONE[last.action] ?? last.action)} ${t('by')} ${last.by}${outcome}` : '';
  card.querySelector('.alert-subject').textContent =
    [subject, alert.town, `${t('opened')} ${clock(alert.opened_at)}`].filter(Boolean).join(' · ') + who;
  card.querySelector('.alert-text').textContent = alert.evidence?.text ?? '';
  const resolved = alert.status === 'resolved';
  for (const b of card.querySelectorAll('.alert-actions button')) {
    b.disabled = resolved || (b.dataset.action === 'ack' && alert.status !== 'open');
  }
}

/** Shows the card's small form for `mode` (assign or resolve); submit calls `send(body)`. */
function openForm(card, mode, send) {
  const form = card.querySelector('.alert-form');
  // a resolution is recorded with its reason
  const note = el('input', { name: 'note', placeholder: t(mode === 'resolve' ? 'note (required)' : 'note'), required: mode === 'resolve' });
  const field = mode === 'assign'
    ? el('input', { name: 'assignee', placeholder: t('assignee'), required: true })
    : el('select', { name: 'outcome' }, ...OUTCOMES.map((o) => el('option', { value: o, textContent: name('outcome', o) })));
  const cancel = el('button', { type: 'button', textContent: t('Cancel') });
  cancel.addEventListener('click', () => { form.hidden = true; });
  form.replaceChildren(field, note, el('button', { type: 'submit', textContent: t(mode === 'assign' ? 'Assign' : 'Resolve') }), cancel);
  form.onsubmit = (event) => {
    event.preventDefault();
    form.hidden = true;
    const body = { [field.name]: field.value };
    if (note.value) body.note = note.value;
    send(body);
  };
  form.hidden = false;
  field.focus();
}
