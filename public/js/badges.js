'use strict';

/*
 * Keeps the nav badges (friend requests, unread messages, new activity) fresh on a page left
 * open: one small GET /api/badges about every 30 seconds while the tab is visible, and at once
 * when it becomes visible again. Without JavaScript the badges are as the page was rendered.
 */
(function () {
  if (!window.fetch) return;
  const PERIOD_MS = 30000;
  const badges = [
    {
      link: 'nav-friends',
      id: 'nav-requests-badge',
      field: 'requests',
      one: 'pending friend request',
      many: 'pending friend requests',
    },
    {
      link: 'nav-chat',
      id: 'nav-unread-badge',
      field: 'messages',
      one: 'unread message',
      many: 'unread messages',
    },
    {
      link: 'nav-activity',
      id: 'nav-activity-badge',
      field: 'activity',
      one: 'new activity',
      many: 'new activities',
    },
  ];
  let last = 0;

  function show(badge, count) {
    const link = document.getElementById(badge.link);
    if (!link) return;
    let span = document.getElementById(badge.id);
    if (!count) {
      if (span) span.remove();
      return;
    }
    const label = count === 1 ? badge.one : badge.many;
    if (!span) {
      span = document.createElement('span');
      span.id = badge.id;
      span.className = 'badge';
      link.appendChild(span);
    }
    span.title = count + ' ' + label;
    span.textContent = count > 99 ? '99+' : String(count);
    const hidden = document.createElement('span');
    hidden.className = 'visually-hidden';
    hidden.textContent = ' ' + label;
    span.appendChild(hidden);
  }

  async function refresh() {
    if (document.visibilityState !== 'visible') return;
    last = Date.now();
    try {
      const response = await fetch('/api/badges', {
        credentials: 'same-origin',
        headers: { Accept: 'application/json' },
      });
      if (!response.ok) return;
      const counts = await response.json();
      for (const badge of badges) show(badge, Number(counts[badge.field]) || 0);
    } catch {
      // Offline for a moment: the next round tries again.
    }
  }

  setInterval(refresh, PERIOD_MS);
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible' && Date.now() - last > PERIOD_MS) void refresh();
  });
})();
