// Cafe Connect report: draws every chart for the selection (chain, a region or a branch)
// from the figures embedded once in the page. Charts are plain SVG, drawn here: the page
// has four kinds (lines, bars, a heatmap, sparklines), which take a few hundred lines,
// where plotly's bundle alone (~4.8 MB) left no room for 150 branches' figures in 5 MB.
(function () {
  "use strict";
  const F = JSON.parse(document.getElementById("figures").textContent);
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
  const B = F.branches;
  const nDays = F.days.length;
  const recentStart = F.days.indexOf(F.windows.recent ? F.windows.recent[0] : "");
  const width = F.hours[1] - F.hours[0] + 1;

  // ---- figures for any set of branches -------------------------------------------------
  function sumBy(list, key, n) {
    const out = new Array(n).fill(null);
    for (const b of list) b[key].forEach((v, i) => { if (v != null) out[i] = (out[i] || 0) + v; });
    return out;
  }
  function avgBy(list, key, n) {
    const sum = new Array(n).fill(0), cnt = new Array(n).fill(0);
    for (const b of list) b[key].forEach((v, i) => { if (v != null) { sum[i] += v; cnt[i]++; } });
    return sum.map((s, i) => (cnt[i] ? s / cnt[i] : null));
  }
  function growthOf(weekly) {
    return weekly.map((w, i) => (i > 0 && w != null && weekly[i - 1] > 0
      ? Math.round(10000 * (w - weekly[i - 1]) / weekly[i - 1]) / 100 : null));
  }
  function recentRevenue(b) {
    let s = 0;
    for (let i = Math.max(recentStart, 0); i < nDays; i++) s += b.revenue[i] || 0;
    return s;
  }
  // The latest week with all seven days in the report (the last one may be partial).
  const fullWeek = (() => {
    for (let w = F.weeks.length - 1; w >= 0; w--) {
      const start = F.days.indexOf(F.weeks[w]);
      if (start >= 0 && start + 6 < nDays) return w;
    }
    return F.weeks.length - 1;
  })();
  const partial = (w) => {
    const start = F.days.indexOf(F.weeks[w]);
    return start < 0 || start + 6 >= nDays;
  };
  function figures(list) {
    const revenue = sumBy(list, "revenue", nDays), transactions = sumBy(list, "transactions", nDays);
    const weekly = sumBy(list, "weekly", F.weeks.length);
    const hours = new Array(7 * width).fill(0);
    const products = new Map();
    const payments = F.payments.map(() => [0, 0]);
    for (const b of list) {
      b.hours.forEach((v, i) => { hours[i] += v; });
      for (const [p, r, rb, n, nb] of b.products) {
        const t = products.get(p) || [0, 0, 0, 0];
        products.set(p, [t[0] + r, t[1] + rb, t[2] + n, t[3] + nb]);
      }
      b.payments.forEach(([n, r], i) => { payments[i][0] += n; payments[i][1] += r; });
    }
    return { revenue, transactions, weekly, hours, products, payments,
             growth: list.length === 1 ? list[0].growth : growthOf(weekly) };
  }

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

  // ---- the page for a selection ------------------------------------------------------------
  const regionSel = document.getElementById("region"), branchSel = document.getElementById("branch");
  F.regions.forEach((r, i) => regionSel.add(new Option(r, String(i))));
  function branchOptions() {
    const r = regionSel.value;
    branchSel.length = 1;
    B.forEach((b, i) => { if (r === "" || String(b.region) === r) branchSel.add(new Option(b.name, String(i))); });
  }
  regionSel.addEventListener("change", () => { branchOptions(); draw(); });
  branchSel.addEventListener("change", () => {
    if (branchSel.value !== "" && regionSel.value === "") {
      const pick = branchSel.value;
      regionSel.value = String(B[+pick].region);
      branchOptions();
      branchSel.value = pick;
    }
    draw();
  });

  function draw() {
    const region = regionSel.value === "" ? null : +regionSel.value;
    const branch = branchSel.value === "" ? null : B[+branchSel.value];
    const inRegion = (r) => B.filter((b) => b.region === r);
    const list = branch ? [branch] : region == null ? B : inRegion(region);
    const what = branch ? branch.name : region == null ? "The chain" : F.regions[region];
    document.getElementById("showing").textContent = branch
      ? `${branch.name} · ${F.regions[branch.region]}` : region == null
        ? `The whole chain · ${B.length} branches` : `${F.regions[region]} · ${list.length} branches`;
    document.body.dataset.page = branch ? "branch" : region == null ? "chain" : "region";
    const fig = figures(list);
    drawDaily(fig, branch, what);
    drawWeekly(fig, what);
    drawHeat(fig, what);
    drawProducts(fig, what);
    drawPayments(fig, what);
    drawRanks(branch, region);
    drawCoverage(list, branch);
  }

  function drawDaily(fig, branch, what) {
    const basket = (rev, tx) => rev.map((r, i) => (r != null && tx[i] ? r / tx[i] : null));
    let sets;
    if (branch) {
      const peers = B.filter((b) => b.region === branch.region);
      sets = [
        { name: branch.name, colour: C.sel, main: true, rev: branch.revenue, tx: branch.transactions },
        { name: F.regions[branch.region] + ", per branch", colour: C.region, dash: "6 4",
          rev: avgBy(peers, "revenue", nDays), tx: avgBy(peers, "transactions", nDays) },
        { name: "Chain, per branch", colour: C.chain, dash: "2 3",
          rev: avgBy(B, "revenue", nDays), tx: avgBy(B, "transactions", nDays) },
      ];
    } else {
      sets = [{ name: what + ", all branches", colour: C.sel, main: true, rev: fig.revenue, tx: fig.transactions }];
    }
    const one = (key) => sets.map((s) => ({ name: s.name, colour: s.colour, dash: s.dash, main: s.main,
      values: key === "rev" ? s.rev : key === "tx" ? s.tx : basket(s.rev, s.tx) }));
    const chart = legend(sets) +
      `<h3>Revenue</h3>` + lineChart(one("rev"), (v) => GBP0.format(v / 100)) +
      `<h3>Transactions</h3>` + lineChart(one("tx"), (v) => NUM.format(Math.round(v)), 160) +
      `<h3>Average basket</h3>` + lineChart(one("bk"), (v) => GBP.format(v / 100), 160);
    const cols = ["Day", "Revenue", "Transactions", "Average basket"];
    if (branch) cols.push("Region revenue per branch", "Chain revenue per branch");
    const rows = F.days.map((d, i) => {
      const r = [day(d), money(fig.revenue[i]), count(fig.transactions[i]),
        money(fig.transactions[i] ? Math.round(fig.revenue[i] / fig.transactions[i]) : null)];
      if (branch) r.push(money(sets[1].rev[i] == null ? null : Math.round(sets[1].rev[i])),
        money(sets[2].rev[i] == null ? null : Math.round(sets[2].rev[i])));
      return r;
    });
    fill("daily", `${esc(what)}: revenue, transactions and average basket per day` +
      (branch ? ", against the average branch of its region and of the chain." : ".") +
      ` A red dot marks a day with no figures (see data completeness).`, chart, table("daily", cols, rows));
  }

  function drawWeekly(fig, what) {
    const labels = F.weeks.map((w, i) => day(w) + (partial(i) ? "*" : ""));
    fill("weekly", `${esc(what)}: revenue growth on the week before. * a week only partly in ` +
      `the report (paler bar): compare it with care.`,
      barChart(labels, fig.growth, (v) => v.toFixed(1) + "%", partial),
      table("weekly", ["Week starting", "Revenue", "Growth on the week before"],
        F.weeks.map((w, i) => [labels[i], money(fig.weekly[i]), pct(fig.growth[i])])));
  }

  function drawHeat(fig, what) {
    const hours = Array.from({ length: width }, (_, c) => String(F.hours[0] + c).padStart(2, "0") + ":00");
    const rows = [1, 2, 3, 4, 5, 6, 0].map((d) => [WD[d], ...hours.map((_, c) => count(fig.hours[d * width + c]))]);
    fill("heatmap", `${esc(what)}: transactions in each hour of each weekday, over the whole ` +
      `report, for staffing.`, heatmap(fig.hours), table("heatmap", ["Weekday", ...hours], rows));
  }

  function drawProducts(fig, what) {
    const rows = [...fig.products.entries()].map(([p, [r, rb, n, nb]]) =>
      ({ name: F.products[p], r, rb, n, nb, change: rb > 0 ? Math.round(10000 * (r - rb) / rb) / 100 : null }))
      .sort((a, b) => b.r - a.r || a.name.localeCompare(b.name));
    // Five each way; with fewer than ten products, the better half is the top.
    const split = Math.min(5, Math.ceil(rows.length / 2));
    const top = rows.slice(0, split), bottom = rows.slice(Math.max(split, rows.length - 5)).reverse();
    const bar = (x) => [x.name, x.r, x.change == null ? "new" : pct(x.change)];
    const scale = Math.max(1, ...rows.map((x) => x.r));
    const w = F.windows;
    fill("products", `${esc(what)}: the five best and five worst sellers by revenue in the last ` +
      `4 weeks (${w.recent ? day(w.recent[0]) + " – " + day(w.recent[1]) : "–"}), with the change on ` +
      `the 4 before. Sizes together, flavours apart.`,
      `<h3>Top</h3>` + hbars(top.map(bar), money, null, scale) +
        `<h3>Bottom</h3>` + hbars(bottom.map(bar), money, null, scale),
      table("products", ["Rank", "Product", "Revenue, last 4 weeks", "Revenue, 4 weeks before",
        "Items, last 4 weeks", "Items, 4 weeks before", "Change"],
        rows.map((x, i) => [String(i + 1), x.name, money(x.r), money(x.rb), count(x.n), count(x.nb),
          x.change == null ? "new" : pct(x.change)])));
  }

  function drawPayments(fig, what) {
    const total = fig.payments.reduce((s, p) => s + p[0], 0) || 1;
    const share = (n) => (100 * n / total).toFixed(1) + "%";
    fill("payments", `${esc(what)}: how customers pay, over the whole report.`,
      hbars(F.payments.map((m, i) => [m, fig.payments[i][0], share(fig.payments[i][0])]), count),
      table("payments", ["Method", "Transactions", "Share", "Revenue"],
        F.payments.map((m, i) => [m, count(fig.payments[i][0]), share(fig.payments[i][0]), money(fig.payments[i][1])])));
  }

  function drawRanks(branch, region) {
    const recent = F.windows.recent ? `${day(F.windows.recent[0])} – ${day(F.windows.recent[1])}` : "";
    const week = F.weeks.length ? day(F.weeks[fullWeek]) : "";
    let groups, title;
    if (branch || region != null) {
      const r = branch ? branch.region : region;
      groups = B.filter((b) => b.region === r).map((b) => ({ name: b.name, rev: recentRevenue(b),
        growth: b.growth[fullWeek], daily: b.revenue }));
      title = F.regions[r] + "'s branches";
    } else {
      groups = F.regions.map((name, r) => {
        const list = B.filter((b) => b.region === r), f = figures(list);
        return { name, rev: list.reduce((s, b) => s + recentRevenue(b), 0), growth: f.growth[fullWeek],
          daily: f.revenue };
      });
      title = "Regions";
    }
    const byRev = [...groups].sort((a, b) => b.rev - a.rev || a.name.localeCompare(b.name));
    const byGrowth = [...groups].sort((a, b) => (b.growth ?? -1e9) - (a.growth ?? -1e9) || a.name.localeCompare(b.name));
    const mine = (name) => branch && name === branch.name;
    let note = `${title} ranked by revenue over the last 4 weeks (${recent}) and by growth in ` +
      `the week of ${week} on the week before.`;
    if (branch) {
      const a = byRev.findIndex((g) => g.name === branch.name) + 1, b = byGrowth.findIndex((g) => g.name === branch.name) + 1;
      note = `<strong id="rank">${esc(branch.name)} is ${a} of ${groups.length} by revenue and ${b} of ` +
        `${groups.length} by growth in ${esc(F.regions[branch.region])}.</strong> ` + note;
    }
    let chart = `<h3>By revenue</h3>` + hbars(byRev.map((g) => [g.name, g.rev, ""]), money, mine) +
      `<h3>By growth</h3>` + hbars(byGrowth.map((g) => [g.name, g.growth, ""]), (v) => pct(v), mine);
    chart += `<h3>Daily revenue</h3><div class="multiples">` + byRev.map((g) =>
      `<div class="multiple${mine(g.name) ? " mine" : ""}"><span>${esc(g.name)}</span>${sparkline(g.daily)}</div>`).join("") + "</div>";
    fill("ranking", note, chart, table("ranking", ["Rank", branch || region != null ? "Branch" : "Region",
      "Revenue, last 4 weeks", "Growth, week of " + week],
      byRev.map((g, i) => [String(i + 1), g.name, money(g.rev), pct(g.growth)])));
  }

  function drawCoverage(list, branch) {
    const source = F.coverage === "view"
      ? "From the warehouse's coverage view (files received per branch and day)."
      : "Derived from the sales: a day without sales counts as a day without a file; late files are not known until the warehouse has its coverage view.";
    const rows = [];
    for (const b of list) {
      for (const i of b.missing) rows.push([b.name, day(F.days[i]), "no file"]);
      for (const i of b.late) rows.push([b.name, day(F.days[i]), "file came late"]);
    }
    let chart;
    if (branch) {
      const late = new Set(branch.late), miss = new Set(branch.missing);
      const cw = Math.min(24, Math.floor(W / Math.max(1, nDays)));
      chart = `<svg viewBox="0 0 ${W} 44" role="img">` + F.days.map((d, i) => {
        const colour = miss.has(i) ? C.miss : late.has(i) ? C.late : C.ok;
        return `<rect x="${i * cw}" y="4" width="${cw - 2}" height="22" fill="${colour}"><title>${day(d)}` +
          `${miss.has(i) ? ": no file" : late.has(i) ? ": file came late" : ""}</title></rect>`;
      }).join("") + `<text x="0" y="40" class="xlab0">${day(F.days[0] || "")}</text></svg>` +
        `<div class="legend"><span><b style="background:${C.ok}"></b>file on time</span>` +
        `<span><b style="background:${C.late}"></b>late</span><span><b style="background:${C.miss}"></b>no file</span></div>`;
    } else {
      const worst = list.map((b) => [b.name, b.missing.length + b.late.length,
        `${b.missing.length} without a file, ${b.late.length} late`]).filter((r) => r[1] > 0)
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 15);
      chart = worst.length ? hbars(worst, () => "", null, nDays) : "<p>Every branch sent every day's file on time.</p>";
    }
    const summary = `${rows.filter((r) => r[2] === "no file").length} branch-days without a file, ` +
      `${rows.filter((r) => r[2] !== "no file").length} with late files. `;
    fill("coverage", `<strong>${summary}</strong>A missing day is not a bad day. ${source}`, chart,
      table("coverage", ["Branch", "Day", "What"], rows));
  }

  branchOptions();
  draw();
  document.body.dataset.ready = "1";
})();
