'use strict';

/*
 * Photo page: like/unlike, add and delete comments without a reload through the JSON API.
 * Whenever the API cannot be reached the form is submitted the ordinary way, so the page
 * route does the work instead.
 */
(function () {
  const article = document.getElementById('photo');
  if (!article || !window.fetch) return;
  const photoId = article.dataset.photoId;
  const api = '/api/photos/' + encodeURIComponent(photoId);

  function request(method, url, body, key) {
    const init = { method: method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
    if (key) init.headers['Idempotency-Key'] = key;
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(url, init);
  }

  async function messageOf(response) {
    try {
      const body = await response.json();
      if (body && typeof body.message === 'string') return body.message;
    } catch {
      // Not JSON.
    }
    return 'Something went wrong (HTTP ' + response.status + ').';
  }

  /* ---- Like / unlike ---- */
  const likeForm = document.getElementById('like-form');
  const likeButton = document.getElementById('like-button');
  const likeCount = document.getElementById('like-count');
  const likeNoun = document.getElementById('like-noun');

  function showLike(liked, likes) {
    likeForm.dataset.liked = String(liked);
    likeForm.action = '/photos/' + encodeURIComponent(photoId) + (liked ? '/unlike' : '/like');
    likeButton.classList.toggle('is-liked', liked);
    likeButton.setAttribute('aria-pressed', String(liked));
    likeButton.querySelector('.like-label').textContent = liked ? 'Unlike' : 'Like';
    likeCount.textContent = String(likes);
    likeNoun.textContent = likes === 1 ? 'like' : 'likes';
  }

  if (likeForm) {
    likeForm.addEventListener('submit', async function (event) {
      event.preventDefault();
      if (likeButton.disabled) return;
      const liked = likeForm.dataset.liked === 'true';
      likeButton.disabled = true;
      try {
        const response = await request(liked ? 'DELETE' : 'POST', api + '/like');
        if (!response.ok) throw new Error('HTTP ' + response.status);
        const result = await response.json();
        showLike(result.liked, result.likes);
        likeButton.disabled = false;
      } catch {
        likeButton.disabled = false;
        likeForm.submit();
      }
    });
  }

  /* ---- Comments ---- */
  const list = document.getElementById('comment-list');
  const count = document.getElementById('comment-count');
  const empty = document.getElementById('comments-empty');
  const commentForm = document.getElementById('comment-form');
  const commentText = document.getElementById('comment-text');
  const commentSubmit = document.getElementById('comment-submit');
  const jsError = document.getElementById('comment-js-error');
  const requestKey = commentForm ? commentForm.elements.namedItem('request_key') : null;
  const serverError = document.getElementById('comment-error');

  /** A fresh idempotency key for the next comment. */
  function newKey() {
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, function (b) {
      return b.toString(16).padStart(2, '0');
    }).join('');
  }

  function showError(message) {
    if (serverError) serverError.hidden = true;
    jsError.textContent = message;
    jsError.hidden = !message;
  }

  /** The heading counts every comment of the photo; the list shows one page of them. */
  function updateCount(delta) {
    count.textContent = String(Math.max(0, (Number(count.textContent) || 0) + delta));
    empty.hidden = list.querySelector('.comment') !== null;
  }

  /** The same markup the server renders, built with textContent only. */
  function commentElement(comment) {
    const item = document.createElement('li');
    item.className = 'comment';
    item.id = 'comment-' + comment.id;
    item.dataset.commentId = comment.id;

    const head = document.createElement('p');
    head.className = 'comment-head';
    const author = document.createElement('a');
    author.className = 'comment-author';
    author.href = '/users/' + encodeURIComponent(comment.username);
    author.textContent = comment.username;
    const time = document.createElement('time');
    time.className = 'muted';
    time.dateTime = comment.created_at;
    time.textContent = 'just now';
    head.append(author, ' ', time);

    const text = document.createElement('p');
    text.className = 'comment-text';
    text.textContent = comment.text;

    const remove = document.createElement('form');
    remove.className = 'comment-delete';
    remove.method = 'post';
    remove.action =
      '/photos/' + encodeURIComponent(photoId) + '/comments/' + encodeURIComponent(comment.id) + '/delete';
    const button = document.createElement('button');
    button.className = 'btn btn-link btn-sm';
    button.type = 'submit';
    button.textContent = 'Delete';
    remove.append(button);

    item.append(head, text, remove);
    return item;
  }

  if (commentForm) {
    commentForm.addEventListener('submit', async function (event) {
      event.preventDefault();
      const text = commentText.value;
      if (text.trim() === '') {
        showError('text must not be empty');
        commentText.focus();
        return;
      }
      commentSubmit.disabled = true;
      let response;
      try {
        // The form's key: if this attempt fails and the form is posted instead, the server sees
        // the same key and stores the comment once, even if this attempt landed after all.
        response = await request('POST', api + '/comments', { text: text }, requestKey.value);
      } catch {
        commentSubmit.disabled = false;
        commentForm.submit();
        return;
      }
      commentSubmit.disabled = false;
      if (response.status === 201) {
        const comment = await response.json();
        if (list.dataset.latest !== 'true') {
          // An earlier page is shown: the new comment lives on the latest one.
          window.location.assign('/photos/' + encodeURIComponent(photoId) + '#comment-' + comment.id);
          return;
        }
        list.append(commentElement(comment));
        commentText.value = '';
        requestKey.value = newKey();
        showError('');
        updateCount(1);
        return;
      }
      if (response.status >= 500) {
        commentForm.submit();
        return;
      }
      showError(await messageOf(response));
    });
  }

  list.addEventListener('submit', async function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains('comment-delete')) return;
    event.preventDefault();
    const item = form.closest('.comment');
    const button = form.querySelector('button');
    if (button) button.disabled = true;
    try {
      const response = await request(
        'DELETE',
        api + '/comments/' + encodeURIComponent(item.dataset.commentId),
      );
      if (response.status === 204 || response.status === 404) {
        item.remove();
        updateCount(-1);
        return;
      }
      if (response.status >= 500) throw new Error('HTTP ' + response.status);
      if (button) button.disabled = false;
      showError(await messageOf(response));
    } catch {
      form.submit();
    }
  });
})();
