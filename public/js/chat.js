'use strict';

/*
 * Conversation page: polls GET /api/messages?user_id=N&after=<last seen id> every 3 seconds and
 * appends only new messages; pauses while the tab is hidden and polls at once when it shows
 * again; doubles the wait (up to 30 s) while the server errs; sends through POST /api/messages
 * without a reload. Messages are built with textContent only. Without this script the form posts
 * to /chat/:username and reloading shows new messages.
 */
(function () {
  const chat = document.getElementById('chat');
  if (!chat || !window.fetch) return;

  const POLL_MS = 3000;
  const MAX_BACKOFF_MS = 30000;
  const NEAR_BOTTOM_PX = 80;

  const otherId = chat.dataset.userId;
  const viewerId = Number(chat.dataset.viewerId);
  const log = document.getElementById('chat-log');
  const list = document.getElementById('message-list');
  const empty = document.getElementById('chat-empty');
  const status = document.getElementById('chat-status');
  const form = document.getElementById('chat-form');
  const textarea = document.getElementById('message-text');
  const sendButton = document.getElementById('chat-send');
  const jsError = document.getElementById('chat-js-error');
  const serverError = document.getElementById('chat-error');

  /** Newest id the server has given us by polling; ids are ULIDs, so they sort as strings. */
  let lastId = chat.dataset.lastId || '';
  let delay = POLL_MS;
  let timer = null;
  let polling = false;
  let stopped = false;
  const seen = new Set();
  list.querySelectorAll('.message').forEach(function (item) {
    seen.add(item.dataset.messageId);
  });

  function isNearBottom() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < NEAR_BOTTOM_PX;
  }

  function scrollToBottom() {
    log.scrollTop = log.scrollHeight;
  }

  function setStatus(text) {
    status.textContent = text;
  }

  function showError(message) {
    if (serverError) serverError.hidden = true;
    if (!jsError) return;
    jsError.textContent = message;
    jsError.hidden = !message;
  }

  function messageElement(message) {
    const item = document.createElement('li');
    item.className = 'message ' + (message.from_user_id === viewerId ? 'mine' : 'theirs');
    item.id = 'message-' + message.id;
    item.dataset.messageId = message.id;
    const text = document.createElement('p');
    text.className = 'message-text';
    text.textContent = message.text;
    const time = document.createElement('time');
    time.className = 'message-time';
    time.dateTime = message.created_at;
    time.textContent = 'just now';
    item.append(text, time);
    return item;
  }

  /** Adds messages not shown yet, each in id order (a sent message may arrive before an older poll result). */
  function addMessages(messages, forceScroll) {
    const stick = forceScroll || isNearBottom();
    let added = false;
    messages.forEach(function (message) {
      if (!message || typeof message.id !== 'string' || seen.has(message.id)) return;
      seen.add(message.id);
      const element = messageElement(message);
      let before = null;
      const items = list.children;
      for (let i = items.length - 1; i >= 0; i--) {
        if (items[i].dataset.messageId > message.id) before = items[i];
        else break;
      }
      list.insertBefore(element, before);
      added = true;
    });
    if (added) {
      empty.hidden = true;
      if (stick) scrollToBottom();
    }
  }

  function schedule(ms) {
    clearTimeout(timer);
    timer = null;
    if (stopped || document.hidden) return;
    timer = setTimeout(poll, ms);
  }

  async function poll() {
    if (polling || stopped || document.hidden) return;
    polling = true;
    clearTimeout(timer);
    timer = null;
    const params = new URLSearchParams({ user_id: otherId });
    if (lastId) params.set('after', lastId);
    try {
      const response = await fetch('/api/messages?' + params.toString(), {
        credentials: 'same-origin',
        headers: { Accept: 'application/json' },
        cache: 'no-store',
      });
      if (response.status === 401) {
        stopped = true;
        setStatus('Signed out: reload to continue.');
        return;
      }
      if (!response.ok) throw new Error('HTTP ' + response.status);
      const messages = await response.json();
      if (Array.isArray(messages)) {
        addMessages(messages, false);
        messages.forEach(function (m) {
          if (m && typeof m.id === 'string' && m.id > lastId) lastId = m.id;
        });
      }
      delay = POLL_MS;
      setStatus('');
    } catch {
      delay = Math.min(delay * 2, MAX_BACKOFF_MS);
      setStatus('Connection problem: retrying in ' + Math.round(delay / 1000) + ' s');
    } finally {
      polling = false;
      schedule(delay);
    }
  }

  document.addEventListener('visibilitychange', function () {
    if (document.hidden) {
      clearTimeout(timer);
      timer = null;
    } else {
      poll();
    }
  });

  /** The message being sent and its idempotency key, until the server answers it for good. */
  let pending = null;
  const newKey = function () {
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, function (b) {
      return b.toString(16).padStart(2, '0');
    }).join('');
  };

  if (form) {
    form.addEventListener('submit', async function (event) {
      event.preventDefault();
      const text = textarea.value;
      if (text.trim() === '') {
        textarea.focus();
        return;
      }
      sendButton.disabled = true;
      // One key per message: sending the same text again after a failure is a retry, which the
      // server stores once even if the first attempt landed after all.
      if (!pending || pending.text !== text) pending = { text: text, key: newKey() };
      let response;
      try {
        response = await fetch('/api/messages', {
          method: 'POST',
          credentials: 'same-origin',
          headers: {
            Accept: 'application/json',
            'Content-Type': 'application/json',
            'Idempotency-Key': pending.key,
          },
          body: JSON.stringify({ to_user_id: Number(otherId), text: text }),
        });
      } catch {
        sendButton.disabled = false;
        showError('The message was not sent: the connection was lost. Try again.');
        return;
      }
      sendButton.disabled = false;
      if (response.status < 500) pending = null;
      if (response.status === 201) {
        // Shown at once; lastId moves only by polling, so nobody's earlier message is skipped.
        addMessages([await response.json()], true);
        textarea.value = '';
        showError('');
        textarea.focus();
        return;
      }
      let message = 'The message was not sent (HTTP ' + response.status + ').';
      try {
        const body = await response.json();
        if (body && typeof body.message === 'string') message = body.message;
      } catch {
        // Keep the generic sentence.
      }
      showError(message);
    });

    // Enter sends, Shift+Enter makes a new line.
    textarea.addEventListener('keydown', function (event) {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        if (form.requestSubmit) form.requestSubmit();
        else sendButton.click();
      }
    });
  }

  scrollToBottom();
  schedule(POLL_MS);
})();
