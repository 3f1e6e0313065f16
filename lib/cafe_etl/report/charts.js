// Cafe Connect report, part 1: formats and SVG charts. The page has four kinds of chart
// (lines, bars, a heatmap, sparklines), drawn here as plain SVG in a few hundred lines:
// plotly's bundle alone (~4.8 MB) left no room for 150 branches' figures in 5 MB.
// cafeCharts(F) returns the drawing functions for the report's figures F.
function cafeCharts(F) {
  "use strict";
  // Okabe-Ito, the colour-blind-safe palette (Okabe & Ito, "Color Universal Design").
  const C = { sel: "#0072B2", region: "#E69F00", chain: "#009E73", neg: "#D55E00",
              pos: "#0072B2", late: "#E69F00", miss: "#D55E00", ok: "#56B4E9", grey: "#999999" };
  // A sequential scale for the heatmap: light yellow to dark blue (readable without hue).
  const HEAT = ["#ffffd9", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"];
  const WD = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const MON = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const GBP = new Intl.NumberFormat("en-GB", { style: "currency", currency: "GBP" });
  const GBP0 = new Intl.NumberFormat("en-GB", { style: "currency", currency: "GBP",
                                                 maximumFractionDigits: 0 });
  const NUM = new Intl.NumberFormat("en-GB");
  const money = (p) => (p == null ? "–" : GBP.format(p / 100));
  const count = (n) => (n == null ? "–" : NUM.format(n));
  const pct = (g) => (g == null ? "–" : (g > 0 ? "+" : "") + g.toFixed(2) + "%");
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
  function day(iso) {
    const d = new Date(iso + "T00:00:00Z");
    return WD[d.getUTCDay()] + " " + String(d.getUTCDate()).padStart(2, "0") + " " +
      MON[d.getUTCMonth()];
  }
  const nDays = F.days.length;
  const width = F.hours[1] - F.hours[0] + 1;

  // ---- SVG drawing ------------------------------------------------------------------------
  const W = 1000;
  function ticks(max) {
    if (!(max > 0)) return [0, 1];
    const raw = max / 4, mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
    const out = [];
    for (let v = 0; v <= max + step * 0.999; v += step) out.push(v);
    return out;
  }
  function lineChart(series, fmt, h) {
    h = h || 200;
    const L = 70, R = 40, T = 10, Bm = 24, pw = W - L - R, ph = h - T - Bm;
    const max = Math.max(0, ...series.flatMap((s) => s.values.filter((v) => v != null)));
    const ys = ticks(max), top = ys[ys.length - 1] || 1;
    const x = (i) => L + (nDays > 1 ? (i * pw) / (nDays - 1) : pw / 2);
    const y = (v) => T + ph - (v * ph) / top;
    let s = `<svg viewBox="0 0 ${W} ${h}" role="img">`;
    for (const v of ys) {
      s += `<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" class="grid"/>` +
        `<text x="${L - 6}" y="${y(v) + 4}" class="ylab">${esc(fmt(v))}</text>`;
    }
    const every = Math.max(1, Math.ceil(nDays / 12));
    F.days.forEach((d, i) => {
      if (i % every === 0) s += `<text x="${x(i)}" y="${h - 6}" class="xlab">${day(d)}</text>`;
    });
    for (const se of series) {
      let path = "", pen = false;
      se.values.forEach((v, i) => {
        if (v == null) { pen = false; return; }
        path += (pen ? "L" : "M") + x(i).toFixed(1) + " " + y(v).toFixed(1);
        pen = true;
      });
      s += `<path d="${path}" fill="none" stroke="${se.colour}" stroke-width="${se.main ? 2.5 : 1.8}"` +
        (se.dash ? ` stroke-dasharray="${se.dash}"` : "") + ` data-series="${esc(se.name)}"/>`;
      if (se.main) {
        se.values.forEach((v, i) => {
          if (v == null) s += `<circle cx="${x(i)}" cy="${T + ph}" r="4" fill="${C.miss}"><title>` +
            `${day(F.days[i])}: no figures</title></circle>`;
        });
      }
    }
    return s + "</svg>";
  }
  function legend(series) {
    return `<div class="legend">` + series.map((se) => `<span><i style="border-color:${se.colour};` +
      `border-style:${se.dash ? "dashed" : "solid"}"></i>${esc(se.name)}</span>`).join("") + "</div>";
  }
  function barChart(labels, values, fmt, dim) {
    const h = 200, L = 70, R = 10, T = 10, Bm = 24, pw = W - L - R, ph = h - T - Bm;
    const vals = values.filter((v) => v != null);
    const hi = Math.max(1, ...vals), lo = Math.min(0, ...vals);
    const y = (v) => T + ((hi - v) * ph) / (hi - lo);
    const bw = pw / Math.max(1, labels.length);
    let s = `<svg viewBox="0 0 ${W} ${h}" role="img"><line x1="${L}" x2="${W - R}" y1="${y(0)}" ` +
      `y2="${y(0)}" class="axis"/><text x="${L - 6}" y="${y(hi) + 4}" class="ylab">${esc(fmt(hi))}` +
      `</text><text x="${L - 6}" y="${y(lo) + 4}" class="ylab">${esc(fmt(lo))}</text>`;
    labels.forEach((lab, i) => {
      const v = values[i], cx = L + i * bw;
      if (v != null) {
        s += `<rect x="${cx + bw * 0.15}" y="${Math.min(y(v), y(0))}" width="${bw * 0.7}" ` +
          `height="${Math.abs(y(v) - y(0))}" fill="${v < 0 ? C.neg : C.pos}"` +
          (dim && dim(i) ? ` fill-opacity="0.45"` : "") + `><title>${esc(lab)}: ${esc(fmt(v))}</title></rect>`;
      }
      if (labels.length <= 16 || i % Math.ceil(labels.length / 16) === 0) {
        s += `<text x="${cx + bw / 2}" y="${h - 6}" class="xlab">${esc(lab)}</text>`;
      }
    });
    return s + "</svg>";
  }
  function hbars(rows, fmt, highlight, scale) {
    // rows: [label, value, note]; scale: the value a full bar stands for (to compare lists)
    const rh = 22, h = rows.length * rh + 8, L = 260, R = 170, pw = W - L - R;
    const max = scale || Math.max(1, ...rows.map((r) => Math.abs(r[1] || 0)));
    let s = `<svg viewBox="0 0 ${W} ${h}" role="img">`;
    rows.forEach(([lab, v, note], i) => {
      const y = 4 + i * rh, len = (Math.abs(v || 0) * pw) / max;
      const colour = highlight && highlight(lab) ? C.region : v < 0 ? C.neg : C.pos;
      s += `<text x="${L - 6}" y="${y + 15}" class="ylab">${esc(lab)}</text>` +
        `<rect x="${L}" y="${y + 3}" width="${len}" height="${rh - 6}" fill="${colour}"/>` +
        `<text x="${L + len + 6}" y="${y + 15}" class="val">${esc([fmt(v), note].filter(Boolean).join(" · "))}</text>`;
    });
    return s + "</svg>";
  }
  function heatmap(grid) {
    const cw = 60, rh = 26, L = 50, T = 22, max = Math.max(1, ...grid);
    const h = T + 7 * rh + 4;
    let s = `<svg viewBox="0 0 ${Math.max(W, L + width * cw)} ${h}" role="img">`;
    for (let c = 0; c < width; c++) {
      s += `<text x="${L + c * cw + cw / 2}" y="15" class="xlab">${String(F.hours[0] + c).padStart(2, "0")}:00</text>`;
    }
    // Monday first, as a rota is written.
    [1, 2, 3, 4, 5, 6, 0].forEach((d, r) => {
      s += `<text x="${L - 6}" y="${T + r * rh + 17}" class="ylab">${WD[d]}</text>`;
      for (let c = 0; c < width; c++) {
        const v = grid[d * width + c], k = v ? Math.min(6, Math.floor((v / max) * 6.999)) : 0;
        s += `<rect x="${L + c * cw}" y="${T + r * rh}" width="${cw - 2}" height="${rh - 2}" fill="${HEAT[k]}">` +
          `<title>${WD[d]} ${String(F.hours[0] + c).padStart(2, "0")}:00 — ${count(v)}</title></rect>` +
          `<text x="${L + c * cw + cw / 2 - 1}" y="${T + r * rh + 17}" class="cell${k > 3 ? " dark" : ""}">${v ? count(v) : ""}</text>`;
      }
    });
    return s + "</svg>";
  }
  function sparkline(values) {
    const w = 160, h = 32, max = Math.max(1, ...values.filter((v) => v != null));
    let path = "", pen = false;
    values.forEach((v, i) => {
      if (v == null) { pen = false; return; }
      path += (pen ? "L" : "M") + ((i * w) / Math.max(1, values.length - 1)).toFixed(1) + " " +
        (h - 2 - (v * (h - 4)) / max).toFixed(1);
      pen = true;
    });
    return `<svg class="spark" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}"><path d="${path}" ` +
      `fill="none" stroke="${C.sel}" stroke-width="1.5"/></svg>`;
  }
  function table(name, columns, rows) {
    return `<table data-figures="${name}"><thead><tr>` + columns.map((c) => `<th>${esc(c)}</th>`).join("") +
      "</tr></thead><tbody>" + rows.map((r) => "<tr>" + r.map((v) => `<td>${esc(v)}</td>`).join("") +
      "</tr>").join("") + "</tbody></table>";
  }
  function fill(id, note, chart, figures) {
    const sec = document.getElementById(id);
    sec.querySelector(".note").innerHTML = note;
    sec.querySelector(".chart").innerHTML = chart;
    sec.querySelector(".figures").innerHTML = figures;
  }

  return { C, WD, GBP, GBP0, NUM, money, count, pct, esc, day, W,
           lineChart, legend, barChart, hbars, heatmap, sparkline, table, fill };
}
