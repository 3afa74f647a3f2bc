'use strict';

/*
 * Upload page: preview the chosen image, check its size and type before sending, upload with a
 * progress bar through POST /api/photos, then open the new photo. Without this script the form
 * posts to /upload and the server answers the same way.
 */
(function () {
  const form = document.getElementById('upload-form');
  if (!form || !window.FormData || !window.XMLHttpRequest) return;

  const input = document.getElementById('photo');
  const submit = document.getElementById('upload-submit');
  const clientError = document.getElementById('upload-client-error');
  const serverError = document.getElementById('upload-error');
  const preview = document.getElementById('upload-preview');
  const previewImage = document.getElementById('upload-preview-image');
  const previewInfo = document.getElementById('upload-preview-info');
  const progressWrap = document.getElementById('upload-progress-wrap');
  const progress = document.getElementById('upload-progress');
  const progressText = document.getElementById('upload-progress-text');

  const maxBytes = Number(form.dataset.maxBytes) || Infinity;
  const maxSize = form.dataset.maxSize || '';
  const accepted = (form.dataset.accept || '').split(',').filter(Boolean);
  let previewUrl = null;

  function formatBytes(bytes) {
    if (bytes < 1024 * 1024) return Math.max(1, Math.round(bytes / 1024)) + ' KB';
    return (bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '') + ' MB';
  }

  function describe(file) {
    return file.name + ' (' + formatBytes(file.size) + ', ' + (file.type || 'unknown type') + ')';
  }

  function showError(message) {
    if (serverError) serverError.hidden = true;
    clientError.textContent = message;
    clientError.hidden = !message;
  }

  /** A sentence saying why the file cannot be sent, or '' when it looks fine. */
  function problemWith(file) {
    if (file.size > maxBytes) {
      return 'photo: ' + describe(file) + ' is larger than the ' + maxSize + ' limit.';
    }
    if (file.size === 0) return 'photo: ' + file.name + ' is empty.';
    // An empty type means the browser does not know it; the server decides from the bytes.
    if (file.type && accepted.indexOf(file.type) === -1) {
      return (
        'photo: ' +
        describe(file) +
        ' is not a supported image. Accepted types: JPEG, PNG, WebP, GIF, AVIF and HEIC.'
      );
    }
    return '';
  }

  function clearPreview() {
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = null;
    previewImage.removeAttribute('src');
    preview.hidden = true;
  }

  input.addEventListener('change', function () {
    clearPreview();
    const file = input.files && input.files[0];
    if (!file) return showError('');
    const problem = problemWith(file);
    showError(problem);
    if (problem) return;
    previewUrl = URL.createObjectURL(file);
    previewImage.src = previewUrl;
    previewInfo.textContent = describe(file);
    preview.hidden = false;
  });

  // The browser could not decode it (a text file named .jpg, a damaged image): show no broken
  // icon; the server's verdict on the upload says what is wrong.
  previewImage.addEventListener('error', function () {
    if (previewImage.getAttribute('src')) clearPreview();
  });

  function setBusy(busy) {
    submit.disabled = busy;
    submit.textContent = busy ? 'Uploading…' : 'Upload';
    input.disabled = busy;
  }

  function setProgress(percent, text) {
    progressWrap.hidden = false;
    progress.value = percent;
    progress.textContent = percent + '%';
    progressText.textContent = text;
  }

  function messageOf(xhr) {
    try {
      const body = JSON.parse(xhr.responseText);
      if (body && typeof body.message === 'string') return body.message;
    } catch {
      // Not JSON (a proxy's error page, say): fall through to a generic sentence.
    }
    return 'The upload failed (HTTP ' + xhr.status + '). Please try again.';
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    const file = input.files && input.files[0];
    if (!file) return showError('photo: choose an image file to upload.');
    const problem = problemWith(file);
    if (problem) return showError(problem);
    showError('');

    const data = new FormData(form);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/photos');
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.addEventListener('progress', function (e) {
      if (!e.lengthComputable) return;
      const percent = Math.round((e.loaded / e.total) * 100);
      setProgress(percent, percent < 100 ? 'Uploading… ' + percent + '%' : 'Processing the image…');
    });
    xhr.addEventListener('load', function () {
      if (xhr.status === 201) {
        let photo = null;
        try {
          photo = JSON.parse(xhr.responseText);
        } catch {
          photo = null;
        }
        setProgress(100, 'Done. Opening your photo…');
        window.location.assign(
          photo && photo.id ? '/photos/' + encodeURIComponent(photo.id) : '/feed?scope=profile',
        );
        return;
      }
      setBusy(false);
      progressWrap.hidden = true;
      if (xhr.status === 401) {
        showError('Your session has ended. Please log in again, then upload the photo.');
        return;
      }
      // The server's sentence names the limit; add what was chosen for a refused file.
      const aboutFile = xhr.status === 413 || xhr.status === 415 ? ' You chose ' + describe(file) + '.' : '';
      showError(messageOf(xhr) + aboutFile);
    });
    xhr.addEventListener('error', function () {
      setBusy(false);
      progressWrap.hidden = true;
      showError('The upload failed: the connection was lost. Check your network and try again.');
    });
    setBusy(true);
    setProgress(0, 'Starting upload…');
    xhr.send(data);
  });
})();
