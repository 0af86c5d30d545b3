// The flow page's two charts (uPlot), drawn from the series the figures fragment carries and
// redrawn each time htmx swaps a new fragment in.
(function () {
  "use strict";
  var charts = {};
  var palette = { blue: "#0550ae", green: "#1a7f37", orange: "#bc4c00", purple: "#8250df" };

  function readSeries() {
    var node = document.getElementById("flow-series");
    return node ? JSON.parse(node.textContent) : null;
  }

  function options(element, lines) {
    return {
      width: Math.max(element.clientWidth, 280),
      height: 180,
      scales: { x: { time: true } },
      axes: [{}, { size: 60 }],
      series: [{}].concat(lines.map(function (line) {
        return { label: line.label, stroke: line.color, width: 2, spanGaps: false };
      })),
    };
  }

  function draw(id, lines, data) {
    var element = document.getElementById(id);
    if (!element) {
      return;
    }
    var columns = [data.at].concat(lines.map(function (line) { return data[line.key]; }));
    if (charts[id]) {
      charts[id].setData(columns);
    } else {
      charts[id] = new uPlot(options(element, lines), columns, element);
    }
  }

  function drawAll() {
    var data = readSeries();
    if (!data || typeof uPlot === "undefined") {
      return;
    }
    draw("rates-chart", [
      { key: "relay_sent_per_second", label: "relay, sent/s", color: palette.blue },
      { key: "lake_records_per_second", label: "lake writer, read/s", color: palette.green },
    ], data);
    draw("backlog-chart", [
      { key: "outbox_backlog", label: "outbox backlog", color: palette.orange },
      { key: "total_lag", label: "lake writer lag", color: palette.purple },
    ], data);
    draw("commits-chart", [
      { key: "lake_files_per_minute", label: "lake commits/min", color: palette.green },
    ], data);
  }

  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("htmx:afterSettle", drawAll);
})();
