// Sets the colour theme before the first paint, so a dark page does not
// flash light. A plain file (not inline) so a strict Content-Security-Policy
// (script-src 'self') allows it. The app's theme toggle writes the same key.
(function () {
  var t = null;
  try { t = localStorage.getItem('kurator.theme'); } catch (e) { /* storage disabled */ }
  if (t !== 'light' && t !== 'dark') {
    t = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  }
  document.documentElement.setAttribute('data-theme', t);
})();
