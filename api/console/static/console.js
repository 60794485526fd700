// The console's only script of its own: the dashboard chart (Apache ECharts) and selects
// that submit their form. Data comes from a JSON block in the page; no inline script, so the
// Content-Security-Policy can forbid them.
(function () {
  "use strict";

  function monthlyChart() {
    var el = document.getElementById("monthly-chart");
    var data = document.getElementById("monthly-data");
    if (!el || !data || !window.echarts) return;
    var d = JSON.parse(data.textContent);
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      color: ["#c0392b", "#2e7d32"],
      tooltip: { trigger: "axis" },
      legend: { data: ["发现问题", "销号"], top: 0 },
      grid: { left: 40, right: 16, top: 36, bottom: 28 },
      xAxis: {
        type: "category",
        data: d.months.map(function (m) {
          var p = m.split("-");
          return p[0] + "年" + Number(p[1]) + "月";
        }),
      },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: "发现问题", type: "bar", data: d.raised },
        { name: "销号", type: "bar", data: d.closed },
      ],
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function autosubmit() {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.requestSubmit(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    monthlyChart();
    autosubmit();
  });
})();
