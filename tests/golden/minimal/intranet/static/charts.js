/* sitegen scorecards: draw each chart with vega-embed (shipped in vega.js, no CDN) over its static SVG. */
(function () {
  "use strict";
  function draw() {
    if (!window.vegaEmbed) return;
    document.querySelectorAll("figure.chart[data-spec]").forEach(function (figure) {
      var holder = document.createElement("div");
      holder.className = "chart-live";
      figure.insertBefore(holder, figure.firstChild);
      window.vegaEmbed(holder, JSON.parse(figure.getAttribute("data-spec")), { actions: false, renderer: "svg" })
        .then(function () { figure.classList.add("is-live"); })
        .catch(function () { holder.remove(); });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
