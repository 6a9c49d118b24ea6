// Building the page's elements.

/** A `tag` element with `props` set and `children` appended. */
export const el = (tag, props = {}, ...children) => {
  const element = Object.assign(document.createElement(tag), props);
  element.append(...children);
  return element;
};

/** A button saying `text` that calls `onClick`; `data-action` names it for the tests. */
export function button(text, action, onClick) {
  const b = el('button', { type: 'button', textContent: text });
  b.dataset.action = action;
  b.addEventListener('click', onClick);
  return b;
}
