/* sitegen scorecards: draw each chart with vega-embed (shipped in vega.js, no CDN) over its static SVG. */
(function () {
  "use strict";
  /* The pages' Content-Security-Policy allows no eval and no inline style:
   * ast: true runs Vega's expression interpreter instead of compiling expressions with Function(),
   * and vega-embed's and vega-tooltip's own <style> elements are left out (style.css has their rules). */
  var OPTIONS = {
    actions: false,
    renderer: "svg",
    ast: true,
    defaultStyle: false,
    tooltip: { disableDefaultStyle: true }
  };
  function draw() {
    if (!window.vegaEmbed) return;
    document.querySelectorAll("figure.chart[data-spec]").forEach(function (figure) {
      var holder = document.createElement("div");
      var unseen = figure.hidden;
      holder.className = "chart-live";
      figure.insertBefore(holder, figure.firstChild);
      figure.hidden = false; /* shown before drawing: a hidden container has no width to fit */
      window.vegaEmbed(holder, JSON.parse(figure.getAttribute("data-spec")), OPTIONS)
        .then(function () { figure.classList.add("is-live"); })
        .catch(function () { holder.remove(); figure.hidden = unseen; });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
