/* Dashboard charts: read the JSON data island written by the page (no inline script, CSP-ready)
   and draw each panel's chart with ECharts. A click on a bar or point opens the households behind it. */
(function () {
  "use strict";
  var island = document.getElementById("dashboard-data");
  if (!island || typeof echarts === "undefined") { return; }
  var specs = JSON.parse(island.textContent);
  var charts = [];

  function values(series) {
    return series.data.map(function (d) { return d.value; });
  }

  function option(spec) {
    var horizontal = spec.kind.indexOf("hbar") === 0;
    var stacked = spec.kind.indexOf("stacked") > 0;
    var valueAxis = { type: "value", axisLabel: { formatter: spec.percent ? "{value}%" : "{value}" } };
    if (spec.percent) { valueAxis.max = 100; }
    var categoryAxis = { type: "category", data: spec.categories, inverse: horizontal,
                         axisLabel: { interval: 0, fontSize: 11 } };
    return {
      animation: false,
      color: spec.series.map(function (s) { return s.color; }),
      tooltip: { trigger: "axis", axisPointer: { type: spec.kind === "line" ? "line" : "shadow" },
                 valueFormatter: function (v) { return v === null || v === undefined ? "—" : (spec.percent ? v + "%" : v); } },
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      xAxis: horizontal ? valueAxis : categoryAxis,
      yAxis: horizontal ? categoryAxis : valueAxis,
      series: spec.series.map(function (s) {
        return { name: s.name, type: spec.kind === "line" ? "line" : "bar", stack: stacked ? "total" : undefined,
                 data: values(s), connectNulls: false, barMaxWidth: 28, cursor: "pointer" };
      })
    };
  }

  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var spec = specs[el.getAttribute("data-chart")];
    if (!spec) { return; }
    var rows = Math.max(spec.categories.length, 4);
    if (spec.kind.indexOf("hbar") === 0) { el.style.height = Math.min(900, 80 + rows * 28) + "px"; }
    var chart = echarts.init(el, null, { locale: "ZH", renderer: "canvas" });
    chart.setOption(option(spec));
    chart.on("click", function (params) {
      var s = spec.series[params.seriesIndex];
      var point = s && s.data[params.dataIndex];
      if (point && point.url) { window.location.href = point.url; }
    });
    charts.push(chart);
  });

  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });
})();
