// What the BPMN modeller and the decision-table editor pages share: data- attributes, JSON requests with the
// CSRF header, the status line, and the guard that asks before leaving unsaved changes.

export function data(root, name, fallback = null) {
  const value = root.dataset[name];
  return value === undefined ? fallback : value;
}

export async function request(url, { method = 'GET', body, csrf } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
  }
  if (csrf) {
    headers['X-CSRFToken'] = csrf;
  }
  const response = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin'
  });
  let payload = {};
  try {
    payload = await response.json();
  } catch (e) {
    payload = { message: response.statusText };
  }
  return { ok: response.ok, status: response.status, payload };
}

// say(text, kind) writes the page's status line (kind: info, success, warning, error).
export function statusLine(element) {
  return (text, kind = 'info') => {
    element.textContent = text;
    element.className = `modeller-status ${kind}`;
  };
}

// Changes count once the file is open (watch()); until saved() the browser asks before leaving the page.
// root.dataset.dirty mirrors the state for the tests.
export function unsavedChanges(root) {
  let watching = false;
  let dirty = false;
  window.addEventListener('beforeunload', event => {
    if (dirty) {
      event.preventDefault();
      event.returnValue = '';
    }
  });
  return {
    watch() {
      watching = true;
    },
    changed() {
      if (watching) {
        dirty = true;
        root.dataset.dirty = 'true';
      }
    },
    saved() {
      dirty = false;
      root.dataset.dirty = 'false';
    }
  };
}
