'use strict';

/*
 * Posts in the Home feed and the photo on its page:
 * - like and comment in place through the JSON API (the forms post normally without JavaScript,
 *   or when the API cannot be reached);
 * - a double tap or double click on an image likes it;
 * - a single tap opens the image large in a viewer inside the page (close, arrows, swipe);
 * - the "Older" link loads the next page below when it scrolls into view.
 */
(function () {
  if (!window.fetch) return;

  function api(method, url, body) {
    const init = { method: method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(url, init);
  }

  /* ---- Like in place (feed posts; the photo page's own form is photo.js's) ---- */
  function showLike(form, liked, likes) {
    const post = form.closest('.post');
    const id = post.dataset.photoId;
    form.dataset.liked = String(liked);
    form.action = '/photos/' + encodeURIComponent(id) + (liked ? '/unlike' : '/like');
    const button = form.querySelector('button');
    button.classList.toggle('is-liked', liked);
    button.setAttribute('aria-pressed', String(liked));
    button.querySelector('.like-label').textContent = liked ? 'Unlike' : 'Like';
    post.querySelector('.like-count').textContent = String(likes);
    post.querySelector('.like-noun').textContent = likes === 1 ? 'like' : 'likes';
  }

  async function toggleLike(form, wanted) {
    const liked = form.dataset.liked === 'true';
    if (wanted !== undefined && wanted === liked) return true;
    const id = form.closest('.post').dataset.photoId;
    const response = await api(liked ? 'DELETE' : 'POST', '/api/photos/' + encodeURIComponent(id) + '/like');
    if (!response.ok) return false;
    const result = await response.json();
    showLike(form, result.liked, result.likes);
    return true;
  }

  document.addEventListener('submit', async function (event) {
    const form = event.target;
    if (form.matches('.post-like')) {
      event.preventDefault();
      const button = form.querySelector('button');
      if (button.disabled) return;
      button.disabled = true;
      try {
        if (!(await toggleLike(form))) form.submit();
      } catch {
        form.submit();
      } finally {
        button.disabled = false;
      }
    } else if (form.matches('.post-comment-form')) {
      event.preventDefault();
      const post = form.closest('.post');
      const input = form.querySelector('input[name="text"]');
      const text = input.value;
      if (!text.trim()) return;
      try {
        const response = await api(
          'POST',
          '/api/photos/' + encodeURIComponent(post.dataset.photoId) + '/comments',
          {
            text: text,
          },
        );
        if (response.status === 400 || response.status === 429) {
          const body = await response.json();
          input.setCustomValidity(body.message || 'That comment cannot be posted.');
          input.reportValidity();
          input.addEventListener('input', () => input.setCustomValidity(''), { once: true });
          return;
        }
        if (!response.ok) return form.submit();
        const comment = await response.json();
        const item = document.createElement('li');
        const author = document.createElement('a');
        author.className = 'post-comment-author';
        author.href = '/users/' + encodeURIComponent(comment.username);
        author.textContent = comment.username;
        item.append(author, ' ', comment.text);
        post.querySelector('.post-comments').append(item);
        input.value = '';
      } catch {
        form.submit();
      }
    }
  });

  /* ---- Double tap / double click likes; a single tap opens the viewer ---- */
  const TAP_MS = 280;
  let pending = null;

  function likeFormOf(link) {
    const post = link.closest('.post');
    return post ? post.querySelector('.post-like') : document.getElementById('like-form');
  }

  function likeByGesture(link) {
    const form = likeFormOf(link);
    if (!form || form.dataset.liked === 'true') return;
    link.classList.add('is-hearted');
    setTimeout(() => link.classList.remove('is-hearted'), 700);
    if (form.matches('.post-like')) void toggleLike(form, true);
    else form.requestSubmit();
  }

  document.addEventListener('click', function (event) {
    const link = event.target.closest('a[data-viewer]');
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    if (pending && pending.link === link) {
      clearTimeout(pending.timer);
      pending = null;
      likeByGesture(link);
      return;
    }
    if (pending) clearTimeout(pending.timer);
    pending = {
      link: link,
      timer: setTimeout(function () {
        pending = null;
        openViewer(link);
      }, TAP_MS),
    };
  });

  /* ---- The viewer: the photo large, with close, arrows and swipe ---- */
  let dialog = null;
  let current = -1;

  function links() {
    return Array.from(document.querySelectorAll('a[data-viewer]'));
  }

  function buildDialog() {
    dialog = document.createElement('dialog');
    dialog.className = 'lightbox';
    dialog.setAttribute('aria-label', 'Photo viewer');
    dialog.innerHTML =
      '<img class="lightbox-image" alt="">' +
      '<button type="button" class="lightbox-close btn btn-secondary">Close</button>' +
      '<button type="button" class="lightbox-prev btn btn-secondary" aria-label="Previous photo">←</button>' +
      '<button type="button" class="lightbox-next btn btn-secondary" aria-label="Next photo">→</button>';
    document.body.append(dialog);
    dialog.querySelector('.lightbox-close').addEventListener('click', () => dialog.close());
    dialog.querySelector('.lightbox-prev').addEventListener('click', () => step(-1));
    dialog.querySelector('.lightbox-next').addEventListener('click', () => step(1));
    dialog.addEventListener('click', (event) => {
      if (event.target === dialog) dialog.close();
    });
    dialog.addEventListener('keydown', (event) => {
      if (event.key === 'ArrowRight') step(1);
      else if (event.key === 'ArrowLeft') step(-1);
    });
    let startX = null;
    dialog.addEventListener('pointerdown', (event) => (startX = event.clientX));
    dialog.addEventListener('pointerup', (event) => {
      if (startX === null) return;
      const dx = event.clientX - startX;
      startX = null;
      if (Math.abs(dx) > 50) step(dx < 0 ? 1 : -1);
    });
  }

  function show(index) {
    const all = links();
    const link = all[index];
    if (!link) return;
    current = index;
    const source = link.querySelector('img');
    const image = dialog.querySelector('.lightbox-image');
    const id = link.dataset.viewer;
    image.src = '/api/photos/' + encodeURIComponent(id) + '/image/full';
    image.srcset =
      '/api/photos/' +
      encodeURIComponent(id) +
      '/image/medium 1080w, /api/photos/' +
      encodeURIComponent(id) +
      '/image/full 2048w';
    image.sizes = '100vw';
    image.width = Number(source.getAttribute('width')) || 0;
    image.height = Number(source.getAttribute('height')) || 0;
    image.alt = source.alt;
    dialog.querySelector('.lightbox-prev').disabled = index === 0;
    dialog.querySelector('.lightbox-next').disabled = index === all.length - 1;
  }

  function step(delta) {
    show(current + delta);
  }

  function openViewer(link) {
    if (!dialog) buildDialog();
    show(links().indexOf(link));
    dialog.showModal();
  }

  /* ---- Older posts load below as the reader reaches them ---- */
  const list = document.getElementById('post-list');
  let more = document.getElementById('load-more');
  if (list && more && 'IntersectionObserver' in window) {
    let isLoading = false;
    const observer = new IntersectionObserver(
      async function (entries) {
        if (!entries.some((e) => e.isIntersecting) || isLoading || !more) return;
        isLoading = true;
        try {
          const response = await fetch(more.href, { credentials: 'same-origin' });
          if (!response.ok) return;
          const page = new DOMParser().parseFromString(await response.text(), 'text/html');
          const posts = page.querySelectorAll('#post-list > .post');
          for (const post of posts) list.append(document.importNode(post, true));
          const next = page.getElementById('load-more');
          if (next) {
            more.href = next.href;
          } else {
            observer.disconnect();
            more.closest('.load-more').remove();
            more = null;
          }
        } finally {
          isLoading = false;
        }
      },
      { rootMargin: '600px 0px' },
    );
    observer.observe(more);
  }
})();
