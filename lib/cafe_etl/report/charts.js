// Cafe Connect report, part 1: formats, SVG charts, figure tables and their CSV downloads.
// The page has four kinds of chart (lines, bars, a heatmap, sparklines), drawn here as
// plain SVG in a few hundred lines: plotly's bundle alone (~4.8 MB) left no room for a
// chain's figures in 5 MB. Each chart is drawn at the width it is shown at (setWidth), one
// SVG unit to one CSS pixel, so its labels keep their size on a phone; narrow screens get
// stacked bar labels and a heatmap turned on its side.
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
  const plural = (n, one, many) => `${NUM.format(n)} ${n === 1 ? one : many || one + "s"}`;
  function day(iso) {
    const d = new Date(iso + "T00:00:00Z");
    return WD[d.getUTCDay()] + " " + String(d.getUTCDate()).padStart(2, "0") + " " +
      MON[d.getUTCMonth()];
  }
  // Table cells that show one text and export another: the CSV holds plain numbers (pounds
  // with two decimals, counts, percentages) and ISO dates, which a spreadsheet reads as such.
  const cell = (t, v) => ({ t, v: v == null ? "" : v });
  const M = (p) => cell(money(p), p == null ? null : (p / 100).toFixed(2));
  const N = (n) => cell(count(n), n);
  const P = (g) => cell(pct(g), g);
  const D = (iso, mark) => cell(day(iso) + (mark || ""), iso);
  const nDays = F.days.length;
  const width = F.hours[1] - F.hours[0] + 1;
  // The heatmap's axes, which its figure table shares: Monday first, as a rota is written.
  const ROTA = [1, 2, 3, 4, 5, 6, 0];
  const HOURS = Array.from({ length: width }, (_, c) => String(F.hours[0] + c).padStart(2, "0") + ":00");

  // ---- SVG drawing ------------------------------------------------------------------------
  let W = 1000;
  const setWidth = (px) => { W = Math.max(280, Math.floor(px || 1000)); return W; };
  const narrow = () => W < 600;
  function ticks(max) {
    if (!(max > 0)) return [0, 1];
    const raw = max / 4, mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
    const out = [];
    for (let v = 0; v <= max + step * 0.999; v += step) out.push(v);
    return out;
  }
  function svg(h, body, cls) {
    return `<svg viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" role="img"` +
      (cls ? ` class="${cls}"` : "") + `>${body}</svg>`;
  }
  function lineChart(series, fmt, h) {
    h = h || 200;
    const L = 70, R = narrow() ? 14 : 40, T = 10, Bm = 24, pw = W - L - R, ph = h - T - Bm;
    const max = Math.max(0, ...series.flatMap((s) => s.values.filter((v) => v != null)));
    const ys = ticks(max), top = ys[ys.length - 1] || 1;
    const x = (i) => L + (nDays > 1 ? (i * pw) / (nDays - 1) : pw / 2);
    const y = (v) => T + ph - (v * ph) / top;
    let s = "";
    for (const v of ys) {
      s += `<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" class="grid"/>` +
        `<text x="${L - 6}" y="${y(v) + 4}" class="ylab">${esc(fmt(v))}</text>`;
    }
    // A day label is about 80 px wide: as many as fit, evenly spaced.
    const every = Math.max(1, Math.ceil(nDays / Math.max(2, Math.floor(pw / 95))));
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
    return svg(h, s);
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
    const every = Math.max(1, Math.ceil(labels.length / Math.max(2, Math.floor(pw / 90))));
    let s = `<line x1="${L}" x2="${W - R}" y1="${y(0)}" y2="${y(0)}" class="axis"/>` +
      `<text x="${L - 6}" y="${y(hi) + 4}" class="ylab">${esc(fmt(hi))}</text>` +
      `<text x="${L - 6}" y="${y(lo) + 4}" class="ylab">${esc(fmt(lo))}</text>`;
    labels.forEach((lab, i) => {
      const v = values[i], cx = L + i * bw;
      if (v != null) {
        s += `<rect x="${cx + bw * 0.15}" y="${Math.min(y(v), y(0))}" width="${bw * 0.7}" ` +
          `height="${Math.abs(y(v) - y(0))}" fill="${v < 0 ? C.neg : C.pos}"` +
          (dim && dim(i) ? ` fill-opacity="0.45"` : "") + `><title>${esc(lab)}: ${esc(fmt(v))}</title></rect>`;
      }
      if (i % every === 0) s += `<text x="${cx + bw / 2}" y="${h - 6}" class="xlab">${esc(lab)}</text>`;
    });
    return svg(h, s);
  }
  function hbars(rows, fmt, highlight, scale) {
    // rows: [label, value, note]; highlight(label): a colour for that bar, or nothing;
    // scale: the value a full bar stands for (to compare lists).
    // Narrow: the label on its own line above its bar, so neither is squeezed.
    const stack = narrow(), rh = stack ? 38 : 22, lh = stack ? 15 : 0;
    const L = stack ? 0 : Math.min(260, Math.round(W * 0.3)), R = stack ? 130 : 170;
    const h = rows.length * rh + 8, pw = W - L - R - 6;
    const max = scale || Math.max(1, ...rows.map((r) => Math.abs(r[1] || 0)));
    let s = "";
    rows.forEach(([lab, v, note], i) => {
      const y = 4 + i * rh, len = (Math.abs(v || 0) * pw) / max;
      const colour = (highlight && highlight(lab)) || (v < 0 ? C.neg : C.pos);
      s += (stack ? `<text x="0" y="${y + 13}" class="lab">${esc(lab)}</text>`
        : `<text x="${L - 6}" y="${y + 15}" class="ylab">${esc(lab)}</text>`) +
        `<rect x="${L}" y="${y + lh + 3}" width="${len}" height="${rh - lh - 6}" fill="${colour}"/>` +
        `<text x="${L + len + 6}" y="${y + lh + 15}" class="val">${esc([fmt(v), note].filter(Boolean).join(" · "))}</text>`;
    });
    return svg(h, s);
  }
  function heatmap(grid) {
    // Wide: weekdays down, hours across, as a rota. Narrow: hours down, weekdays across.
    const side = narrow(), rows = side ? HOURS : ROTA.map((d) => WD[d]);
    const cols = side ? ROTA.map((d) => WD[d]) : HOURS;
    const L = side ? 54 : 50, T = 22, rh = 26, max = Math.max(1, ...grid);
    const cw = Math.min(64, (W - L) / cols.length), h = T + rows.length * rh + 4;
    const at = (r, c) => (side ? ROTA[c] * width + r : ROTA[r] * width + c);
    let s = cols.map((lab, c) => `<text x="${L + c * cw + cw / 2}" y="15" class="xlab">${lab}</text>`).join("");
    rows.forEach((lab, r) => {
      s += `<text x="${L - 6}" y="${T + r * rh + 17}" class="ylab">${lab}</text>`;
      cols.forEach((_, c) => {
        const v = grid[at(r, c)], k = v ? Math.min(6, Math.floor((v / max) * 6.999)) : 0;
        const x = L + c * cw, y = T + r * rh;
        s += `<rect x="${x}" y="${y}" width="${cw - 2}" height="${rh - 2}" fill="${HEAT[k]}">` +
          `<title>${side ? cols[c] + " " + lab : lab + " " + cols[c]} — ${count(v)}</title></rect>` +
          `<text x="${x + cw / 2 - 1}" y="${y + 17}" class="cell${k > 3 ? " dark" : ""}">${v ? count(v) : ""}</text>`;
      });
    });
    return svg(h, s);
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

  // ---- figures: a table on the page and the same figures as CSV ------------------------------
  const shown = (c) => (c != null && typeof c === "object" ? c.t : c == null ? "" : String(c));
  const raw = (c) => (c != null && typeof c === "object" ? c.v : c == null ? "" : c);
  function csvField(v) {
    let s = String(v);
    // A text starting with = + - @ is a formula to a spreadsheet (OWASP "CSV Injection"):
    // quoted with a leading apostrophe, it stays text. Numbers are written as numbers.
    if (typeof v === "string" && /^[=+\-@\t\r]/.test(s)) s = "'" + s;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  }
  function csv(columns, rows) {
    // CRLF and a byte-order mark: RFC 4180's line ends, and Excel reads the file as UTF-8.
    return "\ufeff" + [columns, ...rows.map((r) => r.map(raw))]
      .map((r) => r.map(csvField).join(",")).join("\r\n") + "\r\n";
  }
  function table(name, columns, rows) {
    return { name, columns, rows };
  }
  const slug = (s) => String(s).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
  function fill(id, note, chart, figures, subject) {
    const sec = document.getElementById(id);
    sec.querySelector(".note").innerHTML = note;
    sec.querySelector(".chart").innerHTML = chart;
    const { name, columns, rows } = figures;
    sec.querySelector(".figures").innerHTML = `<table data-figures="${name}"><thead><tr>` +
      columns.map((c) => `<th>${esc(c)}</th>`).join("") + "</tr></thead><tbody>" +
      rows.map((r) => "<tr>" + r.map((v) => `<td>${esc(shown(v))}</td>`).join("") + "</tr>").join("") +
      "</tbody></table>";
    // A data: URL made here, in the page: the download needs no server and no network.
    const a = sec.querySelector("a.csv");
    a.download = `${slug(subject)}-${name}.csv`;
    a.href = "data:text/csv;charset=utf-8," + encodeURIComponent(csv(columns, rows));
  }

  return { C, WD, ROTA, HOURS, GBP, GBP0, NUM, money, count, pct, esc, plural, day, M, N, P, D, setWidth,
           width: () => W, lineChart, legend, barChart, hbars, heatmap, sparkline, table, fill };
}
